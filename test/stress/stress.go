// Package stress is the stress tool behind cmd/wasmtee-stress: it runs
// create, start, wait and delete of a container N times, P at a time,
// against a real containerd through its Go client, measures every phase,
// and then checks that nothing was left behind (processes, file
// descriptors, mounts, cgroups, task state directories, shim sockets).
//
// It is not part of `make test`: 1,000 runs take minutes. scripts/stress.sh
// (`make stress`) starts a private daemon, imports an image and runs it.
package stress

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/containerd"
)

// config is the command line.
type config struct {
	address     string
	namespace   string
	image       string
	args        []string
	n, p        int
	runtime     string
	snapshotter string
	timeout     time.Duration
	jsonOut     bool

	checkLeaks bool
	daemonPID  int
	root       string // the daemon's root directory (config "root")
	state      string // the daemon's state directory (config "state")
	fdSlack    int
	leakGrace  time.Duration
	idPrefix   string
}

const usageText = `usage: wasmtee-stress -address SOCK -image REF [flags]
       wasmtee-stress busybox-image OUT.tar REF   (writes the runc comparison's image)
       wasmtee-stress runc-shim [DIR]             (builds containerd 2.4's runc shim into DIR, by default
                                                  the benchmarks' one, and prints DIR)

Runs create/start/wait/delete of a container N times, P in parallel, against
a containerd daemon, then checks for leaked processes, fds, mounts, cgroups,
task state directories and shim sockets. Exits 1 if a run failed or
something leaked, 2 on bad usage.

`

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("wasmtee-stress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	var procArgs string
	fs.StringVar(&c.address, "address", "", "containerd socket (required)")
	fs.StringVar(&c.namespace, "namespace", "wasmtee-stress", "containerd namespace")
	fs.StringVar(&c.image, "image", "", "image reference, already imported into the namespace (required)")
	fs.StringVar(&procArgs, "args", "", "process args, split on white space (default: the image's entrypoint)")
	fs.IntVar(&c.n, "n", 1000, "number of runs")
	fs.IntVar(&c.p, "p", 8, "runs in parallel")
	fs.StringVar(&c.runtime, "runtime", "io.containerd.wasmtee.v1", "runtime type (io.containerd.runc.v2 for a comparison)")
	fs.StringVar(&c.snapshotter, "snapshotter", "", "snapshotter (default: the daemon's default, overlayfs)")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "time limit of one run")
	fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON")
	fs.BoolVar(&c.checkLeaks, "check-leaks", true, "count processes, fds, mounts, cgroups, state dirs and sockets before and after")
	fs.IntVar(&c.daemonPID, "daemon-pid", 0, "containerd's pid (default: the process listening on -address)")
	fs.StringVar(&c.root, "root", "", "containerd's root directory (default: read from the daemon's --config)")
	fs.StringVar(&c.state, "state", "", "containerd's state directory (default: read from the daemon's --config)")
	fs.IntVar(&c.fdSlack, "fd-slack", 16, "growth of the daemon's fd count tolerated (caches, idle connections)")
	fs.DurationVar(&c.leakGrace, "leak-grace", 15*time.Second, "how long leftovers may take to go away after the last run")
	fs.StringVar(&c.idPrefix, "id-prefix", "", "container ID prefix (default: stress-<random>)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	c.args = strings.Fields(procArgs)
	c.address = strings.TrimPrefix(c.address, "unix://")
	switch {
	case c.address == "":
		return nil, errors.New("-address is required")
	case c.image == "":
		return nil, errors.New("-image is required")
	case c.n < 1:
		return nil, errors.New("-n must be at least 1")
	case c.p < 1:
		return nil, errors.New("-p must be at least 1")
	case c.runtime == "":
		return nil, errors.New("-runtime must not be empty")
	}
	if c.idPrefix == "" {
		c.idPrefix = fmt.Sprintf("stress-%s", strings.ToLower(fmt.Sprintf("%x", time.Now().UnixNano()&0xffffffffff)))
	}
	return c, nil
}

// Main runs the tool and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "busybox-image" {
		return busyboxMain(args[1:], stderr)
	}
	if len(args) > 0 && args[0] == "runc-shim" {
		return runcShimMain(args[1:], stdout, stderr)
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
		return 1
	}
	if cfg.jsonOut {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
		return 1
	}
	if !rep.Pass {
		return 1
	}
	return 0
}

// loadavg is the 1, 5 and 15 minute load averages.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// run connects, prepares the image, takes the "before" picture, runs the
// workload, and checks for leftovers.
func run(ctx context.Context, cfg *config, logw io.Writer) (*Report, error) {
	client, err := containerd.New(cfg.address, containerd.WithDefaultNamespace(cfg.namespace),
		containerd.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", cfg.address, err)
	}
	defer client.Close()

	rep := &Report{
		Address: cfg.address, Namespace: cfg.namespace, Image: cfg.image, Args: cfg.args,
		Runtime: cfg.runtime, N: cfg.n, P: cfg.p, IDPrefix: cfg.idPrefix,
		Started: time.Now().UTC().Format(time.RFC3339),
	}
	if v, err := client.Version(ctx); err == nil {
		rep.Daemon = strings.TrimPrefix(v.Version, "v")
	} else {
		return nil, fmt.Errorf("containerd version: %w", err)
	}

	w, err := prepare(ctx, client, cfg)
	if err != nil {
		return nil, err
	}

	var sc *scope
	var before *picture
	if cfg.checkLeaks {
		sc, err = newScope(cfg)
		if err != nil {
			return nil, err
		}
		rep.DaemonPID, rep.Root, rep.State = sc.daemonPID, sc.root, sc.state
		before = sc.take(ctx, client)
		if len(before.procs) > 0 {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d process(es) of this daemon's %s were already running before the runs: %s",
				len(before.procs), sc.shimName, describeProcs(before.procs)))
		}
	}

	rep.LoadBefore = loadavg()
	results, wall := w.runAll(ctx, logw)
	rep.LoadAfter = loadavg()
	rep.summarize(results, wall)
	if ctx.Err() != nil {
		rep.Warnings = append(rep.Warnings, "interrupted: not every run was started")
	}

	if cfg.checkLeaks {
		rep.Leaks = sc.check(context.WithoutCancel(ctx), client, before, cfg.leakGrace)
	}
	rep.verdict(cfg.checkLeaks)
	return rep, nil
}
