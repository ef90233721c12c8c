package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The compute comparison: CPU-bound WASI guests (test/guests/compute) run
// natively, in a wasmtee container on the benchmark's daemon, with the
// wazero CLI and with node's WASI. Every run's output must equal the
// native output. (It replaces the body of scripts/compute-bench.sh, which
// now runs this section alone.)

const (
	wazeroModule  = "github.com/tetratelabs/wazero/cmd/wazero"
	wazeroVersion = "v1.11.0"
	computeRef    = "docker.io/wasmtee-bench/compute:bench"
)

// nodeWASI runs a preview1 module under node: argv[1] is the module, the
// rest its arguments.
const nodeWASI = `
const { WASI } = require("node:wasi");
const fs = require("node:fs");
const [file, ...args] = process.argv.slice(1);
const wasi = new WASI({ version: "preview1", args: ["compute", ...args], env: {}, returnOnExit: true });
WebAssembly.instantiate(fs.readFileSync(file), wasi.getImportObject())
	.then(({ instance }) => { process.exitCode = wasi.start(instance); });
`

// Runners, in table order.
const (
	runNative  = "native"
	runWasmtee = "wasmtee"
	runWazero  = "wazero"
	runNode    = "node"
)

var computeRunners = []string{runNative, runWasmtee, runWazero, runNode}

// computeSetup is built once per run.
type computeSetup struct {
	native, wasm string // the guest's binaries
	image        image  // the wasm guest's image (entrypoint /compute.wasm)
	wazero, node string // "" when not available (notes say why)
	notes        []string
	versions     map[string]string // runner -> version line
}

// computeCell is one runner's result for one program: the minimum wall
// time of its runs.
type computeCell struct {
	best   time.Duration
	runs   int
	status string // "", "FAILED" or "MISMATCH"
	// exec is, for wasmtee, the minimum time from "module host created" to
	// "module exited" in the daemon log: the module's run without the
	// container's start and teardown.
	exec time.Duration
}

func (c computeCell) ok() bool { return c.runs > 0 && c.status == "" }

// computeRow is one program.
type computeRow struct {
	name     string // "nbody", "sha256"
	args     []string
	expected string
	cells    map[string]computeCell
}

func (r computeRow) label() string { return strings.Join(r.args, " ") }

// ratioTo is runner a's best time over runner b's (0 if either did not
// run cleanly).
func (r computeRow) ratioTo(a, b string) float64 {
	ca, cb := r.cells[a], r.cells[b]
	if !ca.ok() || !cb.ok() || cb.best == 0 {
		return 0
	}
	return float64(ca.best) / float64(cb.best)
}

type computeResult struct {
	daemon   string // the daemon's version the wasmtee runs used
	rows     []computeRow
	failures []string
	took     time.Duration
}

func (r *computeResult) row(name string) *computeRow {
	if r == nil {
		return nil
	}
	for i := range r.rows {
		if r.rows[i].name == name {
			return &r.rows[i]
		}
	}
	return nil
}

// buildCompute builds the guest natively (-tags purego, so crypto/sha256
// runs the same pure-Go block function as on wasm instead of SHA-NI/AVX2
// assembly) and for wasip1, packs the wasm into an image, and finds or
// installs the peers.
func buildCompute(ctx context.Context, repo, work string) (*computeSetup, error) {
	s := &computeSetup{
		native:   filepath.Join(work, "compute"),
		wasm:     filepath.Join(work, "compute.wasm"),
		image:    image{name: "compute", ref: computeRef, tar: filepath.Join(work, "compute.tar")},
		versions: map[string]string{},
	}
	if _, err := mustRun(ctx, 5*time.Minute, repo, nil, "go", "build", "-trimpath", "-tags", "purego", "-o", s.native, "./test/guests/compute"); err != nil {
		return nil, err
	}
	if _, err := mustRun(ctx, 5*time.Minute, repo, []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"},
		"go", "build", "-trimpath", "-o", s.wasm, "./test/guests/compute"); err != nil {
		return nil, err
	}
	if err := wasmImage(ctx, repo, s.image, s.wasm); err != nil {
		return nil, err
	}
	s.versions[runNative] = firstLineOf(runCmd(ctx, 10*time.Second, repo, nil, "go", "env", "GOVERSION")) + " (-tags purego)"

	dir := filepath.Join(repo, ".cache", "bench", "bin")
	s.wazero = filepath.Join(dir, "wazero")
	if _, err := os.Stat(s.wazero); err != nil {
		step("installing wazero " + wazeroVersion + " into " + dir)
		// Outside the repository, so that our go.mod takes no part.
		if _, err := mustRun(ctx, 10*time.Minute, "/", []string{"GOBIN=" + dir, "GOFLAGS=", "GOWORK=off"},
			"go", "install", wazeroModule+"@"+wazeroVersion); err != nil {
			s.notes = append(s.notes, fmt.Sprintf("wazero was not run: `go install %s@%s` failed: %v", wazeroModule, wazeroVersion, err))
			s.wazero = ""
		}
	}
	if s.wazero != "" {
		s.versions[runWazero] = firstLineOf(runCmd(ctx, 10*time.Second, repo, nil, s.wazero, "version"))
	}
	if node, err := exec.LookPath("node"); err == nil {
		s.node = node
		s.versions[runNode] = firstLineOf(runCmd(ctx, 10*time.Second, repo, nil, node, "--version"))
	} else {
		s.notes = append(s.notes, "node was not run: it is not installed")
	}
	return s, nil
}

