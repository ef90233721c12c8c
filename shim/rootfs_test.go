package shim

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// mounted reports whether dir is a mount point.
func mounted(t *testing.T, dir string) bool {
	t.Helper()
	m, err := mountinfo.Mounted(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// A module host's rootfs is unmounted when the host exits, before Delete;
// a container without a module host (rootfsReleased nil) keeps it until
// Delete.
func TestRootfsUnmountedAtExit(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	for _, atExit := range []bool{true, false} {
		dir := filepath.Join(t.TempDir(), "rootfs")
		if err := os.Mkdir(dir, 0o711); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=64k"); err != nil {
			t.Skipf("mount tmpfs: %v", err)
		}
		t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
		h := &fakeHost{done: make(chan struct{})}
		s := &service{events: make(chan taskapi.Event, 16), containers: map[string]*container{}}
		c := &container{id: "c1", host: h, status: taskapi.StatusCreated, exited: make(chan struct{}), rootfs: dir}
		if atExit {
			c.rootfsReleased = make(chan struct{})
		}
		s.containers["c1"] = c
		go s.watchExit(c)
		ctx := withNamespace(t.Context(), "test")
		h.exit(0)
		<-c.exited
		if atExit {
			select {
			case <-c.rootfsReleased:
			case <-time.After(5 * time.Second):
				t.Fatal("the exit handler did not release the rootfs")
			}
		}
		if got := mounted(t, dir); got == atExit {
			t.Fatalf("at exit %v: rootfs mounted after the host exited: %v", atExit, got)
		}
		if _, err := s.Delete(ctx, &taskapi.DeleteRequest{ID: "c1"}); err != nil {
			t.Fatal(err)
		}
		if mounted(t, dir) {
			t.Fatalf("at exit %v: rootfs still mounted after Delete", atExit)
		}
	}
}
