package enclave

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmtee/wasmtee/oci"
)

func TestHostBinaryIsBesideTheShim(t *testing.T) {
	if got := HostBinary("/usr/local/bin/containerd-shim-wasmtee-v1"); got != "/usr/local/bin/wasmtee-module-host" {
		t.Errorf("HostBinary = %s", got)
	}
}

// A node with the shim but no module host gets an error that says what is
// missing, before anything is started.
func TestLaunchWithoutHostBinary(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "wasmtee-module-host")
	if err := os.WriteFile(notExec, []byte("#!/bin/false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ exe, want string }{
		{filepath.Join(dir, "missing", "wasmtee-module-host"), "no such file or directory (install wasmtee-module-host beside the shim binary)"},
		{notExec, "is not an executable file"},
		{dir, "is not an executable file"},
	} {
		l := &Launcher{Exe: tc.exe}
		_, _, err := l.Launch(context.Background(), LaunchRequest{ID: "c", Workload: &oci.Workload{}})
		if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrNotInstalled with %q", tc.exe, err, tc.want)
		}
	}
}

// A spawned host keeps the user and groups it was started as: Load refuses
// a container whose user or supplementary groups are others, before it
// sends the host anything, and ends the host.
func TestLoadRefusesAnotherUser(t *testing.T) {
	done := make(chan struct{})
	close(done) // the host has exited: Abort has nothing to kill
	p := &Process{uid: 1000, gid: 1000, done: done}
	l := &Launcher{}
	_, err := l.Load(context.Background(), p, LaunchRequest{ID: "c", Workload: &oci.Workload{UID: 0, GID: 0}})
	if err == nil || !strings.Contains(err.Error(), "module host started as 1000:1000, the container's user is 0:0") {
		t.Fatalf("Load: %v", err)
	}
	p = &Process{uid: 1000, gid: 1000, groups: []uint32{10}, done: done}
	_, err = l.Load(context.Background(), p, LaunchRequest{ID: "c", Workload: &oci.Workload{UID: 1000, GID: 1000}, AdditionalGIDs: []uint32{10, 27}})
	if err == nil || !strings.Contains(err.Error(), "supplementary groups [10], the container's are [10 27]") {
		t.Fatalf("Load with other groups: %v", err)
	}
}
