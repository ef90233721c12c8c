//go:build e2e

package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// TestCRILifecycle: a Kubernetes-style pod through CRI with crictl. A wasm container
// runs to completion (state, exit code, logs); a second one sleeps in the same pod,
// reports memory in its stats and stops on `crictl stop` with a SIGTERM/SIGKILL status;
// containers and pod are removed and nothing is left.
func TestCRILifecycle(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()

		hello := p.run("hello", 0, "/goguest.wasm", "hello")
		s := c.waitState(hello, "CONTAINER_EXITED", 30*time.Second)
		if s.Status.ExitCode != 0 {
			c.Errorf("container hello: exit code %d (%s %s), want 0", s.Status.ExitCode, s.Status.Reason, s.Status.Message)
		}
		c.expectLogs(hello, "hello from wasm")

		sleeper := p.run("sleeper", 0, "/goguest.wasm", "sleep", "60")
		c.waitState(sleeper, "CONTAINER_RUNNING", 30*time.Second)

		// Stats come from the shim's Stats (the module host's cgroup) and may lag.
		var ws uint64
		var last result
		for i := 0; i < 20 && ws == 0; i++ {
			if i > 0 {
				time.Sleep(500 * time.Millisecond)
			}
			ws, last = c.workingSet(sleeper)
		}
		if ws == 0 {
			c.Errorf("no memory working set for the running container in crictl stats:\n%s", cmdString(last))
		} else {
			c.Logf("working set of the sleeping container: %d bytes", ws)
		}

		r := c.stop(sleeper, 2)
		if r.Elapsed > 5*time.Second {
			c.Errorf("crictl stop -t 2 took %v, want under 5 s", r.Elapsed.Round(time.Millisecond))
		}
		s = c.waitState(sleeper, "CONTAINER_EXITED", 10*time.Second)
		if s.Status.ExitCode != 143 && s.Status.ExitCode != 137 {
			c.Errorf("stopped container: exit code %d (%s), want 143 (SIGTERM) or 137 (SIGKILL)", s.Status.ExitCode, s.Status.Reason)
		}

		c.crictlOK("rm", hello)
		c.crictlOK("rm", sleeper)
		if left := stdoutLines(c.crictl("ps", "-a", "-q", "--pod", p.id)); len(left) > 0 {
			c.Errorf("containers still listed in the pod after crictl rm: %q", left)
		}
		p.stopAndRemove()
		if pods := stdoutLines(c.crictl("pods", "-q")); slices.Contains(pods, p.id) {
			c.Errorf("pod %s still listed after crictl rmp", p.id)
		}
	})
}

// TestCRIPodSharesShim: the containers of a pod share one shim (containerd groups them by
// the sandbox ID annotation), and each has a module host of its own, a child of that shim.
func TestCRIPodSharesShim(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		a := p.run("a", 0, "/goguest.wasm", "sleep", "60")
		b := p.run("b", 0, "/goguest.wasm", "sleep", "60")
		sa := c.waitState(a, "CONTAINER_RUNNING", 30*time.Second)
		sb := c.waitState(b, "CONTAINER_RUNNING", 30*time.Second)

		procs := ourProcs()
		hosts := map[string]int{a: sa.Info.Pid, b: sb.Info.Pid}
		for id, pid := range hosts {
			if pid <= 0 {
				c.Errorf("crictl inspect %s: no info.pid (%d)", id, pid)
				continue
			}
			hp, ok := findProc(procs, pid)
			if !ok {
				c.Errorf("pid %d of container %s is not a live process of our binaries; shim and module host processes:%s", pid, id, describeProcs(procs))
				continue
			}
			if hostID, ok := procfs.ModuleHost(hp); !ok || hostID != id {
				c.Errorf("pid %d of container %s is not its module host: argv %q", pid, id, hp.Argv)
			}
		}
		if sa.Info.Pid == sb.Info.Pid {
			c.Errorf("both containers report pid %d: want a module host each", sa.Info.Pid)
		}
		if c.Failed() {
			c.FailNow()
		}

		// The shims whose children include both module hosts: exactly one.
		var serving []procfs.Proc
		for _, s := range procs {
			if s.IsModuleHost() {
				continue
			}
			var kids []int
			for _, k := range procs {
				if k.PPID == s.PID {
					kids = append(kids, k.PID)
				}
			}
			if slices.Contains(kids, sa.Info.Pid) && slices.Contains(kids, sb.Info.Pid) {
				serving = append(serving, s)
			}
		}
		if len(serving) != 1 {
			c.Errorf("want exactly 1 shim process whose children are both module hosts (%d, %d), found %d; shim and module host processes:%s",
				sa.Info.Pid, sb.Info.Pid, len(serving), describeProcs(procs))
		}
		// And no shim was started for the pod or its containers other than that one.
		var started []procfs.Proc
		for _, s := range procs {
			if id := flagValue(strings.Join(s.Argv, " "), "-id"); !s.IsModuleHost() && (id == p.id || id == a || id == b) {
				started = append(started, s)
			}
		}
		if len(started) != 1 {
			c.Errorf("want 1 shim process with -id of the pod or one of its containers, found %d:%s", len(started), describeProcs(started))
		}

		c.stop(a, 2)
		c.stop(b, 2)
	})
}

