package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// namespace keeps the benchmark's containers, images and cgroups apart.
const namespace = "wasmtee-bench"

// daemon is one private containerd run by scripts/containerd.sh.
type daemon struct {
	version  string // "2.4" or "1.6"
	repo     string
	dir      string // $REPO/.cache/bench/24: everything of the daemon, removed by stop
	sock     string
	ctrBin   string
	runcShim string // version of containerd-shim-runc-v2 the daemon finds
}

func (d *daemon) script() string { return filepath.Join(d.repo, "scripts", "containerd.sh") }

// startDaemon stops what an interrupted earlier run may have left in the
// daemon's directory, then starts a fresh daemon.
func startDaemon(ctx context.Context, repo, version string) (*daemon, error) {
	d := &daemon{
		version: version,
		repo:    repo,
		dir:     filepath.Join(repo, ".cache", "bench", strings.ReplaceAll(version, ".", "")),
	}
	r, err := mustRun(ctx, time.Minute, repo, nil, d.script(), "ctr", version)
	if err != nil {
		return nil, err
	}
	d.ctrBin = strings.TrimSpace(r.stdout)
	if _, err := mustRun(ctx, 2*time.Minute, repo, nil, d.script(), "stop", d.dir); err != nil {
		return nil, fmt.Errorf("cleaning up after an earlier run: %w", err)
	}
	shimDir, shimVersion, err := runcShimFor(ctx, repo, version)
	if err != nil {
		return nil, err
	}
	d.runcShim = shimVersion
	var env []string
	if shimDir != "" {
		env = []string{"PATH=" + shimDir + string(os.PathListSeparator) + os.Getenv("PATH")}
	}
	r, err = mustRun(ctx, time.Minute, repo, env, d.script(), "start", version, d.dir)
	if err != nil {
		// start may have got half-way: take it down again
		d.stop()
		return nil, err
	}
	d.sock = strings.TrimSpace(r.stdout)
	if !filepath.IsAbs(d.sock) {
		d.stop()
		return nil, fmt.Errorf("containerd.sh start printed %q, not an absolute socket path", d.sock)
	}
	return d, nil
}

// stop stops the daemon and removes its directory. It ignores any
// cancellation of the run: cleanup must happen.
func (d *daemon) stop() error {
	_, err := mustRun(context.Background(), 3*time.Minute, d.repo, nil, d.script(), "stop", d.dir)
	return err
}

// ctr runs `ctr -a SOCK -n NAMESPACE ARGS...` to completion or timeout. An
// interrupt (ctx) does not kill it: a ctr killed half-way through `run`
// leaves a container, its FIFOs and maybe a shim socket behind. Callers
// check ctx between calls instead; the longest call (a compile) is seconds.
func (d *daemon) ctr(ctx context.Context, timeout time.Duration, args ...string) cmdResult {
	full := append([]string{"-a", d.sock, "-n", namespace}, args...)
	return runCmd(context.WithoutCancel(ctx), timeout, d.repo, nil, d.ctrBin, full...)
}

func (d *daemon) cacheDir() string { return filepath.Join(d.dir, "cache") }
func (d *daemon) logPath() string  { return filepath.Join(d.dir, "containerd.log") }

// serverVersion is the daemon's own version, as `ctr version` reports it.
func (d *daemon) serverVersion(ctx context.Context) string {
	r := d.ctr(ctx, 30*time.Second, "version")
	server := false
	for _, l := range strings.Split(r.stdout, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Server:") {
			server = true
		}
		if server && strings.HasPrefix(l, "Version:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "Version:"))
		}
	}
	return "unknown"
}

// importImage imports an image-layout tar and checks that ref arrived (an
// import filtered by platform "succeeds" with nothing imported).
func (d *daemon) importImage(ctx context.Context, tar, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if r := d.ctr(ctx, 3*time.Minute, "images", "import", "--all-platforms", tar); !r.ok() {
		return fmt.Errorf("import %s: %s", filepath.Base(tar), r)
	}
	r := d.ctr(ctx, time.Minute, "images", "ls", "-q")
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.TrimSpace(l) == ref {
			return nil
		}
	}
	return fmt.Errorf("%s is not in containerd %s's image store after importing %s:\n%s", ref, d.version, tar, r)
}

// leftoverContainers lists containers and tasks still known to the daemon.
func (d *daemon) leftoverContainers(ctx context.Context) []string {
	var found []string
	for _, what := range []string{"containers", "tasks"} {
		r := d.ctr(ctx, 30*time.Second, what, "ls", "-q")
		for _, l := range strings.Split(r.stdout, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				found = append(found, what[:len(what)-1]+" "+l)
			}
		}
	}
	return found
}

// removeContainers kills and deletes every container of our namespace
// through the daemon, so that runc tears down what it made (an interrupted
// `ctr run` can leave a created container whose `runc init` would outlive
// the shim). Nothing to do after a clean run. Ignores cancellation.
func (d *daemon) removeContainers() {
	ctx := context.Background()
	for attempt := 0; attempt < 3; attempt++ {
		r := d.ctr(ctx, 30*time.Second, "containers", "ls", "-q")
		ids := strings.Fields(r.stdout)
		if len(ids) == 0 {
			return
		}
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		for _, id := range ids {
			d.ctr(ctx, 30*time.Second, "tasks", "kill", "-s", "SIGKILL", id)
			d.ctr(ctx, 30*time.Second, "tasks", "delete", "-f", id)
			d.ctr(ctx, 30*time.Second, "containers", "delete", id)
		}
	}
}
