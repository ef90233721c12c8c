//go:build e2e

package e2e

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestModuleHostHardened: the container's PID is its module host, which
// runs with no capabilities, no_new_privs, a seccomp filter, no core dumps,
// in the cgroup of its spec.
func TestModuleHostHardened(t *testing.T) {
	each(t, func(c *tc) {
		p, id := c.runBG("sleep", nil)
		c.waitRunning(p, id, 20*time.Second)
		defer func() {
			c.ctr("task", "kill", "-s", "SIGKILL", id)
			p.wait(10 * time.Second)
		}()
		pid := strconv.Itoa(c.taskPID(id))
		cmdline, _ := os.ReadFile("/proc/" + pid + "/cmdline")
		if !strings.HasPrefix(string(cmdline), "wasmtee-module-host\x00"+id) {
			c.Errorf("pid %s is not the module host of %s: %q", pid, id, cmdline)
		}
		status, _ := os.ReadFile("/proc/" + pid + "/status")
		for _, want := range []string{"CapInh:\t0000000000000000", "CapPrm:\t0000000000000000", "CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "CapAmb:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"} {
			if !strings.Contains(string(status), want) {
				c.Errorf("module host status lacks %q:\n%s", want, status)
			}
		}
		limits, _ := os.ReadFile("/proc/" + pid + "/limits")
		if !regexp.MustCompile(`Max core file size\s+0\s+0`).Match(limits) {
			c.Errorf("core dumps not disabled:\n%s", limits)
		}
		cg, _ := os.ReadFile("/proc/" + pid + "/cgroup")
		if !strings.Contains(string(cg), "/"+id+"\n") {
			c.Errorf("module host not in the container's cgroup:\n%s", cg)
		}
	})
}
