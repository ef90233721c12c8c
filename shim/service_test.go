package shim

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/errdefs"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/taskapi"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// fakeHost is a module host that exits when told to, or at once on Start.
type fakeHost struct {
	exitOnStart bool
	once        sync.Once
	done        chan struct{}
	status      int
	signals     []syscall.Signal
}

func newFakeHost(exitOnStart bool) *fakeHost {
	return &fakeHost{exitOnStart: exitOnStart, done: make(chan struct{})}
}

func (h *fakeHost) Pid() int { return 4242 }
func (h *fakeHost) Start(context.Context) error {
	if h.exitOnStart {
		h.exit(7)
		time.Sleep(20 * time.Millisecond) // let the exit handler race us
	}
	return nil
}
func (h *fakeHost) Signal(sig syscall.Signal) error {
	h.signals = append(h.signals, sig)
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		h.exit(128 + int(sig))
	}
	return nil
}
func (h *fakeHost) exit(code int)          { h.once.Do(func() { h.status = code; close(h.done) }) }
func (h *fakeHost) Done() <-chan struct{}  { return h.done }
func (h *fakeHost) Exit() (int, time.Time) { return h.status, time.Unix(1, 0) }
func (h *fakeHost) Close() error           { return nil }

func newTestService(t *testing.T, id string, h *fakeHost) (*service, context.Context) {
	t.Helper()
	s := &service{events: make(chan taskapi.Event, 16), containers: map[string]*container{}}
	c := &container{id: id, host: h, status: taskapi.StatusCreated, exited: make(chan struct{})}
	s.containers[id] = c
	go s.watchExit(c)
	return s, withNamespace(context.Background(), "test")
}

func topics(t *testing.T, s *service, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		select {
		case e := <-s.events:
			out = append(out, e.Topic())
		case <-time.After(2 * time.Second):
			t.Fatalf("got events %v, waiting for %d", out, n)
		}
	}
	return out
}

func TestStartBeforeExitEvenWhenModuleExitsAtOnce(t *testing.T) {
	h := newFakeHost(true)
	s, ctx := newTestService(t, "c1", h)
	if _, err := s.Start(ctx, &taskapi.StartRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	got := topics(t, s, 2)
	if got[0] != "/tasks/start" || got[1] != "/tasks/exit" {
		t.Fatalf("events %v, want start then exit", got)
	}
	w, err := s.Wait(ctx, &taskapi.WaitRequest{ID: "c1"})
	if err != nil || w.ExitStatus != 7 {
		t.Fatalf("wait: %v %v, want 7", w, err)
	}
	if _, err := s.Delete(ctx, &taskapi.DeleteRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if got := topics(t, s, 1); got[0] != "/tasks/delete" {
		t.Fatalf("events %v, want delete", got)
	}
	if _, err := s.State(ctx, &taskapi.StateRequest{ID: "c1"}); !errdefs.IsNotFound(err) {
		t.Fatalf("state after delete: %v, want not found", err)
	}
}

func TestLifecycleRules(t *testing.T) {
	h := newFakeHost(false)
	s, ctx := newTestService(t, "c2", h)
	st, _ := s.State(ctx, &taskapi.StateRequest{ID: "c2"})
	if st.Status != taskapi.StatusCreated || st.Pid != 4242 {
		t.Fatalf("state %v, want CREATED pid 4242", st)
	}
	s.Start(ctx, &taskapi.StartRequest{ID: "c2"})
	if _, err := s.Start(ctx, &taskapi.StartRequest{ID: "c2"}); !errdefs.IsFailedPrecondition(err) {
		t.Fatalf("second start: %v", err)
	}
	if _, err := s.Delete(ctx, &taskapi.DeleteRequest{ID: "c2"}); !errdefs.IsFailedPrecondition(err) {
		t.Fatalf("delete running: %v", err)
	}
	if err := s.Kill(ctx, &taskapi.KillRequest{ID: "c2", Signal: uint32(syscall.SIGTERM)}); err != nil {
		t.Fatal(err)
	}
	w, _ := s.Wait(ctx, &taskapi.WaitRequest{ID: "c2"})
	if w.ExitStatus != 143 {
		t.Fatalf("exit %d, want 143", w.ExitStatus)
	}
	if err := s.Kill(ctx, &taskapi.KillRequest{ID: "c2", Signal: 9}); !errdefs.IsNotFound(err) {
		t.Fatalf("kill after exit: %v, want not found", err)
	}
	if st, _ := s.State(ctx, &taskapi.StateRequest{ID: "c2"}); st.Status != taskapi.StatusStopped || st.ExitStatus != 143 {
		t.Fatalf("state %v, want STOPPED 143", st)
	}
	if got := topics(t, s, 2); got[0] != "/tasks/start" || got[1] != "/tasks/exit" {
		t.Fatalf("events %v", got)
	}
	if err := s.Update(ctx, &taskapi.UpdateTaskRequest{ID: "c2"}); !errdefs.IsFailedPrecondition(err) {
		t.Errorf("update without cgroup: %v, want failed precondition", err)
	}
	for _, err := range []error{
		errExec, errPause, errResume, errCheckpoint, errResizePty,
		func() error { _, err := s.Wait(ctx, &taskapi.WaitRequest{ID: "c2", ExecID: "e"}); return err }(),
	} {
		if !errdefs.IsNotImplemented(err) {
			t.Errorf("got %v, want not implemented", err)
		}
	}
}

func TestDeleteCreatedKillsHost(t *testing.T) {
	h := newFakeHost(false)
	s, ctx := newTestService(t, "c3", h)
	r, err := s.Delete(ctx, &taskapi.DeleteRequest{ID: "c3"})
	if err != nil || r.ExitStatus != 137 || len(h.signals) != 1 || h.signals[0] != syscall.SIGKILL {
		t.Fatalf("delete created: %v %v signals %v", r, err, h.signals)
	}
	if got := topics(t, s, 2); got[0] != "/tasks/exit" || got[1] != "/tasks/delete" {
		t.Fatalf("events %v", got)
	}
}

func TestErrorBoundaryCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code ttrpc.Code
	}{
		{fmt.Errorf("x: %w", oci.ErrInvalidSpec), ttrpc.InvalidArgument},
		{fmt.Errorf("x: %w", oci.ErrModuleNotFound), ttrpc.InvalidArgument},
		{fmt.Errorf("create: %w", enclave.ErrInvalid), ttrpc.InvalidArgument},
		{fmt.Errorf("create: %w", enclave.ErrUnsupported), ttrpc.Unimplemented},
		{fmt.Errorf("create: %w", enclave.ErrNotInstalled), ttrpc.FailedPrecondition},
		{fmt.Errorf("create: %w", enclave.ErrGramineNotInstalled), ttrpc.FailedPrecondition},
		{errExec, ttrpc.Unimplemented},
		{wrapf(errNotFound, "container x"), ttrpc.NotFound},
		{errors.New("boom"), ttrpc.Unknown},
	} {
		var st *ttrpc.Status
		if !errors.As(toStatus(tc.err), &st) {
			t.Fatalf("%v: toStatus gave no *ttrpc.Status", tc.err)
		}
		if st.Code != tc.code {
			t.Errorf("%v: code %v, want %v", tc.err, st.Code, tc.code)
		}
		if st.Message != tc.err.Error() {
			t.Errorf("message %q, want %q", st.Message, tc.err.Error())
		}
	}
}

