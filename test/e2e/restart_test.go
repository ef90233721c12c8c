//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestContainerdRestart: wasm containers keep running while containerd
// restarts, and afterwards they can be listed, killed, waited for and
// deleted through the new daemon.
func TestContainerdRestart(t *testing.T) {
	each(t, func(c *tc) {
		id := c.id()
		r := c.ctr("run", "-d", "--null-io", "--runtime", runtimeType, c.ref("sleep"), id)
		if r.Code != 0 {
			c.Fatalf("ctr run -d:\n%s", r)
		}
		c.waitStatus(id, "RUNNING", 20*time.Second)
		before := c.ctr("task", "ls").Stdout
		if _, err := script(2*time.Minute, "restart", c.d.version, c.d.dir); err != nil {
			c.Fatal(err)
		}
		after := c.ctr("task", "ls").Stdout
		if c.taskStatus(id) != "RUNNING" || pidOf(before, id) == "" || pidOf(before, id) != pidOf(after, id) {
			c.Fatalf("after the restart the task is not the same running task:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if k := c.ctr("task", "kill", "-s", "SIGTERM", id); k.Code != 0 {
			c.Fatalf("kill after restart:\n%s", k)
		}
		c.waitStatus(id, "STOPPED", 10*time.Second)
		del := c.ctr("task", "delete", id)
		if del.Code != 0 || !strings.Contains(del.Out, "143") {
			c.Errorf("task delete after restart: want exit code 143 reported:\n%s", del)
		}
		if r := c.ctr("containers", "delete", id); r.Code != 0 {
			c.Errorf("container delete:\n%s", r)
		}
	})
}

// pidOf is the PID column of `ctr task ls` output for id.
func pidOf(ls, id string) string {
	for _, line := range strings.Split(ls, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == id {
			return f[1]
		}
	}
	return ""
}