// TestCRIMemoryLimit: the container's memory_limit_in_bytes bounds the module: a Go guest
// that allocates below it succeeds, one that allocates past it runs out of memory.
func TestCRIMemoryLimit(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		const limit = 64 << 20
		p := c.runPod()

		small := p.run("alloc16", limit, "/goguest.wasm", "alloc", "16")
		s := c.waitState(small, "CONTAINER_EXITED", 60*time.Second)
		if s.Status.ExitCode != 0 {
			c.Errorf("alloc 16 under a 64 MiB limit: exit code %d (%s), want 0; logs:\n%s",
				s.Status.ExitCode, s.Status.Reason, cmdString(c.logs(small)))
		}
		c.expectLogs(small, "allocated 16 MiB")

		big := p.run("alloc128", limit, "/goguest.wasm", "alloc", "128")
		s = c.waitState(big, "CONTAINER_EXITED", 60*time.Second)
		if s.Status.ExitCode == 0 {
			c.Errorf("alloc 128 under a 64 MiB limit: exit code 0 (%s), want non-zero", s.Status.Reason)
		}
		c.expectLogs(big, "out of memory")
		if r := c.logs(big); strings.Contains(r.Out, "allocated 128") {
			c.Errorf("allocated past the limit:\n%s", cmdString(r))
		}
	})
}

// TestCRIStopSleeping: `crictl stop -t 1` ends a module blocked in a sleep within a few
// seconds, with the status of SIGTERM (143) or, after the grace period, SIGKILL (137).
func TestCRIStopSleeping(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		id := p.run("sleeper", 0, "/goguest.wasm", "sleep", "60")
		c.waitState(id, "CONTAINER_RUNNING", 30*time.Second)
		r := c.stop(id, 1)
		if r.Elapsed >= 10*time.Second {
			c.Errorf("crictl stop -t 1 took %v, want under 10 s", r.Elapsed.Round(time.Millisecond))
		}
		s := c.waitState(id, "CONTAINER_EXITED", 10*time.Second)
		if s.Status.ExitCode != 143 && s.Status.ExitCode != 137 {
			c.Errorf("exit code %d (%s), want 143 or 137", s.Status.ExitCode, s.Status.Reason)
		}
	})
}

// TestCRIRemovePodLeavesNothing: stopping and removing a pod with live containers (one
// sleeping) leaves no shim, module host, mount, task state or cgroup behind.
func TestCRIRemovePodLeavesNothing(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		sleeper := p.run("sleeper", 0, "/goguest.wasm", "sleep", "60")
		hello := p.run("hello", 0, "/goguest.wasm", "hello")
		c.waitState(sleeper, "CONTAINER_RUNNING", 30*time.Second)
		c.waitState(hello, "CONTAINER_EXITED", 30*time.Second)

		t0 := time.Now()
		p.stopAndRemove()
		c.Logf("stopp + rmp with a sleeping container: %v", time.Since(t0).Round(time.Millisecond))
		if pods := stdoutLines(c.crictl("pods", "-q")); slices.Contains(pods, p.id) {
			c.Errorf("pod %s still listed after crictl rmp", p.id)
		}
		for _, id := range []string{sleeper, hello} {
			if ctrs := stdoutLines(c.crictl("ps", "-a", "-q")); slices.Contains(ctrs, id) {
				c.Errorf("container %s still listed after crictl rmp", id)
			}
		}
		// The cleanups check that nothing else is left: processes of the shim and module host binaries,
		// mounts, task state, shim sockets, containerd records, cgroups.
	})
}
