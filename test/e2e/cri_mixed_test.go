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

// TestCRIMixedPod: a pod whose containers are not all wasm. A busybox
// sidecar (an ordinary Linux program) runs through runc in the same pod
// and the same shim as a wasm container; its logs, stop and removal work,
// and nothing of runc's is left behind.
func TestCRIMixedPod(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		wasm := p.run("wasm", 0, "/goguest.wasm", "sleep", "60")
		c.waitState(wasm, "CONTAINER_RUNNING", 30*time.Second)

		echo := p.createFrom("busybox", "echo", 0, "echo", "hello from a sidecar")
		c.crictlOK("start", echo)
		s := c.waitState(echo, "CONTAINER_EXITED", 30*time.Second)
		if s.Status.ExitCode != 0 {
			c.Errorf("busybox echo exit code %d (%s)", s.Status.ExitCode, s.Status.Message)
		}
		c.expectLogs(echo, "hello from a sidecar")

		sleeper := p.createFrom("busybox", "sleeper", 64<<20, "sleep", "3600")
		c.crictlOK("start", sleeper)
		st := c.waitState(sleeper, "CONTAINER_RUNNING", 30*time.Second)
		if exe, _ := os.Readlink("/proc/" + itoa(st.Info.Pid) + "/exe"); !strings.HasSuffix(exe, "busybox") {
			c.Errorf("sidecar pid %d runs %q, want busybox", st.Info.Pid, exe)
		}
		if got := memoryLimit(c, st.Info.Pid); got != 64<<20 {
			c.Errorf("sidecar memory limit %d, want %d", got, 64<<20)
		}
		// One shim serves the whole pod, sidecar included.
		if parent := parentOf(st.Info.Pid); !isShim(parent) {
			c.Errorf("sidecar's parent %d is not a wasmtee shim", parent)
		}
		t0 := time.Now()
		c.stop(sleeper, 2)
		if s := c.waitState(sleeper, "CONTAINER_EXITED", 10*time.Second); s.Status.ExitCode != 137 && s.Status.ExitCode != 143 {
			c.Errorf("stopped sidecar exit code %d, want 137 or 143", s.Status.ExitCode)
		}
		if took := time.Since(t0); took > 8*time.Second {
			c.Errorf("stopping the sidecar took %v", took)
		}
		p.remove()
		if ents, _ := os.ReadDir(filepath.Join("/run/wasmtee/runc", "k8s.io")); len(ents) != 0 {
			c.Errorf("runc state left: %v", ents)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// parentOf is the parent PID of pid (0 if unknown).
func parentOf(pid int) int {
	stat, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

func isShim(pid int) bool {
	exe, _ := os.Readlink("/proc/" + itoa(pid) + "/exe")
	return exe == env.shim
}
