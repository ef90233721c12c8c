//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// versions are the daemons every test runs against, in this order.
var versions = []string{"1.6", "2.4"}

// daemon is one private containerd started by scripts/containerd.sh.
type daemon struct {
	version string
	dir     string // everything of this daemon lives here
	sock    string
	ctrBin  string
	err     error            // why it did not start, if it did not
	images  map[string]error // image name -> import error (nil: imported)
	mounts0 map[string]bool  // mounts under dir right after start (expected: none)
	// mountinfo is the mount table the daemon and its shims mount in: this
	// process's, or the daemon's own for one in a mount namespace of its
	// own (CONTAINERD_CGROUP_V2, TestCgroupV2).
	mountinfo string
}

var daemons []*daemon

// daemonDir keeps unix socket paths short: $REPO/.cache/e2e/16.
func daemonDir(version string) string {
	return filepath.Join(env.repo, ".cache", "e2e", strings.ReplaceAll(version, ".", ""))
}

func script(timeout time.Duration, args ...string) (string, error) {
	return scriptEnv(timeout, nil, args...)
}

// scriptEnv runs scripts/containerd.sh with extra environment variables.
func scriptEnv(timeout time.Duration, extra []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.script, args...)
	cmd.Env = append(append(os.Environ(), "WASMTEE_BIN_DIR="+env.bin), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("containerd.sh %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

// startDaemon starts a daemon; a failure is kept in d.err so that only its tests fail.
func startDaemon(version string) *daemon {
	return startDaemonIn(version, daemonDir(version), nil)
}

// startDaemonIn starts a daemon in dir, with extra environment variables
// for scripts/containerd.sh.
func startDaemonIn(version, dir string, extra []string) *daemon {
	d := &daemon{version: version, dir: dir, ctrBin: ctrPath(version), images: map[string]error{}, mountinfo: procfs.SelfMountinfo}
	// A run killed half-way (e.g. by go test's timeout) may have left a daemon behind.
	if _, err := script(time.Minute, "stop", d.dir); err != nil {
		d.err = fmt.Errorf("cleaning up after an earlier run: %w", err)
		return d
	}
	sock, err := scriptEnv(time.Minute, extra, "start", version, d.dir)
	if err != nil {
		d.err = err
		return d
	}
	d.sock = sock
	d.mountinfo = daemonMountinfo(d.dir)
	d.mounts0 = procfs.MountsUnder(d.mountinfo, d.dir)
	return d
}

// daemonMountinfo is the mountinfo of the daemon of dir (its pid in
// dir/containerd.pid) if it runs in another mount namespace than this
// process, else (or if that cannot be read) SelfMountinfo.
func daemonMountinfo(dir string) string {
	pid, err := os.ReadFile(filepath.Join(dir, "containerd.pid"))
	if err != nil {
		return procfs.SelfMountinfo
	}
	proc := "/proc/" + strings.TrimSpace(string(pid))
	self, err1 := os.Readlink("/proc/self/ns/mnt")
	ns, err2 := os.Readlink(proc + "/ns/mnt")
	if err1 != nil || err2 != nil || ns == self {
		return procfs.SelfMountinfo
	}
	return proc + "/mountinfo"
}

func (d *daemon) stop() error {
	if _, err := script(2*time.Minute, "stop", d.dir); err != nil {
		return fmt.Errorf("containerd %s: %w", d.version, err)
	}
	return nil
}

// logs returns the tail of the daemon log, then the shim lines in it (1.x and 2.x daemons
// copy what shims log into their own log), then the tail of any other *.log under dir.
func (d *daemon) logs(n int) string {
	var b strings.Builder
	lines := readLines(filepath.Join(d.dir, "containerd.log"))
	fmt.Fprintf(&b, "=== containerd %s: last %d lines of %s/containerd.log\n%s\n",
		d.version, n, d.dir, strings.Join(tail(lines, n), "\n"))
	var shim []string
	for _, l := range lines {
		if strings.Contains(l, "wasmtee") || strings.Contains(l, "shim") || strings.Contains(l, "container_id=") {
			shim = append(shim, l)
		}
	}
	fmt.Fprintf(&b, "=== containerd %s: shim lines in containerd.log (last %d of %d)\n%s\n",
		d.version, min(n, len(shim)), len(shim), strings.Join(tail(shim, n), "\n"))
	filepath.WalkDir(d.dir, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(p, ".log") && filepath.Base(p) != "containerd.log" {
			fmt.Fprintf(&b, "=== %s\n%s\n", p, strings.Join(tail(readLines(p), n), "\n"))
		}
		return nil
	})
	return b.String()
}

func readLines(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{fmt.Sprintf("(%v)", err)}
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 4<<20)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines
}

func tail(lines []string, n int) []string {
	if len(lines) > n {
		return lines[len(lines)-n:]
	}
	return lines
}
