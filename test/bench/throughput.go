package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmtee/wasmtee/test/stress"
)

// The start-throughput benchmark: the stress tool (test/stress, the code
// behind cmd/wasmtee-stress and `make stress`) run in this process against
// the benchmark's daemon, first with the wasmtee hello image and then with
// runc and busybox `echo hi`, the same count and parallelism each.

// runwasiTasksPerSecond is what runwasi's benchmark page publishes for its
// wasmtime shim (docs/stress.md has the source): another machine and setup,
// quoted for context and never divided by.
const runwasiTasksPerSecond = 329.85

// throughputRun is one runtime's stress run.
type throughputRun struct {
	key, label string
	rep        *stress.Report // nil: the tool gave no report (see err)
	err        error
}

func (t throughputRun) ok() bool { return t.rep != nil && t.rep.Completed > 0 && t.rep.Throughput > 0 }

// throughputResult: wasmtee's and runc's runs on one daemon.
type throughputResult struct {
	wasm, runc throughputRun
	took       time.Duration
}

// ratio is wasmtee's runs per second over runc's (0 if either is missing).
func (t *throughputResult) ratio() float64 {
	if t == nil || !t.wasm.ok() || !t.runc.ok() {
		return 0
	}
	return t.wasm.rep.Throughput / t.runc.rep.Throughput
}

// benchThroughput runs the stress tool twice on d: wasmtee, then runc.
func benchThroughput(ctx context.Context, c config, d *daemon, hello, busybox image) *throughputResult {
	t0 := time.Now()
	res := &throughputResult{}
	runID := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	for _, r := range []struct {
		dst        *throughputRun
		key, label string
		runtime    string
		ref        string
	}{
		{&res.wasm, "wasm", "wasmtee, wasm hello (hello.wat)", runtimeWasm, hello.ref},
		{&res.runc, "runc", "runc, busybox `/bin/echo hi`", runtimeRunc, busybox.ref},
	} {
		*r.dst = throughputRun{key: r.key, label: r.label}
		if err := ctx.Err(); err != nil {
			r.dst.err = err
			continue
		}
		step(fmt.Sprintf("containerd %s: start throughput, %s: %d runs, %d in parallel (the stress tool)", d.version, r.key, c.throughput, c.throughputP))
		r.dst.rep, r.dst.err = runStress(ctx, d, c, r.runtime, r.ref, containerID("tp", r.key, runID))
		if r.dst.rep != nil {
			fmt.Fprintf(os.Stderr, "  %d runs, %d failed, %.2f runs/s, leak check %s\n",
				r.dst.rep.Completed, r.dst.rep.Failures, r.dst.rep.Throughput, leakVerdict(r.dst.rep))
		}
		if r.dst.err != nil {
			fmt.Fprintln(os.Stderr, "bench: ERROR (throughput, continuing):", r.dst.err)
		}
	}
	res.took = time.Since(t0)
	return res
}

// runStress runs the stress tool in this process and decodes its report.
// Its progress lines go to stderr. A run that fails or leaks still has a
// report (err says why).
func runStress(ctx context.Context, d *daemon, c config, runtime, ref, prefix string) (*stress.Report, error) {
	args := []string{
		"-address", d.sock, "-namespace", namespace, "-image", ref, "-runtime", runtime,
		"-n", strconv.Itoa(c.throughput), "-p", strconv.Itoa(c.throughputP),
		"-root", filepath.Join(d.dir, "root"), "-state", filepath.Join(d.dir, "state"),
		"-id-prefix", prefix, "-json",
	}
	var stdout bytes.Buffer
	code := stress.Main(args, &stdout, os.Stderr)
	if ctx.Err() != nil && stdout.Len() == 0 {
		return nil, ctx.Err()
	}
	if stdout.Len() == 0 {
		return nil, fmt.Errorf("the stress tool exited %d without a report (wasmtee-stress %s)", code, strings.Join(args, " "))
	}
	var rep stress.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("the stress tool's report: %w", err)
	}
	if code != 0 || !rep.Pass {
		return &rep, fmt.Errorf("the stress run did not pass (exit %d): %s", code, strings.Join(rep.Reasons, "; "))
	}
	return &rep, nil
}

// leakVerdict: "clean", "LEAKED: ...", or "not checked".
func leakVerdict(r *stress.Report) string {
	if r.Leaks == nil {
		return "not checked"
	}
	if !r.Leaks.Leaked {
		return "clean"
	}
	var what []string
	for _, it := range r.Leaks.Items {
		if len(it.Leaked) > 0 {
			what = append(what, fmt.Sprintf("%s: %d", it.What, len(it.Leaked)))
		}
	}
	return "LEAKED: " + strings.Join(what, "; ")
}

// latencyOf is the stress report's line for a phase ("total", "create", ...).
func latencyOf(r *stress.Report, phase string) (p50, p90, p99 float64, ok bool) {
	for _, l := range r.Latency {
		if l.Phase == phase && l.N > 0 {
			return l.P50, l.P90, l.P99, true
		}
	}
	return 0, 0, 0, false
}