// benchCompute runs both programs with every runner, runs times each (after
// one warm-up run in a container, so that the module is in the compile
// cache), and keeps the minimum.
func benchCompute(ctx context.Context, c config, d *daemon, s *computeSetup) *computeResult {
	t0 := time.Now()
	res := &computeResult{daemon: d.version}
	defer func() { res.took = time.Since(t0) }()
	fail := func(msg string) {
		res.failures = append(res.failures, msg)
		fmt.Fprintln(os.Stderr, "bench: ERROR (compute, continuing):", msg)
	}
	if err := d.importImage(ctx, s.image.tar, s.image.ref); err != nil {
		fail(err.Error())
		return res
	}
	seq := 0
	for _, prog := range [][]string{{"nbody", strconv.Itoa(c.nbodySteps)}, {"sha256", strconv.Itoa(c.shaMiB)}} {
		row := computeRow{name: prog[0], args: prog, cells: map[string]computeCell{}}
		r := runCmd(ctx, 10*time.Minute, c.repo, nil, s.native, prog...)
		if !r.ok() {
			fail(fmt.Sprintf("%s natively: %s", row.label(), r))
			continue
		}
		row.expected = strings.TrimSpace(r.stdout)
		var rowIDs []string
		// Each runner's command line; a runner that is not available has
		// none.
		argvs := map[string]func() []string{}
		for _, runner := range computeRunners {
			switch runner {
			case runNative:
				argvs[runner] = func() []string { return append([]string{s.native}, prog...) }
			case runWasmtee:
				argvs[runner] = func() []string {
					seq++
					id := containerID("compute", prog[0], seq)
					rowIDs = append(rowIDs, id)
					return append([]string{d.ctrBin, "-a", d.sock, "-n", namespace},
						runArgs(runtimeWasm, s.image.ref, id, append([]string{"/compute.wasm"}, prog...))...)
				}
			case runWazero:
				if s.wazero != "" {
					argvs[runner] = func() []string { return append([]string{s.wazero, "run", s.wasm}, prog...) }
				}
			case runNode:
				if s.node != "" {
					argvs[runner] = func() []string { return append([]string{s.node, "--no-warnings", "-e", nodeWASI, s.wasm}, prog...) }
				}
			}
		}
		// warm-up: compiles the module into the daemon's cache
		a := argvs[runWasmtee]()
		if w := runCmd(context.WithoutCancel(ctx), 10*time.Minute, c.repo, nil, a[0], a[1:]...); !w.ok() {
			fail(fmt.Sprintf("%s in a wasmtee container (warm-up): %s", row.label(), w))
		}
		rowIDs = nil
		// The runners take turns (native, wasmtee, wazero, node, native,
		// ...), so that a slow spell of this shared machine hits them alike.
		step(fmt.Sprintf("compute: %s, %d rounds of %d runners in turn", row.label(), c.computeRuns, len(argvs)))
		for i := 0; i < c.computeRuns && ctx.Err() == nil; i++ {
			for _, runner := range computeRunners {
				argv, ok := argvs[runner]
				if !ok {
					continue
				}
				a := argv()
				// ctr must not be killed half-way (see daemon.ctr); the others may
				rctx := ctx
				if runner == runWasmtee {
					rctx = context.WithoutCancel(ctx)
				}
				r := runCmd(rctx, 10*time.Minute, c.repo, nil, a[0], a[1:]...)
				cell := row.cells[runner]
				cell.runs++
				switch {
				case !r.ok():
					cell.status = "FAILED"
					fail(fmt.Sprintf("%s under %s: %s", row.label(), runner, r))
				case strings.TrimSpace(r.stdout) != row.expected:
					cell.status = "MISMATCH"
					fail(fmt.Sprintf("%s under %s: output %q, natively %q", row.label(), runner, strings.TrimSpace(r.stdout), row.expected))
				}
				if cell.best == 0 || r.elapsed < cell.best {
					cell.best = r.elapsed
				}
				row.cells[runner] = cell
			}
		}
		if cell, ok := row.cells[runWasmtee]; ok {
			cell.exec = minExec(d.logPath(), rowIDs)
			row.cells[runWasmtee] = cell
		}
		res.rows = append(res.rows, row)
	}
	return res
}

// minExec is the shortest "module host created" -> "module exited" span of
// the containers ids in the daemon log (0 if none has both lines).
func minExec(logPath string, ids []string) time.Duration {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	evs := waitEvents(logPath, want, func(string) bool { return true })
	var best time.Duration
	for _, id := range ids {
		c, ok1 := evs[id][evCreated]
		e, ok2 := evs[id][evExited]
		if !ok1 || !ok2 {
			continue
		}
		if d := e.at.Sub(c.at); best == 0 || d < best {
			best = d
		}
	}
	return best
}
