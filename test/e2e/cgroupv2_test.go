//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// TestCgroupV2 runs containerd 2.4.2 as on a cgroup v2 host: in a mount
// namespace of its own where /sys/fs/cgroup is this host's cgroup2
// hierarchy (scripts/containerd.sh, CONTAINERD_CGROUP_V2=1). There the
// shim uses its v2 cgroups, and a module host starts in its container's
// cgroup with CLONE_INTO_CGROUP: from an empty cache it is moved out to
// compile and added again; from the cache it never moves. On a hybrid host
// the cgroup2 hierarchy has no controllers, so the containers ask for no
// limits (ctr's default cpu shares are turned off).
func TestCgroupV2(t *testing.T) {
	unified := ""
	for mp, fstype := range procfs.Mounts(procfs.SelfMountinfo) {
		if fstype == "cgroup2" {
			unified = mp
		}
	}
	if unified == "" {
		t.Skip("no cgroup2 hierarchy on this host")
	}
	nsDir := filepath.Join(unified, namespace)
	_, statErr := os.Stat(nsDir)
	hadNSDir := statErr == nil

	d := startDaemonIn("2.4", daemonDir("2.4-v2"), []string{"CONTAINERD_CGROUP_V2=1"})
	t.Cleanup(func() {
		if err := d.stop(); err != nil {
			t.Error(err)
		}
		if !hadNSDir {
			os.Remove(nsDir) // the namespace's parent cgroup, if empty
		}
	})
	if d.err != nil {
		t.Fatalf("containerd 2.4 in cgroup v2 mode did not start: %v", d.err)
	}
	// d.mountinfo is the daemon's own mount table (startDaemonIn).
	if fs := procfs.Mounts(d.mountinfo)["/sys/fs/cgroup"]; fs != "cgroup2" {
		t.Fatalf("the daemon's /sys/fs/cgroup is %q, not cgroup2", fs)
	}
	for _, im := range []string{"hello", "sleep"} {
		if err := imageErrs[im]; err != nil {
			t.Fatalf("image %s not built: %v", im, err)
		}
		_, d.images[im] = d.importImage(namespace, imageTar(im), imageRef(im))
	}

	c := &tc{T: t, d: d}
	before := d.snapshot()
	t.Cleanup(func() { d.checkLeaks(t, before, c.ids) })
	noLimits := []string{"--cpu-shares", "0"}

	inContainerCgroup := func(id string, pid int) {
		t.Helper()
		want := "/" + namespace + "/" + id
		cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(cg), "0::"+want+"\n") {
			t.Errorf("module host %d is not in the container's cgroup %s:\n%s", pid, want, cg)
		}
	}
	run := func(source string) {
		t.Helper()
		p, id := c.runBG("sleep", noLimits)
		c.waitRunning(p, id, 20*time.Second)
		inContainerCgroup(id, c.taskPID(id))
		c.expectSource(id, source)
		c.ctr("task", "kill", "-s", "SIGKILL", id)
		if r, done := p.wait(10 * time.Second); !done || r.Code != 137 {
			t.Errorf("killed container: %s", r)
		}
		if _, err := os.Stat(filepath.Join(nsDir, id)); !os.IsNotExist(err) {
			t.Errorf("the container's cgroup %s is left behind (%v)", filepath.Join(nsDir, id), err)
		}
	}
	c.clearCache()
	run("compile") // born in the cgroup, moved out to compile, added back
	run("cache")   // born in the cgroup
	c.expect(c.run("hello", noLimits), 0, "hello")
}
