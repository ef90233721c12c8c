//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHostCgroup: the module host is in the container's cgroup in every
// hierarchy by the time the module runs (it is started there: the shim's
// forking thread enters the cgroup), and a module that must be compiled is
// compiled outside it: a Go guest whose compile needs more memory than the
// container's 32 MiB limit still starts from an empty cache.
func TestHostCgroup(t *testing.T) {
	each(t, func(c *tc) {
		p, id := c.runBG("sleep", []string{"--memory-limit", "134217728"})
		c.waitRunning(p, id, 20*time.Second)
		pid := c.taskPID(id)
		cg, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
		if err != nil {
			c.Fatal(err)
		}
		want := "/" + namespace + "/" + id
		for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
			f := strings.SplitN(line, ":", 3)
			if len(f) != 3 || f[1] == "" {
				continue
			}
			// Every controller the container's cgroup exists in.
			if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", strings.TrimPrefix(strings.Split(f[1], ",")[0], "name="), want)); err == nil && f[2] != want {
				c.Errorf("module host %d is in %s %s, not the container's %s", pid, f[1], f[2], want)
			}
		}
		if !strings.Contains(string(cg), "memory:"+want) {
			c.Errorf("module host %d is not in the container's memory cgroup %s:\n%s", pid, want, cg)
		}
		c.ctr("task", "kill", "-s", "SIGKILL", id)
		p.wait(10 * time.Second)

		c.clearCache()
		small := c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), small, []string{"--memory-limit", strconv.Itoa(32 << 20)}, []string{"/goguest.wasm", "hello"})...), 0, "hello from wasm")
		c.expectSource(small, "compile")
	})
}
