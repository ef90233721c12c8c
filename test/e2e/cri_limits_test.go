//go:build e2e

package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCRIOOMKilled: a module that fills host memory outside its linear
// memory (a funcref table) is killed by its cgroup: exit code 137, and CRI
// reports the reason OOMKilled (from the shim's TaskOOM event).
func TestCRIOOMKilled(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		id := p.createFrom("oom", "oom", 64<<20, "/oom.wasm")
		c.crictlOK("start", id)
		s := c.waitState(id, "CONTAINER_EXITED", 60*time.Second)
		if s.Status.ExitCode != 137 || s.Status.Reason != "OOMKilled" {
			c.Errorf("exit code %d reason %q, want 137 OOMKilled", s.Status.ExitCode, s.Status.Reason)
		}
	})
}

// TestCRIUpdate: crictl update raises, then lowers, the memory limit of a
// running container in place: the module host's cgroup gets the new limit.
func TestCRIUpdate(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		p := c.runPod()
		id := p.run("sleeper", 64<<20, "/goguest.wasm", "sleep", "60")
		s := c.waitState(id, "CONTAINER_RUNNING", 30*time.Second)
		if got := memoryLimit(c, s.Info.Pid); got != 64<<20 {
			c.Fatalf("memory limit before update %d, want %d", got, 64<<20)
		}
		c.crictlOK("update", "--memory", strconv.Itoa(128<<20), id)
		if got := memoryLimit(c, s.Info.Pid); got != 128<<20 {
			c.Errorf("memory limit after update %d, want %d", got, 128<<20)
		}
		c.crictlOK("update", "--memory", strconv.Itoa(96<<20), id)
		if got := memoryLimit(c, s.Info.Pid); got != 96<<20 {
			c.Errorf("memory limit after lowering %d, want %d", got, 96<<20)
		}
		if st, _ := c.inspect(id); st.Status.State != "CONTAINER_RUNNING" {
			c.Errorf("container not running after update: %s", st.Status.State)
		}
	})
}

// memoryLimit reads the memory limit of the cgroup of process pid (v1 or v2).
func memoryLimit(c *criTC, pid int) int64 {
	c.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		c.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var file string
		switch {
		case strings.Contains(","+parts[1]+",", ",memory,"):
			file = filepath.Join("/sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes")
		case parts[0] == "0" && parts[1] == "" && !hasV1Memory():
			file = filepath.Join("/sys/fs/cgroup", parts[2], "memory.max")
		default:
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			c.Fatal(err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			c.Fatalf("%s: %q", file, b)
		}
		return n
	}
	c.Fatalf("no memory cgroup for pid %d", pid)
	return 0
}

func hasV1Memory() bool {
	_, err := os.Stat("/sys/fs/cgroup/memory")
	return err == nil
}

// TestCRIRuntimeOptions: the handler's options table in containerd's config
// (cache_dir, see scripts/containerd.sh) reaches the shim: CRI containers
// fill that compile cache, not the shim's default one.
func TestCRIRuntimeOptions(t *testing.T) {
	eachCRI(t, func(c *criTC) {
		cache := filepath.Join(c.d.dir, "cri-cache")
		emptyCache(cache)
		p := c.runPod()
		id := p.run("hello", 0, "/goguest.wasm", "hello")
		c.waitState(id, "CONTAINER_EXITED", 60*time.Second)
		c.expectLogs(id, "hello from wasm")
		if entries, _ := filepath.Glob(filepath.Join(cache, "*.cwasm")); len(entries) == 0 {
			c.Errorf("no compile cache entry in %s: the runtime options did not reach the shim", cache)
		}
	})
}