func TestSandboxHostActsLikePause(t *testing.T) {
	for sig, want := range map[syscall.Signal]int{syscall.SIGTERM: 0, syscall.SIGINT: 0, syscall.SIGKILL: 137} {
		h := newSandboxHost()
		h.Signal(syscall.SIGWINCH)
		select {
		case <-h.Done():
			t.Fatal("sandbox ended on SIGWINCH")
		default:
		}
		h.Signal(sig)
		<-h.Done()
		if got, _ := h.Exit(); got != want {
			t.Errorf("%v: exit %d, want %d", sig, got, want)
		}
	}
}

func TestDecodeOptions(t *testing.T) {
	o, err := decodeOptions(optionsAny(t, &runtimeoptions.Options{ConfigBody: []byte("cache_dir = \"/c\"\ncache_max_bytes = 1024\n")}))
	if err != nil || o.CacheDir != "/c" || o.CacheMaxBytes != 1024 {
		t.Fatalf("got %+v %v", o, err)
	}
	s := &service{launcher: &enclave.Launcher{CacheDir: "/default", CacheMax: 1}}
	if l := s.launcherFor(o); l.CacheDir != "/c" || l.CacheMax != 1024 || s.launcher.CacheDir != "/default" {
		t.Fatalf("launcher %+v (shared %+v)", l, s.launcher)
	}
	if l := s.launcherFor(&Options{CacheDir: "-"}); l.CacheDir != "" {
		t.Fatalf("cache_dir \"-\" did not disable the cache: %+v", l)
	}
	if _, err := decodeOptions(optionsAny(t, &runtimeoptions.Options{ConfigBody: []byte("cache_dir = [")})); !errdefs.IsInvalidArgument(err) {
		t.Fatalf("bad TOML: %v", err)
	}
	if o, err := decodeOptions(nil); o != nil || err != nil {
		t.Fatalf("no options: %v %v", o, err)
	}
}

func TestNativeNeedsRunc(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := createNative(context.Background(), "ns", "side", t.TempDir(), &stdio{})
	if !errdefs.IsFailedPrecondition(err) || !strings.Contains(err.Error(), "runc is not on the shim's PATH") {
		t.Fatalf("got %v, want a failed precondition naming runc", err)
	}
}
