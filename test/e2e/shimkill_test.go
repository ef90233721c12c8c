//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShimKilled: when the shim dies (SIGKILL), its module hosts die with
// it, containerd publishes the task's exit (137) and its cleanup ("shim
// delete") leaves no mount, cgroup, socket or state behind (leak check).
// ctr run itself fails ("ttrpc: closed": its Wait was cut) and leaves its
// FIFO dir, which the test removes: that is ctr's, not the shim's.
func TestShimKilled(t *testing.T) {
	each(t, func(c *tc) {
		killShim(c, shimKill{start: 20 * time.Second, child: "module host"})
	})
}

// shimKill is what differs between the shim-kill tests.
type shimKill struct {
	flags   []string               // ctr run flags
	start   time.Duration          // how long the container may take to run
	child   string                 // the shim's child, the task's process, in messages
	running func(c *tc, id string) // more checks on the running container, or nil
}

// killShim runs the idle image with k.flags, kills its shim with SIGKILL
// and checks that ctr run ends, the task goes, containerd publishes its
// exit (137, on 2.x) and the task's process, the shim's child, dies with
// the shim. It removes the container and ctr's FIFO dir.
func killShim(c *tc, k shimKill) {
	c.Helper()
	fifos := dirNames(fifoDir)
	events := c.d.startCtr(time.Minute, "events")
	time.Sleep(300 * time.Millisecond)
	p, id := c.runBG("sleep", k.flags)
	c.waitRunning(p, id, k.start)
	if k.running != nil {
		k.running(c, id)
	}
	host := c.taskPID(id)
	shim := parentPID(c, host)
	if exe, _ := os.Readlink("/proc/" + strconv.Itoa(shim) + "/exe"); exe != env.shim {
		c.Fatalf("parent %d of %s %d is %q, not the shim", shim, k.child, host, exe)
	}
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		c.Fatal(err)
	}
	if _, ok := p.wait(15 * time.Second); !ok {
		c.Fatalf("ctr run still running 15s after the shim was killed:\n%s", p.kill())
	}
	c.waitStatus(id, "", 10*time.Second)
	c.ctr("containers", "delete", id)
	for name := range dirNames(fifoDir) {
		if !fifos[name] {
			os.RemoveAll(filepath.Join(fifoDir, name))
		}
	}
	ev := events.kill()
	exit := regexp.MustCompile(`/tasks/exit .*"container_id":"` + id + `".*"exit_status":137`)
	// containerd 1.6 publishes no exit for a task whose container ctr
	// already deleted; 2.4 does, with the status of "shim delete".
	if c.d.version != "1.6" && !exit.MatchString(ev.Stdout) {
		c.Errorf("no /tasks/exit with status 137 for %s:\n%s", id, ev.Stdout)
	}
	deadline := time.Now().Add(3 * time.Second)
	for syscall.Kill(host, 0) == nil {
		if time.Now().After(deadline) {
			c.Fatalf("%s %d outlived its shim", k.child, host)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func parentPID(c *tc, pid int) int {
	c.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		c.Fatal(err)
	}
	// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
