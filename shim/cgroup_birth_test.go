package shim

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/enclave"
)

// unifiedMountForTest finds a cgroup2 hierarchy: /sys/fs/cgroup on a v2
// host, /sys/fs/cgroup/unified on a hybrid one (no controllers there, but
// membership works the same).
func unifiedMountForTest(t *testing.T) string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		for i, v := range fields {
			if v == "-" && i+1 < len(fields) && fields[i+1] == "cgroup2" {
				return fields[4]
			}
		}
	}
	t.Skip("no cgroup2 hierarchy mounted")
	return ""
}

func unifiedOf(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if p, ok := strings.CutPrefix(l, "0::"); ok {
			return p
		}
	}
	t.Fatalf("no 0:: line in /proc/%d/cgroup", pid)
	return ""
}

// A module host command prepared by a v2 cgroup's birth starts in that
// cgroup (CLONE_INTO_CGROUP), without the shim moving; leave moves it out
// to the shim's own cgroup, and Add puts it back.
func TestBirthV2(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root")
	}
	mount := unifiedMountForTest(t)
	path := fmt.Sprintf("/wasmtee-unit-v2-%d", os.Getpid())
	g, err := newV2group(mount, path, &specs.LinuxResources{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.remove()
	hc, ok := hostCgroup(g).(enclave.BirthCgroup)
	if !ok {
		t.Fatalf("hostCgroup of a v2 cgroup is %T, not a BirthCgroup", hostCgroup(g))
	}
	own := unifiedOf(t, os.Getpid())

	child := exec.Command("/bin/sleep", "30")
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	after, err := hc.Birth(child)
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		after()
		t.Fatal(err)
	}
	after()
	defer func() { child.Process.Kill(); child.Wait() }()
	if child.SysProcAttr.Pdeathsig != syscall.SIGKILL {
		t.Error("birth replaced the command's SysProcAttr")
	}
	if got := unifiedOf(t, child.Process.Pid); got != path {
		t.Errorf("child started in %s, want %s", got, path)
	}
	if got := unifiedOf(t, os.Getpid()); got != own {
		t.Errorf("the shim moved to %s", got)
	}
	if err := hc.Leave(child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := unifiedOf(t, child.Process.Pid); got != own {
		t.Errorf("child in %s after Leave, want the shim's %s", got, own)
	}
	if err := hc.Add(child.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if got := unifiedOf(t, child.Process.Pid); got != path {
		t.Errorf("child in %s after Add, want %s", got, path)
	}
}

// A cgroup the shim did not create (a sandbox's, borrowed) is only added to.
func TestHostCgroupBorrowed(t *testing.T) {
	if _, ok := hostCgroup(borrowedCgroup{v2group{}}).(enclave.BirthCgroup); ok {
		t.Error("a borrowed cgroup offers birth")
	}
	if _, ok := hostCgroup(v1group{}).(enclave.BirthCgroup); !ok {
		t.Error("a v1 cgroup does not offer birth")
	}
}
