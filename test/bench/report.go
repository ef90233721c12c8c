package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// report is the run rendered twice: the results alone (stdout) and the whole
// document (docs/benchmarks.md).
type report struct {
	results  string
	document string
}

func (r *results) markdown() report {
	goals := r.goals()
	trim := func(s string) string { return strings.TrimRight(s, "\n") + "\n" }
	var sum strings.Builder
	sum.WriteString("## Goals\n\n")
	summaryTable(&sum, goals)
	results := trim(r.sections(goals, false) + sum.String())
	return report{results: results, document: r.document(goals, trim(r.sections(goals, true)))}
}

// sections renders items 1-6; method adds how each was measured (the
// document, not stdout).
func (r *results) sections(goals []goalRow, method bool) string {
	var b strings.Builder
	r.coldSection(&b, goals, method)
	r.throughputSection(&b, goals, method)
	r.largeSection(&b, goals, method)
	b.WriteString(r.criSection(goals, method))
	r.computeSection(&b, goals, method)
	r.attestSection(&b, goals, method)
	var warnings []string
	for _, d := range r.daemons {
		for _, w := range d.warnings {
			warnings = append(warnings, fmt.Sprintf("containerd %s: %s", d.server, w))
		}
	}
	if len(warnings) > 0 {
		b.WriteString("## Warnings\n\n")
		for _, w := range warnings {
			fmt.Fprintf(&b, "- %s\n", w)
		}
		b.WriteString("\n")
	}
	if len(r.leftovers) > 0 {
		b.WriteString("**Left behind after the run** (the tool removes what it creates; these were not):\n\n")
		for _, l := range r.leftovers {
			fmt.Fprintf(&b, "- %s\n", l)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// notMeasured is the body of a section that was not measured: why, and
// its goals (NOT MEASURED).
func notMeasured(b *strings.Builder, why string, goals []goalRow, item int) {
	fmt.Fprintf(b, "Not measured: %s\n\n", why)
	goalTable(b, goals, item)
}

// footer: when the section was measured, and how to measure it alone.
func (r *results) footer(b *strings.Builder, flags string) {
	cmd := "scripts/bench.sh " + flags
	if d := r.cfg.daemonsFlag(); d != "2.4" {
		cmd += " -daemons " + d
	}
	fmt.Fprintf(b, "Measured %s on the machine above. This section alone: `%s`.\n\n", r.machine.date.Format("2006-01-02 15:04 MST"), cmd)
}

func (r *results) coldSection(b *strings.Builder, goals []goalRow, method bool) {
	fmt.Fprintf(b, "## 1. %s\n\n", itemNames[1])
	if !r.cfg.runs(secCold) {
		notMeasured(b, "skipped (-skip-cold)", goals, 1)
		return
	}
	if method {
		b.WriteString("- Each sample is the wall time of one `ctr -a SOCK run --rm --runtime RUNTIME IMAGE ID [ARGS]` process,\n")
		b.WriteString("  from fork to exit: container create, task start, the workload, exit, task and container delete.\n")
		b.WriteString("- The workloads are started in turn (wasm hello, runc, Go guest, wasm hello, ...) so that\n")
		b.WriteString("  machine noise hits all alike; the first round is a discarded warm-up (it unpacks the images and\n")
		b.WriteString("  fills the compile cache). The measured wasm starts therefore load their module from the compile cache.\n")
		b.WriteString("- runc baseline: a busybox-static image (linux/amd64, one layer) running `/bin/echo hi`. containerd 2.4\n")
		b.WriteString("  cannot drive Debian's 1.6 runc shim, so on 2.4 it is containerd-shim-runc-v2 2.4.2, built into `.cache/bench/bin`.\n")
		b.WriteString("- Phases: the daemon log's timestamps of \"connecting to shim\", the shim's \"module host created\" and\n")
		b.WriteString("  \"module exited\", and \"shim disconnected\", against the start and end of each ctr process.\n\n")
	}
	for _, d := range r.daemons {
		sum := map[string]summary{}
		for k, s := range d.cold {
			sum[k] = summarize(durations(s))
		}
		fmt.Fprintf(b, "### containerd %s: `ctr run --rm`, wall time, %d starts each, interleaved\n\n", d.server, r.cfg.n)
		b.WriteString("| container | runtime | p50 ms | p95 ms | min ms | max ms |\n|---|---|--:|--:|--:|--:|\n")
		for _, w := range r.workloads {
			s := sum[w.key]
			label := w.label
			if size, ok := r.sizes[w.key]; ok {
				label += ", " + humanBytes(size)
			}
			fmt.Fprintf(b, "| %s | %s | %.1f | %.1f | %.1f | %.1f |\n", label, shortRuntime(w.runtime), ms(s.p50), ms(s.p95), ms(s.min), ms(s.max))
		}
		runc := sum[runcKey]
		b.WriteString("\n| ratio to runc | p50 | p95 |\n|---|--:|--:|\n")
		for _, w := range r.workloads {
			if w.wasm() {
				s := sum[w.key]
				fmt.Fprintf(b, "| %s / runc | %.2fx | %.2fx |\n", w.label, ratio(s.p50, runc.p50), ratio(s.p95, runc.p95))
			}
		}
		b.WriteString("\n")
		r.phaseSection(b, d)
	}
	goalTable(b, goals, 1)
	r.footer(b, fmt.Sprintf("-only cold -n %d", r.cfg.n))
}

func (r *results) throughputSection(b *strings.Builder, goals []goalRow, method bool) {
	fmt.Fprintf(b, "## 2. %s\n\n", itemNames[2])
	if !r.cfg.runs(secThroughput) {
		notMeasured(b, "skipped (-skip-throughput)", goals, 2)
		return
	}
	if method {
		b.WriteString("- The stress tool (`test/stress`, the code of `cmd/wasmtee-stress` and `make stress`; docs/stress.md), run inside\n")
		b.WriteString("  this tool against the benchmark's daemon: N runs of create, start, wait and delete of a container\n")
		b.WriteString("  (`NewContainer`, `NewTask`, `Start`, the exit status, task and container `Delete`) through the containerd\n")
		b.WriteString("  1.7 Go client, P at a time. First wasmtee (the WAT hello image), then runc (busybox `/bin/echo hi`), on the\n")
		b.WriteString("  same daemon, back to back. Throughput is runs made / wall time of all runs; latencies are nearest-rank\n")
		b.WriteString("  percentiles over the successful runs. After each run the tool checks that nothing was left behind\n")
		b.WriteString("  (processes, fds, mounts, cgroups, task state directories, shim sockets).\n\n")
	}
	for _, d := range r.daemons {
		t := d.throughput
		if t == nil {
			continue
		}
		fmt.Fprintf(b, "### containerd %s: %d runs each, %d in parallel (took %.0f s)\n\n", d.server, r.cfg.throughput, r.cfg.throughputP, t.took.Seconds())
		b.WriteString("| runtime | runs | failed | wall s | runs/s | total p50 / p90 / p99 ms | create p50 ms | start p50 ms | delete p50 ms | leak check | load avg before → after |\n")
		b.WriteString("|---|--:|--:|--:|--:|---|--:|--:|--:|---|---|\n")
		for _, run := range []throughputRun{t.wasm, t.runc} {
			if run.rep == nil {
				fmt.Fprintf(b, "| %s | failed: %s | | | | | | | | | |\n", run.label, oneLine(run.err))
				continue
			}
			rp := run.rep
			tp50, tp90, tp99, _ := latencyOf(rp, "total")
			c50, _, _, _ := latencyOf(rp, "create")
			s50, _, _, _ := latencyOf(rp, "start")
			d50, _, _, _ := latencyOf(rp, "delete")
			fmt.Fprintf(b, "| %s | %d | %d | %.1f | **%.2f** | %.0f / %.0f / %.0f | %.0f | %.0f | %.0f | %s | %s → %s |\n",
				run.label, rp.Completed, rp.Failures, rp.WallSeconds, rp.Throughput, tp50, tp90, tp99, c50, s50, d50,
				leakVerdict(rp), rp.LoadBefore, rp.LoadAfter)
		}
		b.WriteString("\n")
		if rt := t.ratio(); rt > 0 {
			fmt.Fprintf(b, "wasmtee / runc runs per second: **%.2fx** (%.2f / %.2f).\n\n", rt, t.wasm.rep.Throughput, t.runc.rep.Throughput)
		}
		for _, run := range []throughputRun{t.wasm, t.runc} {
			if run.err != nil {
				fmt.Fprintf(b, "- %s: %s\n", run.label, oneLine(run.err))
			}
			if run.rep != nil {
				for _, e := range run.rep.FirstErrors {
					fmt.Fprintf(b, "  - %s\n", e)
				}
				for _, w := range run.rep.Warnings {
					fmt.Fprintf(b, "  - warning: %s\n", w)
				}
			}
		}
	}
	fmt.Fprintf(b, "For context only: runwasi's benchmark page publishes %.2f tasks/s (about 330) for its wasmtime shim, 1,000 tasks of\n", runwasiTasksPerSecond)
	b.WriteString("a hello module with its `stress-test` crate. That figure is from another machine and another setup\n")
	b.WriteString("(docs/stress.md has the source and what is known of it), so no ratio to it is given.\n\n")
	goalTable(b, goals, 2)
	r.footer(b, fmt.Sprintf("-only throughput -throughput %d -throughput-p %d", r.cfg.throughput, r.cfg.throughputP))
}

func (r *results) largeSection(b *strings.Builder, goals []goalRow, method bool) {
	fmt.Fprintf(b, "## 3. %s\n\n", itemNames[3])
	if r.large == nil || !r.cfg.runs(secLarge) {
		notMeasured(b, r.largeNote, goals, 3)
		return
	}
	lm := r.large
	if method {
		fmt.Fprintf(b, "- A real third-party WASI program, %s (%s, the hardware synthesis suite Yosys, C++, compiled to a WASI preview1\n  command by YoWASP, npm %s),\n", filepath.Base(lm.path), humanBytes(lm.size), largePackage)
		b.WriteString("  fetched once with `npm pack` into `.cache/bench/npm/`, run as `" + strings.Join(r.largeWl.args, " ") + "`.\n")
		b.WriteString("- \"First start\" follows emptying the daemon's compile cache (`*.cwasm`, `*.mac`); \"no cache\" empties\n")
		b.WriteString("  it before every start. The daemon log's `module host created ... source=` is checked for each start.\n")
		b.WriteString("- The \"cached hello\" it is compared with: a cached start of the hello module just before each cached\n" +
			"  start of the large one, so that both see the same machine load.\n\n")
	}
	for _, d := range r.daemons {
		if d.large == nil {
			continue
		}
		cached, nocache := summarize(durations(d.large.cached)), summarize(durations(d.large.nocache))
		first := d.large.first.elapsed()
		fmt.Fprintf(b, "### containerd %s: %s (%s, from npm %s), `%s`\n\n", d.server, r.largeWl.label, humanBytes(lm.size), lm.pkg, strings.Join(r.largeWl.args, " "))
		b.WriteString("| start | runs | p50 ms | min ms | max ms |\n|---|--:|--:|--:|--:|\n")
		fmt.Fprintf(b, "| first start, empty compile cache (compiles, stores) | 1 | %.1f | %.1f | %.1f |\n", ms(first), ms(first), ms(first))
		fmt.Fprintf(b, "| cached (artifact in the compile cache) | %d | %.1f | %.1f | %.1f |\n", cached.n, ms(cached.p50), ms(cached.min), ms(cached.max))
		fmt.Fprintf(b, "| no cache (cache emptied before each start) | %d | %.1f | %.1f | %.1f |\n", nocache.n, ms(nocache.p50), ms(nocache.min), ms(nocache.max))
		if len(d.large.hello) > 0 {
			h := summarize(durations(d.large.hello))
			fmt.Fprintf(b, "| cached hello, each started just before a cached large start | %d | %.1f | %.1f | %.1f |\n", h.n, ms(h.p50), ms(h.min), ms(h.max))
		}
		if hello := largeHelloP50(d); hello > 0 {
			fmt.Fprintf(b, "\ncached large p50 − cached hello p50 = **%+.1f ms** (%.1f − %.1f)\n", ms(cached.p50-hello), ms(cached.p50), ms(hello))
		}
		if h, ok := r.micro.hash(filepath.Base(lm.path)); ok {
			fmt.Fprintf(b, "\nFor scale: hashing the module (sha256 of %s, measured in this process, section 6) takes %.1f ms.\n", humanBytes(h.size), ms(h.perOp))
		}
		b.WriteString("\n")
	}
	goalTable(b, goals, 3)
	r.footer(b, fmt.Sprintf("-only cold,large -n %d -cached %d -nocache %d", r.cfg.n, r.cfg.cached, r.cfg.nocache))
}

// phaseSection: where the time of a start goes (p50 of each phase).
func (r *results) phaseSection(b *strings.Builder, d daemonResult) {
	t := d.phases
	if len(t.columns) == 0 {
		return
	}
	fmt.Fprintf(b, "### containerd %s: where the time goes (p50 per phase, ms; from the daemon log's timestamps)\n\n| phase |", d.server)
	for _, c := range t.columns {
		fmt.Fprintf(b, " %s |", c)
	}
	b.WriteString("\n|---|" + strings.Repeat("--:|", len(t.columns)) + "\n")
	for i, p := range phases {
		fmt.Fprintf(b, "| %s |", p.label)
		for j := range t.columns {
			if t.ok[i][j] {
				fmt.Fprintf(b, " %.1f |", ms(t.p50[i][j]))
			} else {
				b.WriteString(" – |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nThe medians of the phases need not add up to the median of the whole.")
	if !slices.Contains(t.ok[0], true) {
		b.WriteString(" This daemon does not log when a shim is up (\"connecting to shim\"): the rows that start or end there are empty.")
	}
	b.WriteString("\n\n")
}

func (r *results) document(goals []goalRow, resultsMD string) string {
	m := r.machine
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Generated by `make bench` (`scripts/bench.sh`, the tool in `test/bench/`). Every number below comes\n")
	b.WriteString("from the run on the date shown; rerun to refresh it, do not edit by hand. The chart and every table\n")
	b.WriteString("are drawn from the same run.\n\n")
	fmt.Fprintf(&b, "## Goals\n\nMeasured %s on the machine below (`%s`).\n\n", m.date.Format("2006-01-02 15:04 MST"), r.cfg.commandLine())
	if r.cfg.chart != "" && r.chartNote == "" {
		rel, err := filepath.Rel(filepath.Dir(r.cfg.out), r.cfg.chart)
		if err != nil {
			rel = r.cfg.chart
		}
		fmt.Fprintf(&b, "![wasmtee against its baselines, ratio per item, goals marked](%s)\n\n", filepath.ToSlash(rel))
		b.WriteString("Each bar runs from parity (1x) to wasmtee's figure divided by its baseline's (runc, native, a peer, or\n")
		b.WriteString("the goal itself), on a log scale; the black mark is the goal. Green: goal met; red: not met; grey: no goal of\n")
		b.WriteString("its own (shown beside one).\n\n")
	} else if r.chartNote != "" {
		fmt.Fprintf(&b, "(No chart: %s.)\n\n", r.chartNote)
	}
	summaryTable(&b, goals)
	b.WriteString("## Machine\n\n")
	fmt.Fprintf(&b, "- date: %s\n", m.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- CPUs (`nproc`): %s\n", m.nproc)
	fmt.Fprintf(&b, "- CPU: %s\n", m.cpu)
	fmt.Fprintf(&b, "- kernel: %s (%s)\n", m.kernel, m.os)
	fmt.Fprintf(&b, "- memory: %s\n", m.memory)
	for _, d := range r.daemons {
		fmt.Fprintf(&b, "- containerd %s (private daemon, overlayfs snapshotter), runc shim %s\n", d.server, d.runcShim)
	}
	fmt.Fprintf(&b, "- runc: %s\n", m.runc)
	fmt.Fprintf(&b, "- wasmtee: %s (tree: %s)\n\n", m.wasmtee, m.revision)
	b.WriteString("## Reproduce\n\n```sh\n")
	b.WriteString("make bench                     # everything, containerd 2.4.2\n")
	b.WriteString("BENCH_DAEMONS=both make bench  # also containerd 1.6\n")
	b.WriteString("scripts/bench.sh -only compute  # one section (cold, throughput, large, podstart, density, cri, compute, attest)\n")
	b.WriteString("scripts/bench.sh -n 3 -throughput 50 -density 20 -pod-starts 3 -compute-runs 1 -nbody 1000000 -sha 16 -attest 5 -o /tmp/b.md\n")
	b.WriteString("                               # a short run of every section\n")
	b.WriteString("scripts/bench.sh -h             # every flag, and -skip-SECTION for each section\n```\n\n")
	fmt.Fprintf(&b, "This run: `%s` (took %.0f s). Anything that starts containerd daemons on a shared machine should hold\n", r.cfg.commandLine(), r.took.Seconds())
	b.WriteString("`flock /tmp/wasmtee-daemons.lock` (the end-to-end tests take the same lock).\n\n")
	b.WriteString("## Method\n\n")
	b.WriteString("- One private containerd per version (`scripts/containerd.sh`), fresh for the run and stopped after it, with\n")
	b.WriteString("  everything under `.cache/bench/`; wasmtee and runc run on the same daemon. Each section below says how it measures.\n")
	b.WriteString("- Percentiles of the tool's own samples interpolate linearly between the closest ranks (p50 of an even count\n")
	b.WriteString("  is the mean of the middle two); the stress tool's are nearest-rank.\n")
	b.WriteString("- Goals: items 1-5 are the performance issue's; the attestation goals (item 6) are this tool's own, since the\n")
	b.WriteString("  issue asks only for the costs. A goal that was not measured is NOT MEASURED, never MET.\n\n")
	b.WriteString(resultsMD)
	return b.String()
}

func (c config) daemonsFlag() string {
	if len(c.versions) == 2 {
		return "both"
	}
	return strings.Join(c.versions, ",")
}

// commandLine is the run's configuration as flags.
func (c config) commandLine() string {
	s := fmt.Sprintf("scripts/bench.sh -daemons %s", c.daemonsFlag())
	if c.runs(secCold) || c.runs(secLarge) {
		s += fmt.Sprintf(" -n %d", c.n)
	}
	if c.runs(secLarge) {
		s += fmt.Sprintf(" -cached %d -nocache %d", c.cached, c.nocache)
	}
	if c.runs(secThroughput) {
		s += fmt.Sprintf(" -throughput %d -throughput-p %d", c.throughput, c.throughputP)
	}
	if c.runs(secPodStart) {
		s += fmt.Sprintf(" -pod-starts %d", c.podStarts)
	}
	if c.runs(secDensity) {
		var ns []string
		for _, n := range c.density {
			ns = append(ns, fmt.Sprint(n))
		}
		s += " -density " + strings.Join(ns, ",")
		if c.memFloorMiB != defaultMemFloorMiB {
			s += fmt.Sprintf(" -mem-floor %d", c.memFloorMiB)
		}
	}
	if c.runs(secCompute) {
		s += fmt.Sprintf(" -compute-runs %d -nbody %d -sha %d", c.computeRuns, c.nbodySteps, c.shaMiB)
	}
	if c.runs(secAttest) {
		s += fmt.Sprintf(" -attest %d", c.attestN)
	}
	for _, sec := range allSections {
		if !c.runs(sec) {
			s += " -skip-" + sec
		}
	}
	return s
}

// oneLine is err on one line (or "").
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}

func verdict(met bool) string {
	if met {
		return "MET"
	}
	return "NOT MET"
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func shortRuntime(rt string) string {
	if rt == runtimeWasm {
		return "wasmtee"
	}
	return "runc"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
