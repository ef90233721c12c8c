package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmtee/wasmtee/enclave/measure"
)

// daemonResult is everything measured on one daemon.
type daemonResult struct {
	version    string // "2.4" or "1.6"
	server     string // what the daemon reports, e.g. 2.4.2+unknown
	runcShim   string // version of the runc shim it used
	cold       map[string][]sample
	warnings   []string
	large      *largeResult
	phases     phaseTable
	throughput *throughputResult // nil: not measured
	cri        *criResult        // nil: not measured
	attest     *attestResult     // nil: not measured
}

// results of the whole run, for the report.
type results struct {
	cfg         config
	machine     machine
	workloads   []workload // cold-start rows; the first is the wasm baseline, runcKey the runc one
	sizes       map[string]int64
	large       *largeModule
	largeWl     workload
	largeNote   string // why the large module was skipped
	cri         *criSetup
	criNote     string // why the CRI benchmark could not run (setup failed)
	images      map[string]image
	compute     *computeResult // measured on the first daemon
	computeSU   *computeSetup
	computeNote string // why the compute comparison could not run
	micro       *attestMicro
	microNote   string // why the in-process attestation costs are missing
	daemons     []daemonResult
	leftovers   []string
	took        time.Duration // the whole run, up to the report
	chartNote   string        // why there is no chart
}

const (
	helloKey   = "hello"
	runcKey    = "runc"
	goguestKey = "goguest"
)

// requiredFiles are what the run needs from the repository: the binaries
// `make` builds and the daemon script.
var requiredFiles = []string{"bin/wasmtee", "bin/containerd-shim-wasmtee-v1", "bin/wasmtee-shim", "bin/wasmtee-module-host", "scripts/containerd.sh"}

