//go:build e2e

package e2e

import (
	"regexp"
	"testing"
	"time"
)

// TestMetrics: ctr task metrics shows the module host's cgroup: memory in
// use, and the memory limit of the spec.
func TestMetrics(t *testing.T) {
	each(t, func(c *tc) {
		p, id := c.runBG("sleep", []string{"--memory-limit", "134217728"})
		c.waitRunning(p, id, 20*time.Second)
		defer func() {
			c.ctr("task", "kill", "-s", "SIGKILL", id)
			p.wait(10 * time.Second)
		}()
		r := c.ctr("task", "metrics", id)
		if r.Code != 0 {
			c.Fatalf("ctr task metrics:\n%s", r)
		}
		usage := regexp.MustCompile(`memory\.usage_in_bytes\s+(\d+)`).FindStringSubmatch(r.Stdout)
		if usage == nil || usage[1] == "0" {
			c.Errorf("no memory usage in metrics:\n%s", r)
		}
		if !regexp.MustCompile(`memory\.limit_in_bytes\s+134217728`).MatchString(r.Stdout) {
			c.Errorf("memory limit 134217728 not in metrics:\n%s", r)
		}
	})
}
