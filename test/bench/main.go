// Command bench measures wasmtee against runc (and native code) through a
// private containerd, all in one run, and writes docs/benchmarks.md with a
// chart (docs/benchmarks.png) that it draws itself:
//
//  1. cold start: `ctr run --rm` of small containers, interleaved
//  2. start throughput: create/start/wait/delete N times, P in parallel
//     (the stress tool, test/stress), wasmtee and runc on the same daemon
//  3. a large real-world module: compiled, cached, and with no cache
//  4. Kubernetes (CRI): pod start and density (PSS per container)
//  5. compute: CPU-bound guests natively, in a wasmtee container, under
//     wazero and node
//  6. attestation: evidence round trips, the producer, the launch
//     measurement and module hashing
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
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// Sections that -only and the -skip-* flags select.
const (
	secCold       = "cold"
	secLarge      = "large"
	secThroughput = "throughput"
	secPodStart   = "podstart"
	secDensity    = "density"
	secCompute    = "compute"
	secAttest     = "attest"
)

var allSections = []string{secCold, secThroughput, secLarge, secPodStart, secDensity, secCompute, secAttest}

// config is what the flags select.
type config struct {
	repo     string
	n        int      // cold-start samples per workload
	cached   int      // cached starts of the large module
	nocache  int      // starts of the large module with an empty cache
	versions []string // containerd versions, in order
	out      string   // markdown report ("" = do not write)
	chart    string   // PNG chart ("" = do not write)

	skip map[string]bool // sections not to run

	throughput  int   // runs per runtime of the throughput benchmark
	throughputP int   // of them in parallel
	podStarts   int   // timed pods per handler of the CRI pod-start benchmark
	density     []int // containers per density run (N pods x1, N/10 pods x10)
	memFloorMiB int   // the density runs stop when MemAvailable would fall below this
	computeRuns int   // runs per runner and program (the minimum counts)
	nbodySteps  int
	shaMiB      int
	attestN     int // timed evidence round trips
}

func (c config) runs(section string) bool { return !c.skip[section] }

// cri: does any part of the CRI benchmark run?
func (c config) cri() bool { return c.runs(secPodStart) || c.runs(secDensity) }

// Defaults of the flags that the report's commands repeat.
const (
	defaultN           = 30
	defaultCached      = 10
	defaultNocache     = 3
	defaultThroughput  = 1000
	defaultThroughputP = 8
	defaultPodStarts   = 20
	defaultDensity     = "100,500"
	defaultMemFloorMiB = 4096
	defaultComputeRuns = 3
	defaultNbody       = 10000000
	defaultSha         = 128
	defaultAttest      = 20
)

