// Command bench measures wasmtee against runc through a private containerd:
// cold starts of small containers (interleaved, so machine noise hits both
// alike) and the start of a large real-world module (compiled, cached, and
// with no cache). It prints tables and writes docs/benchmarks.md.
//
// It is a measuring tool, not a test: nothing here asserts on timings.
// Run it with `make bench` (or scripts/bench.sh [flags]).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
)

// config is what the flags select.
type config struct {
	repo      string
	n         int      // cold-start samples per workload
	cached    int      // cached starts of the large module
	nocache   int      // starts of the large module with an empty cache
	versions  []string // containerd versions, in order
	out       string   // markdown report ("" = do not write)
	skipLarge bool
	skipCRI   bool
	pods      int // pods of the CRI density runs
}

// defaultPods is -pods' default.
const defaultPods = 100

func parseFlags() (config, error) {
	var c config
	var daemons string
	def := os.Getenv("BENCH_DAEMONS")
	if def == "" {
		def = "2.4"
	}
	flag.StringVar(&c.repo, "repo", ".", "repository root")
	flag.IntVar(&c.n, "n", 30, "cold-start samples per workload (after one discarded warm-up)")
	flag.IntVar(&c.cached, "cached", 10, "cached starts of the large module")
	flag.IntVar(&c.nocache, "nocache", 3, "starts of the large module with the compile cache emptied before each")
	flag.StringVar(&daemons, "daemons", def, "containerd daemons: 2.4, 1.6 or both (default from BENCH_DAEMONS)")
	flag.StringVar(&c.out, "o", "docs/benchmarks.md", "markdown report, relative to -repo (empty: do not write)")
	flag.BoolVar(&c.skipLarge, "skip-large", false, "skip the large-module benchmark")
	flag.BoolVar(&c.skipCRI, "skip-cri", false, "skip the Kubernetes (CRI) benchmark: pod start and density through crictl")
	flag.IntVar(&c.pods, "pods", defaultPods, "pods per handler in the CRI density run (one idle container each)")
	flag.Parse()
	if flag.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", flag.Args())
	}
	switch daemons {
	case "2.4":
		c.versions = []string{"2.4"}
	case "1.6":
		c.versions = []string{"1.6"}
	case "both":
		c.versions = []string{"2.4", "1.6"}
	default:
		return c, fmt.Errorf("-daemons (BENCH_DAEMONS) must be 2.4, 1.6 or both, not %q", daemons)
	}
	if c.n < 1 || c.cached < 1 || c.nocache < 1 || c.pods < 1 {
		return c, fmt.Errorf("-n, -cached, -nocache and -pods must be at least 1")
	}
	repo, err := filepath.Abs(c.repo)
	if err != nil {
		return c, err
	}
	c.repo = repo
	if c.out != "" && !filepath.IsAbs(c.out) {
		c.out = filepath.Join(repo, c.out)
	}
	return c, nil
}

func main() {
	c, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	// Until run returns, SIGINT/SIGTERM only cancel ctx: the deferred cleanup
	// (stopping the daemons, removing the work directory) always runs.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: ERROR:", err)
		os.Exit(1)
	}
}
