//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
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
		pid := strconv.Itoa(c.taskPID(id))
		// A mapped address (offset 0 is never mapped: reading there fails
		// for anyone).
		maps, err := os.ReadFile("/proc/" + pid + "/maps")
		if err != nil {
			c.Fatal(err)
		}
		start, _, _ := strings.Cut(string(maps), "-")
		addr, err := strconv.ParseUint(start, 16, 64)
		if err != nil {
			c.Fatalf("first mapping of %s: %q", pid, start)
		}
		read := func(cred *syscall.Credential) ([]byte, error) {
			cmd := exec.Command("dd", "if=/proc/"+pid+"/mem", "bs=16", "count=1", "iflag=skip_bytes", "skip="+strconv.FormatUint(addr, 10), "status=none")
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			return cmd.CombinedOutput()
		}
		// The control: root (with CAP_SYS_PTRACE) reads the address.
		if out, err := read(nil); err != nil || len(out) != 16 {
			c.Fatalf("root cannot read 16 bytes at %#x of /proc/%s/mem (%v): %q", addr, pid, err, out)
		}
		if out, err := read(&syscall.Credential{Uid: 65534, Gid: 65534}); err == nil || !strings.Contains(string(out), "Permission denied") {
			c.Errorf("uid 65534 reading /proc/%s/mem at %#x: %v, %q; want Permission denied", pid, addr, err, out)
		}
	})
}
