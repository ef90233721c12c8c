//go:build e2e

package e2e

import (
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestCRIModuleHostKilled: a module host killed from outside (as by a
// node's OOM killer or an operator) ends only its own container, with
// 128+signal; the pod's shim keeps serving the other container, which
// can still be stopped normally.
func TestCRIModuleHostKilled(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		a := p.run("victim", 0, "/goguest.wasm", "sleep", "60")
		b := p.run("survivor", 0, "/goguest.wasm", "sleep", "60")
		sa := c.waitState(a, "CONTAINER_RUNNING", 30*time.Second)
		c.waitState(b, "CONTAINER_RUNNING", 30*time.Second)
		shim := parentOf(sa.Info.Pid)
		if err := syscall.Kill(sa.Info.Pid, syscall.SIGKILL); err != nil {
			c.Fatal(err)
		}
		if s := c.waitState(a, "CONTAINER_EXITED", 10*time.Second); s.Status.ExitCode != 137 {
			c.Errorf("killed container exit code %d, want 137", s.Status.ExitCode)
		}
		if st, _ := c.inspect(b); st.Status.State != "CONTAINER_RUNNING" {
			c.Errorf("the other container is %s, want CONTAINER_RUNNING", st.Status.State)
		}
		if syscall.Kill(shim, 0) != nil || !isShim(shim) {
			c.Errorf("the pod's shim %d is gone", shim)
		}
		c.stop(b, 2)
		if s := c.waitState(b, "CONTAINER_EXITED", 10*time.Second); s.Status.ExitCode != 143 && s.Status.ExitCode != 137 {
			c.Errorf("stopped container exit code %d", s.Status.ExitCode)
		}
	})
}

// TestModuleHostMemoryUnreadable: another unprivileged process cannot read
// a module host's memory through /proc/PID/mem.
func TestModuleHostMemoryUnreadable(t *testing.T) {
	each(t, func(c *tc) {
		p, id := c.runBG("sleep", nil)
		c.waitRunning(p, id, 20*time.Second)
		defer func() {
			c.ctr("task", "kill", "-s", "SIGKILL", id)
			p.wait(10 * time.Second)
		}()
		pid := pidOf(c.ctr("task", "ls").Stdout, id)
		cmd := exec.Command("head", "-c", "16", "/proc/"+pid+"/mem")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		if out, err := cmd.CombinedOutput(); err == nil {
			c.Errorf("uid 65534 read /proc/%s/mem: %q", pid, out)
		}
		if _, err := strconv.Atoi(pid); err != nil {
			c.Fatalf("no pid for %s", id)
		}
	})
}
