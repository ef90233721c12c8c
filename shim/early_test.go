package shim

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/enclave/tee"
	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// earlyService is a service whose module host binary is a script that
// waits, as a spawned host waits for its files, and a bundle with spec's
// config.json (no cgroup: unit tests make none).
func earlyService(t *testing.T, spec *specs.Spec) (*service, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("spawning a module host drops capabilities and sets the user: needs root")
	}
	dir := t.TempDir()
	host := filepath.Join(dir, "wasmtee-module-host")
	if err := os.WriteFile(host, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	if err := os.Mkdir(bundle, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &service{launcher: &enclave.Launcher{Exe: host}, containers: map[string]*container{}, shutdown: func() {}}
	return s, bundle
}

func wasmSpec(arg0 string) *specs.Spec {
	return &specs.Spec{Version: specs.Version, Process: &specs.Process{Args: []string{arg0}, Cwd: "/"}, Root: &specs.Root{Path: "rootfs"}}
}

// startEarlyFor starts the early start of id in bundle, with the log set
// up, and waits until it has spawned (or decided not to).
func startEarlyFor(s *service, id, bundle string) *earlyStart {
	logged := make(chan bool, 1)
	logged <- true
	s.startEarly(context.Background(), id, bundle, logged)
	e := s.early
	<-e.spawned
	return e
}

var processChoice = tee.Choice{ModuleHost: tee.HostProcess}

func gone(t *testing.T, p *enclave.Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Error("the spawned module host is still running")
	}
}

// The spawned host goes to the create of its container and bundle, as
// long as it is to be a process and is alive; any other create, an SGX
// choice, a dead host and a shutdown end it instead.
func TestEarlyStartHandOver(t *testing.T) {
	ctx := context.Background()
	t.Run("taken", func(t *testing.T) {
		s, bundle := earlyService(t, wasmSpec("/m.wasm"))
		e := startEarlyFor(s, "c1", bundle)
		if e.host == nil || e.spawnErr != nil {
			t.Fatalf("nothing spawned: %v", e.spawnErr)
		}
		if got := s.takeEarly(ctx, &taskapi.CreateTaskRequest{ID: "other", Bundle: bundle}); got != nil {
			t.Error("another container's create took the early start")
		}
		got := s.takeEarly(ctx, &taskapi.CreateTaskRequest{ID: "c1", Bundle: bundle + "/"})
		if got == nil || got.spec == nil || got.spec.Process.Args[0] != "/m.wasm" {
			t.Fatalf("takeEarly = %+v", got)
		}
		h, cg := got.take(ctx, processChoice)
		if h == nil || cg != nil {
			t.Fatalf("take = %v, %v; want the host and no cgroup", h, cg)
		}
		got.discard(ctx) // taken: nothing to undo
		if exited(h) {
			t.Error("discard after take ended the host it handed over")
		}
		h.Abort()
		if s.takeEarly(ctx, &taskapi.CreateTaskRequest{ID: "c1", Bundle: bundle}) != nil {
			t.Error("the early start was taken twice")
		}
	})
	t.Run("other bundle", func(t *testing.T) {
		s, bundle := earlyService(t, wasmSpec("/m.wasm"))
		e := startEarlyFor(s, "c1", bundle)
		h := e.host
		if got := s.takeEarly(ctx, &taskapi.CreateTaskRequest{ID: "c1", Bundle: t.TempDir()}); got != nil {
			t.Error("a create with another bundle took the early start")
		}
		gone(t, h)
	})
	t.Run("sgx", func(t *testing.T) {
		s, bundle := earlyService(t, wasmSpec("/m.wasm"))
		e := startEarlyFor(s, "c1", bundle)
		h := e.host
		got := s.takeEarly(ctx, &taskapi.CreateTaskRequest{ID: "c1", Bundle: bundle})
		if p, _ := got.take(ctx, tee.Choice{ModuleHost: tee.HostSGXEnclave}); p != nil {
			t.Error("a container whose host is an SGX enclave got the spawned process")
		}
		gone(t, h)
	})
	t.Run("dead", func(t *testing.T) {
		s, bundle := earlyService(t, wasmSpec("/m.wasm"))
		e := startEarlyFor(s, "c1", bundle)
		e.host.Signal(9)
		<-e.host.Done()
		got := s.takeEarly(ctx, &taskapi.CreateTaskRequest{ID: "c1", Bundle: bundle})
		if p, _ := got.take(ctx, processChoice); p != nil {
			t.Error("a dead host was handed over")
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		s, bundle := earlyService(t, wasmSpec("/m.wasm"))
		h := startEarlyFor(s, "c1", bundle).host
		shut := false
		s.shutdown = func() { shut = true }
		if err := s.Shutdown(ctx, &taskapi.ShutdownRequest{}); err != nil || !shut {
			t.Fatalf("Shutdown: %v, shut %v", err, shut)
		}
		// Before Shutdown replied, not after.
		select {
		case <-h.Done():
		default:
			t.Error("Shutdown replied with the early host still running")
		}
		if s.early != nil {
			t.Error("the early start outlived Shutdown")
		}
	})
}

// Nothing is spawned for a pod sandbox, or for an entrypoint that may be
// a program for runc; the spec is still read for Create.
func TestEarlyStartSpawnsOnlyModules(t *testing.T) {
	sandbox := wasmSpec("/pause.wasm")
	sandbox.Annotations = map[string]string{containerTypeAnnotation: containerTypeSandbox}
	for name, spec := range map[string]*specs.Spec{"sandbox": sandbox, "not named .wasm": wasmSpec("/bin/echo")} {
		t.Run(name, func(t *testing.T) {
			s, bundle := earlyService(t, spec)
			e := startEarlyFor(s, "c1", bundle)
			if e.host != nil || e.spec == nil {
				t.Errorf("host %v, spec %v; want no host and the spec", e.host, e.spec)
			}
		})
	}
	t.Run("log not opened", func(t *testing.T) {
		s, bundle := earlyService(t, wasmSpec("/m.wasm"))
		logged := make(chan bool, 1)
		logged <- false
		s.startEarly(context.Background(), "c1", bundle, logged)
		<-s.early.spawned
		if s.early.host != nil {
			t.Error("a shim whose log could not be opened spawned a host")
		}
	})
}