func parseFlags(args []string) (config, error) {
	c := config{skip: map[string]bool{}}
	var daemons, density, only, chart string
	var pods int
	def := os.Getenv("BENCH_DAEMONS")
	if def == "" {
		def = "2.4"
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: scripts/bench.sh [flags]\n\nSections: %s (all by default).\n\n", strings.Join(allSections, ", "))
		fs.PrintDefaults()
	}
	fs.StringVar(&c.repo, "repo", ".", "repository root")
	fs.IntVar(&c.n, "n", defaultN, "cold-start samples per workload (after one discarded warm-up)")
	fs.IntVar(&c.cached, "cached", defaultCached, "cached starts of the large module")
	fs.IntVar(&c.nocache, "nocache", defaultNocache, "starts of the large module with the compile cache emptied before each")
	fs.StringVar(&daemons, "daemons", def, "containerd daemons: 2.4, 1.6 or both (BENCH_DAEMONS sets the default)")
	fs.StringVar(&c.out, "o", "docs/benchmarks.md", "markdown report, relative to -repo (empty: do not write)")
	fs.StringVar(&chart, "chart", "auto", "PNG chart, relative to -repo; auto: the report's name with .png; none: no chart")
	fs.StringVar(&only, "only", "", "run only these sections, comma-separated ("+strings.Join(allSections, ",")+"; cri = podstart,density)")
	skipFlags := map[string]*bool{}
	for _, s := range []struct{ name, what string }{
		{secCold, "the cold-start benchmark (the large-module and attestation ratios then have no hello start to compare with)"},
		{secLarge, "the large-module benchmark"},
		{secThroughput, "the start-throughput benchmark (the stress tool, wasmtee and runc)"},
		{secPodStart, "the CRI pod start/teardown benchmark"},
		{secDensity, "the CRI density benchmark"},
		{secCompute, "the compute comparison (native, wasmtee, wazero, node)"},
		{secAttest, "the attestation cost benchmark"},
	} {
		skipFlags[s.name] = fs.Bool("skip-"+s.name, false, "skip "+s.what)
	}
	skipCRI := fs.Bool("skip-cri", false, "skip the Kubernetes (CRI) benchmarks: pod start and density")
	fs.IntVar(&c.throughput, "throughput", defaultThroughput, "create/start/wait/delete runs per runtime in the throughput benchmark")
	fs.IntVar(&c.throughputP, "throughput-p", defaultThroughputP, "runs in parallel in the throughput benchmark")
	fs.IntVar(&c.podStarts, "pod-starts", defaultPodStarts, "timed pods per handler in the CRI pod-start benchmark")
	fs.StringVar(&density, "density", defaultDensity, "containers per density run, comma-separated multiples of 10: N pods x 1 container and N/10 pods x 10")
	fs.IntVar(&pods, "pods", 0, "old name: -pods N is -density N")
	fs.IntVar(&c.memFloorMiB, "mem-floor", defaultMemFloorMiB, "MiB of MemAvailable a density run leaves the machine; it stops (and says so) rather than go below")
	fs.IntVar(&c.computeRuns, "compute-runs", defaultComputeRuns, "runs per runner and program in the compute comparison (the minimum is reported)")
	fs.IntVar(&c.nbodySteps, "nbody", defaultNbody, "steps of the nbody program")
	fs.IntVar(&c.shaMiB, "sha", defaultSha, "MiB hashed by the sha256 program")
	fs.IntVar(&c.attestN, "attest", defaultAttest, "timed evidence round trips per way of asking (after one warm-up)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

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
	if only != "" {
		for _, s := range allSections {
			c.skip[s] = true
		}
		for _, s := range strings.Split(only, ",") {
			s = strings.TrimSpace(s)
			switch {
			case s == "cri":
				c.skip[secPodStart], c.skip[secDensity] = false, false
			case slices.Contains(allSections, s):
				c.skip[s] = false
			default:
				return c, fmt.Errorf("-only: unknown section %q (sections: %s, cri)", s, strings.Join(allSections, ", "))
			}
		}
	}
	for s, p := range skipFlags {
		if *p {
			c.skip[s] = true
		}
	}
	if *skipCRI {
		c.skip[secPodStart], c.skip[secDensity] = true, true
	}
	if set["pods"] {
		if set["density"] {
			return c, fmt.Errorf("give -density or -pods, not both")
		}
		density = strconv.Itoa(pods)
	}
	for _, f := range strings.Split(density, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 10 || v%10 != 0 {
			return c, fmt.Errorf("-density (-pods): %q is not a multiple of 10 of at least 10", f)
		}
		if !slices.Contains(c.density, v) {
			c.density = append(c.density, v)
		}
	}
	if c.n < 1 || c.cached < 1 || c.nocache < 1 || c.throughput < 1 || c.throughputP < 1 || c.podStarts < 1 ||
		c.computeRuns < 1 || c.nbodySteps < 1 || c.shaMiB < 1 || c.attestN < 1 || c.memFloorMiB < 0 {
		return c, fmt.Errorf("counts (-n, -cached, -nocache, -throughput, -throughput-p, -pod-starts, -compute-runs, -nbody, -sha, -attest) must be at least 1")
	}
	repo, err := filepath.Abs(c.repo)
	if err != nil {
		return c, err
	}
	c.repo = repo
	if c.out != "" && !filepath.IsAbs(c.out) {
		c.out = filepath.Join(repo, c.out)
	}
	switch chart {
	case "none", "":
	case "auto":
		if c.out != "" {
			c.chart = strings.TrimSuffix(c.out, ".md") + ".png"
		}
	default:
		c.chart = chart
		if !filepath.IsAbs(c.chart) {
			c.chart = filepath.Join(repo, c.chart)
		}
	}
	return c, nil
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if err == flag.ErrHelp {
		os.Exit(0)
	}
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
