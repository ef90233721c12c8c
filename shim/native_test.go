package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// fakeRunc puts a runc on PATH that logs its arguments to the returned
// file; its create starts a sleep as the container's init and writes its
// pid to the --pid-file.
func fakeRunc(t *testing.T) (calls string) {
	t.Helper()
	dir := t.TempDir()
	calls = filepath.Join(dir, "calls")
	script := `#!/bin/sh
echo "$*" >> ` + calls + `
case " $* " in
*" create "*)
	while [ $# -gt 0 ]; do
		[ "$1" = --pid-file ] && pidfile=$2
		shift
	done
	sleep 60 </dev/null >/dev/null 2>&1 &
	echo $! > "$pidfile"
	;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "runc"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+":/usr/bin:/bin")
	return calls
}

// countSubreaper counts the prctl calls of subreaper, starting its once
// afresh. The prctl is real: the test process, like the shim, then waits
// for the fake inits itself (this container's init reaps orphans slowly).
func countSubreaper(t *testing.T) *int {
	t.Helper()
	saved := subreaper
	n := new(int)
	subreaper = onceSubreaper(func() error {
		*n++
		return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
	})
	t.Cleanup(func() { subreaper = saved })
	return n
}

func killNative(t *testing.T, h *nativeHost) {
	t.Helper()
	h.Signal(syscall.SIGKILL)
	select {
	case <-h.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("init %d did not exit", h.pid)
	}
	h.Close()
}

// TestNativeSubreaperOncePerShim: the shim becomes a subreaper at its
// first sidecar, not at every one.
func TestNativeSubreaperOncePerShim(t *testing.T) {
	calls := fakeRunc(t)
	n := countSubreaper(t)
	for _, id := range []string{"side1", "side2", "side3"} {
		st, err := openStdio(stdioPaths{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := createNative(context.Background(), "ns", id, t.TempDir(), st)
		st.close()
		if err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
		killNative(t, h)
	}
	if *n != 1 {
		t.Errorf("became a subreaper %d times for 3 sidecars, want 1", *n)
	}
	b, _ := os.ReadFile(calls)
	if got := strings.Count(string(b), " create "); got != 3 {
		t.Errorf("runc create ran %d times:\n%s", got, b)
	}
	if err := onceSubreaper(func() error { return syscall.EINVAL })(); err == nil || !strings.Contains(err.Error(), "become subreaper: invalid argument") {
		t.Errorf("failed prctl: %v", err)
	}
}

// TestLaunchNativeUsesCreateSpec: a sidecar's create works from the spec
// Create read; the namespaces CRI points at the sandbox (the shim) are
// written back cleared into the whole of config.json (the parts Create's
// read left out kept), and the caller's spec is left unchanged.
func TestLaunchNativeUsesCreateSpec(t *testing.T) {
	fakeRunc(t)
	countSubreaper(t)
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/ns/"
	spec := &specs.Spec{
		Process: &specs.Process{Args: []string{"/bin/sidecar"}},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
			{Type: specs.PIDNamespace},
			{Type: specs.IPCNamespace, Path: self + "ipc"},
			{Type: specs.UTSNamespace, Path: self + "uts"},
			{Type: specs.NetworkNamespace, Path: "/var/run/netns/cni-1"},
		}},
	}
	bundle := t.TempDir()
	config := filepath.Join(bundle, "config.json")
	// On disk is the whole spec, with sections Create's read leaves out
	// (oci.ReadSpec), which the rewrite must keep.
	onDisk := *spec
	onDisk.Hostname = "sidecar-host"
	onDisk.Linux = &specs.Linux{Namespaces: spec.Linux.Namespaces, MaskedPaths: []string{"/proc/kcore"}}
	if data, err := json.Marshal(&onDisk); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(config, data, 0o600); err != nil {
		t.Fatal(err)
	}
	spec, err := oci.ReadSpec(bundle)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(spec)
	s := &service{}
	c := &container{id: "side", ns: "ns", bundle: bundle}
	if err := s.launchNative(context.Background(), c, &taskapi.CreateTaskRequest{ID: "side", Bundle: bundle}, spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killNative(t, c.host.(*nativeHost)); c.stdio.close() })
	if c.module != "/bin/sidecar" {
		t.Errorf("module %q", c.module)
	}
	if after, _ := json.Marshal(spec); string(after) != string(before) {
		t.Errorf("the caller's spec changed:\n%s\n%s", before, after)
	}
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	var written specs.Spec
	if err := json.Unmarshal(data, &written); err != nil {
		t.Fatalf("config.json: %v: %s", err, data)
	}
	want := []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
		{Type: specs.NetworkNamespace, Path: "/var/run/netns/cni-1"},
	}
	if !reflect.DeepEqual(written.Linux.Namespaces, want) || !reflect.DeepEqual(written.Process, spec.Process) ||
		written.Hostname != "sidecar-host" || !reflect.DeepEqual(written.Linux.MaskedPaths, []string{"/proc/kcore"}) {
		t.Errorf("config.json:\n%s", data)
	}
}

// TestPrivateSandboxNamespacesUnchanged: a spec with no namespace of the
// shim's leaves config.json as it is.
func TestPrivateSandboxNamespacesUnchanged(t *testing.T) {
	bundle := t.TempDir()
	config := filepath.Join(bundle, "config.json")
	if err := os.WriteFile(config, []byte("as containerd wrote it"), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, spec := range []*specs.Spec{
		{},
		{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.IPCNamespace, Path: fmt.Sprintf("/proc/%d/ns/ipc", os.Getpid()+1)}}}},
		{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.IPCNamespace, Path: fmt.Sprintf("/proc/%d/", os.Getpid())}}}},
	} {
		if err := privateSandboxNamespaces(bundle, spec); err != nil {
			t.Fatalf("spec %d: %v", i, err)
		}
		if b, _ := os.ReadFile(config); string(b) != "as containerd wrote it" {
			t.Fatalf("spec %d: config.json rewritten: %s", i, b)
		}
	}
}