func run(ctx context.Context, c config) (err error) {
	t0 := time.Now()
	for _, f := range requiredFiles {
		if _, err := os.Stat(filepath.Join(c.repo, f)); err != nil {
			return fmt.Errorf("%s missing (run `make bench`, which builds bin/ first): %w", f, err)
		}
	}
	benchDir := filepath.Join(c.repo, ".cache", "bench")
	if err := os.MkdirAll(benchDir, 0o755); err != nil {
		return err
	}
	host := snapshotHost(c.repo, c.versions)
	checked := false
	defer func() { // on the error path: clean up what can be, say what is left
		if !checked {
			for _, l := range host.cleanupAndCheck() {
				fmt.Fprintln(os.Stderr, "bench: WARNING: left behind:", l)
			}
		}
	}()
	work, err := os.MkdirTemp(benchDir, "work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	res := &results{cfg: c, sizes: map[string]int64{}, images: map[string]image{}}
	step("building images")
	imgs, err := buildSmallImages(ctx, c.repo, work)
	if err != nil {
		return err
	}
	for _, name := range []string{"hello", "goguest"} {
		if st, err := os.Stat(filepath.Join(work, name+".wasm")); err == nil {
			res.sizes[name] = st.Size()
		}
	}
	for _, im := range imgs {
		res.images[im.name] = im
	}
	byName := res.images
	res.workloads = []workload{
		{key: helloKey, label: "wasm hello (hello.wat)", short: "wasm hello", runtime: runtimeWasm, ref: byName["hello"].ref, want: "hello from wat"},
		{key: runcKey, label: "runc busybox `/bin/echo hi`", short: "runc echo", runtime: runtimeRunc, ref: byName["busybox"].ref,
			args: []string{"/bin/echo", "hi"}, want: "hi"},
		{key: goguestKey, label: "wasm Go guest `/goguest.wasm hello`", short: "wasm Go guest", runtime: runtimeWasm, ref: byName["goguest"].ref,
			args: []string{"/goguest.wasm", "hello"}, want: "hello from wasm"},
	}

	if !c.runs(secLarge) && !c.runs(secAttest) {
		res.largeNote = "skipped (-skip-large)"
	} else {
		step("fetching the large module (" + largePackage + ")")
		res.large, res.largeNote = fetchLarge(ctx, c.repo)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case res.large == nil:
			fmt.Fprintln(os.Stderr, "bench: NOTE: large module not available:", res.largeNote)
		case c.runs(secLarge):
			im := newImage(work, strings.TrimSuffix(filepath.Base(res.large.path), ".wasm"))
			if err := wasmImage(ctx, c.repo, im, res.large.path); err != nil {
				return err
			}
			imgs = append(imgs, im)
			res.largeWl = workload{key: im.name, label: filepath.Base(res.large.path), short: filepath.Base(res.large.path) + " cached", runtime: runtimeWasm, ref: im.ref,
				args: []string{"/" + filepath.Base(res.large.path), "-V"}, want: "Yosys"}
		}
		if !c.runs(secLarge) {
			res.largeNote = "skipped (-skip-large)"
		}
	}

	if c.cri() {
		step("building the CRI images (sandbox)")
		res.cri, err = buildCRI(c.repo, work, byName["busybox"], byName["sleeper"], byName["goguest"])
		if err != nil {
			res.criNote = err.Error()
			fmt.Fprintln(os.Stderr, "bench: ERROR: CRI benchmark skipped:", err)
		}
	}
	if c.runs(secCompute) {
		step("building the compute guest (native and wasm) and finding its peers")
		res.computeSU, err = buildCompute(ctx, c.repo, work)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			res.computeNote = err.Error()
			fmt.Fprintln(os.Stderr, "bench: ERROR: compute comparison skipped:", err)
		}
	}

	for i, v := range c.versions {
		dr, err := benchDaemon(ctx, c, v, imgs, res, i == 0)
		if err != nil {
			return err
		}
		res.daemons = append(res.daemons, dr)
	}
	res.leftovers, checked = host.cleanupAndCheck(), true

	if c.runs(secAttest) {
		step("attestation: the producer, the launch measurement and module hashing, in this process")
		var launch *measure.Launch
		for _, d := range res.daemons {
			if d.attest != nil && d.attest.launch != nil {
				launch = d.attest.launch
				break
			}
		}
		modules := [][2]string{{"hello", filepath.Join(work, "hello.wasm")}, {"goguest", filepath.Join(work, "goguest.wasm")}}
		if res.large != nil {
			modules = append(modules, [2]string{filepath.Base(res.large.path), res.large.path})
		}
		res.micro, err = benchAttestMicro(launch, modules)
		if err != nil {
			res.microNote = err.Error()
			fmt.Fprintln(os.Stderr, "bench: ERROR: in-process attestation costs:", err)
		}
	}
	res.machine = describeMachine(ctx, c.repo)
	res.took = time.Since(t0)

	if c.chart != "" {
		if err := os.MkdirAll(filepath.Dir(c.chart), 0o755); err != nil {
			return err
		}
		if err := writeChart(c.chart, res); err != nil {
			res.chartNote = err.Error()
			fmt.Fprintln(os.Stderr, "bench: ERROR: chart:", err)
		} else {
			fmt.Fprintln(os.Stderr, "bench: wrote", c.chart)
		}
	}
	report := res.markdown()
	fmt.Println(report.results)
	for _, l := range res.leftovers {
		fmt.Fprintln(os.Stderr, "bench: WARNING: left behind:", l)
	}
	if c.out != "" {
		if err := os.MkdirAll(filepath.Dir(c.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(c.out, []byte(report.document), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "bench: wrote", c.out)
	}
	return nil
}

// benchDaemon runs every measurement on one fresh daemon, and always stops
// it. The compute comparison runs on the first daemon only.
func benchDaemon(ctx context.Context, c config, version string, imgs []image, res *results, first bool) (dr daemonResult, err error) {
	dr.version = version
	step("starting containerd " + version)
	d, err := startDaemon(ctx, c.repo, version)
	if err != nil {
		return dr, err
	}
	defer func() {
		step("stopping containerd " + version)
		if res.cri != nil && dr.cri == nil { // interrupted or failed before the CRI benchmark finished
			(&criClient{s: res.cri, d: d}).removeAll(ctx)
		}
		d.removeContainers()
		if serr := d.stop(); serr != nil {
			err = errors.Join(err, fmt.Errorf("stopping containerd %s: %w", version, serr))
		}
	}()
	dr.server, dr.runcShim = d.serverVersion(ctx), d.runcShim
	for _, im := range imgs {
		if err := d.importImage(ctx, im.tar, im.ref); err != nil {
			return dr, err
		}
	}

	if c.runs(secCold) {
		step(fmt.Sprintf("containerd %s: cold starts, %d rounds of %d workloads after a warm-up round", version, c.n, len(res.workloads)))
		dr.cold, dr.warnings, err = coldStarts(ctx, d, res.workloads, c.n)
		if err != nil {
			return dr, err
		}
	}
	if res.largeWl.ref != "" {
		step(fmt.Sprintf("containerd %s: large module %s", version, filepath.Base(res.large.path)))
		var hello *workload
		for i := range res.workloads {
			if res.workloads[i].key == helloKey {
				hello = &res.workloads[i]
			}
		}
		lr, err := measureLarge(ctx, d, res.largeWl, hello, c.cached, c.nocache)
		if err != nil {
			return dr, err
		}
		dr.large = &lr
		dr.warnings = append(dr.warnings, lr.warnings...)
	}
	var cols []phaseColumn
	if dr.cold != nil {
		for _, w := range res.workloads {
			cols = append(cols, phaseColumn{label: w.short, wasm: w.wasm(), runs: dr.cold[w.key]})
		}
	}
	if dr.large != nil {
		cols = append(cols, phaseColumn{label: res.largeWl.short, wasm: true, runs: dr.large.cached})
	}
	if len(cols) > 0 {
		dr.phases = breakDown(d.logPath(), cols)
	}
	if c.runs(secAttest) && ctx.Err() == nil {
		dr.attest = benchAttest(ctx, c, d, res.images["sleeper"])
	}
	if c.runs(secThroughput) && ctx.Err() == nil {
		dr.throughput = benchThroughput(ctx, c, d, res.images["hello"], res.images["busybox"])
	}
	if first && res.computeSU != nil && ctx.Err() == nil {
		res.compute = benchCompute(ctx, c, d, res.computeSU)
		res.compute.daemon = dr.server
	}
	if res.cri != nil && ctx.Err() == nil {
		dr.cri = benchCRI(ctx, c, d, res.cri)
	}
	for _, l := range d.leftoverContainers(ctx) {
		dr.warnings = append(dr.warnings, "still in containerd "+version+" at the end: "+l)
	}
	for _, w := range dr.warnings {
		fmt.Fprintln(os.Stderr, "bench: WARNING:", w)
	}
	return dr, ctx.Err()
}

func step(s string) { fmt.Fprintf(os.Stderr, "bench: %s: %s\n", time.Now().Format("15:04:05"), s) }
