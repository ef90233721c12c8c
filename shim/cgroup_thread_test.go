package shim

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/containerd/cgroups/v3"
)

// A thread that enters a v1 cgroup forks its children there and goes back
// to where it was; leave moves such a child out to the process's own
// cgroup.
func TestEnterThread(t *testing.T) {
	if os.Getuid() != 0 || cgroups.Mode() == cgroups.Unified {
		t.Skip("needs root and cgroup v1")
	}
	path := fmt.Sprintf("/wasmtee-unit-%d", os.Getpid())
	cg, err := newCgroup(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cg.remove()
	g, ok := cg.(v1group)
	if !ok {
		t.Fatalf("%T is not a v1 cgroup", cg)
	}
	memoryOf := func(cgroupFile string) string {
		b, err := os.ReadFile(cgroupFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.SplitN(l, ":", 3); len(f) == 3 && f[1] == "memory" {
				return f[2]
			}
		}
		t.Fatalf("no memory hierarchy in %s", cgroupFile)
		return ""
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	own := memoryOf("/proc/thread-self/cgroup")
	back, err := g.enterThread()
	if err != nil {
		t.Fatal(err)
	}
	if got := memoryOf("/proc/thread-self/cgroup"); got != path {
		t.Errorf("thread in %s after entering %s", got, path)
	}
	child := exec.Command("/bin/sleep", "30")
	if err := child.Start(); err != nil {
		back()
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	back()
	if got := memoryOf("/proc/thread-self/cgroup"); got != own {
		t.Errorf("thread in %s after going back, want %s", got, own)
	}
	pidCgroup := fmt.Sprintf("/proc/%d/cgroup", child.Process.Pid)
	if got := memoryOf(pidCgroup); got != path {
		t.Errorf("child started in %s, want %s", got, path)
	}
	if got := memoryOf("/proc/self/cgroup"); got != own {
		t.Errorf("the process moved to %s", got)
	}
	if err := g.leave(child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := memoryOf(pidCgroup); got != own {
		t.Errorf("child in %s after leave, want the process's %s", got, own)
	}
}
