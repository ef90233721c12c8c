//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestEventOrder: containerd sees /tasks/create, /tasks/start, /tasks/exit,
// /tasks/delete in that order, also for a module that exits at once.
func TestEventOrder(t *testing.T) {
	each(t, func(c *tc) {
		events := c.d.startCtr(30*time.Second, "events")
		time.Sleep(300 * time.Millisecond) // let ctr subscribe
		id := c.id()
		c.expect(c.ctr(runArgs(c.ref("exit42"), id, nil, nil)...), 42)
		time.Sleep(300 * time.Millisecond)
		r := events.kill()
		var seen []string
		for _, line := range strings.Split(r.Stdout, "\n") {
			f := strings.Fields(line)
			if len(f) < 7 || !strings.HasPrefix(f[5], "/tasks/") || !strings.Contains(line, `"container_id":"`+id+`"`) {
				continue
			}
			seen = append(seen, f[5])
		}
		want := []string{"/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"}
		if strings.Join(seen, " ") != strings.Join(want, " ") {
			c.Errorf("task events %v, want %v\n%s", seen, want, r.Stdout)
		}
		if !strings.Contains(r.Stdout, `"exit_status":42`) {
			c.Errorf("no exit_status 42 in events:\n%s", r.Stdout)
		}
	})
}
