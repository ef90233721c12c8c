package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// criSection renders item 4, "Kubernetes (CRI)": pod start and density for
// every daemon; method adds how it was measured (the document, not stdout).
func (r *results) criSection(goals []goalRow, method bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## 4. %s (Kubernetes, CRI): pod start and idle containers\n\n", itemNames[4])
	if !r.cfg.cri() {
		notMeasured(&b, "skipped (-skip-cri, or -skip-podstart and -skip-density)", goals, 4)
		return b.String()
	}
	if r.criNote != "" {
		notMeasured(&b, r.criNote, goals, 4)
		return b.String()
	}
	if method {
		b.WriteString("Pods made with crictl through the daemon's CRI plugin: runtime handler `wasmtee` (one shim per pod\n")
		b.WriteString("that runs the pod sandbox natively, one module host per container) against `runc` (one\n")
		b.WriteString("containerd-shim-runc-v2 per pod, the sandbox image's process, one process per container).\n\n")
		b.WriteString("- Every pod: hostNetwork (`namespace_options.network = 2`, no CNI), a `log_directory` and a cgroup parent of\n")
		fmt.Fprintf(&b, "  its own (`/%s/pod-UID`, cgroupfs), as a kubelet would give it. The sandbox image `%s`\n", criCgroupRoot, pauseRef)
		b.WriteString("  serves both handlers: a busybox-static image running `/bin/sleep infinity` (runc runs it; the wasmtee\n")
		b.WriteString("  shim never executes it).\n")
		b.WriteString("- Containers, all idle: the small guest, a WAT module that sleeps " + fmt.Sprint(sleeperSeconds) + " s in one `poll_oneoff`\n")
		b.WriteString("  (test/guests/wat/sleep.wat with a longer timeout); the Go guest (test/guests/goguest, a wasip1 Go program)\n")
		fmt.Fprintf(&b, "  with command `/goguest.wasm sleep %d`; runc, the busybox image with command `/bin/sleep %d`. The images\n", sleeperSeconds, sleeperSeconds)
		b.WriteString("  are imported into `k8s.io` with `ctr images import --all-platforms` (and `--local` on 2.x, so that ctr\n")
		b.WriteString("  unpacks the wasm images).\n")
		fmt.Fprintf(&b, "- Pod start: %d pods per handler (small guest against runc), interleaved (wasm, runc, wasm, ...) after a\n", r.cfg.podStarts)
		b.WriteString("  discarded warm-up pod each (the first wasm start compiles the module into the handler's compile cache).\n")
		b.WriteString("  Start is the wall time from `crictl runp` through `crictl create` and `crictl start` until `crictl inspect`\n")
		b.WriteString("  shows `CONTAINER_RUNNING`; teardown is `crictl stopp` and then `crictl rmp`. Each pod is removed before the\n")
		b.WriteString("  next one starts. Every step is a crictl process of its own (the same overhead for both handlers).\n")
		fmt.Fprintf(&b, "- Density: for each N of `-density`, N pods of one idle container each (\"×1\"), then N/%d pods of %d\n", perPodContainers, perPodContainers)
		b.WriteString("  containers each (\"×10\"); each shape with the small guest, the Go guest and runc in turn. One warm-up pod of\n")
		b.WriteString("  each wasm guest first puts its module in the handler's compile cache. The pods are started one after the\n")
		fmt.Fprintf(&b, "  other; one run's pods are all removed, and their processes gone, before the next run starts. %.0f s after\n", settle.Seconds())
		b.WriteString("  all containers are running, the `Pss:` of `/proc/PID/smaps_rollup` is summed over this daemon's shims of the\n")
		b.WriteString("  handler (known by their binary and their bundle directory or `-address`) and every process below them: the\n")
		b.WriteString("  module hosts for wasmtee; the sandbox and container processes for runc. The daemon's own memory is not\n")
		b.WriteString("  counted (the same code serves both handlers). PSS divides each page among the processes that map it, so the\n")
		b.WriteString("  sum is what the set of processes costs; `anon` is its anonymous memory, `file` its share of mapped files\n")
		b.WriteString("  (binaries, libraries, compiled modules). The shared pages are divided among more processes the more\n")
		b.WriteString("  containers there are, so the MiB per container fall as N grows.\n")
		fmt.Fprintf(&b, "- Memory guard: before each pod the tool reads MemAvailable; a run that is below, or on its way below,\n")
		fmt.Fprintf(&b, "  `-mem-floor` (%d MiB) is stopped, its pods removed, and it is reported as not measured.\n\n", r.cfg.memFloorMiB)
	}
	for _, d := range r.daemons {
		if d.cri == nil {
			continue
		}
		r.criDaemon(&b, d)
	}
	goalTable(&b, goals, 4)
	var ns []string
	for _, n := range r.cfg.density {
		ns = append(ns, fmt.Sprint(n))
	}
	var flags []string
	switch {
	case r.cfg.runs(secPodStart) && r.cfg.runs(secDensity):
		flags = append(flags, "-only cri")
	case r.cfg.runs(secPodStart):
		flags = append(flags, "-only podstart")
	default:
		flags = append(flags, "-only density")
	}
	if r.cfg.runs(secPodStart) {
		flags = append(flags, fmt.Sprintf("-pod-starts %d", r.cfg.podStarts))
	}
	if r.cfg.runs(secDensity) {
		flags = append(flags, "-density "+strings.Join(ns, ","))
		if r.cfg.memFloorMiB != defaultMemFloorMiB {
			flags = append(flags, fmt.Sprintf("-mem-floor %d", r.cfg.memFloorMiB))
		}
	}
	r.footer(&b, strings.Join(flags, " "))
	return b.String()
}

func (r *results) criDaemon(b *strings.Builder, d daemonResult) {
	c := d.cri
	wasm, runc := c.starts["wasm"], c.starts["runc"]
	if r.cfg.runs(secPodStart) {
		fmt.Fprintf(b, "### containerd %s: pod start and teardown (%d pods each, interleaved)\n\n", d.server, r.cfg.podStarts)
	}
	switch {
	case !r.cfg.runs(secPodStart):
	case len(wasm) == 0 || len(runc) == 0:
		b.WriteString("Not measured (see the failures below).\n\n")
	default:
		fmt.Fprintf(b, "wasm: %s; runc: %s. Milliseconds. The whole CRI section took %.0f s on this daemon.\n\n",
			r.cri.wasm.label, r.cri.runc.label, c.took.Seconds())
		b.WriteString("| | wasm p50 | wasm p95 | runc p50 | runc p95 | wasm/runc p50 | wasm/runc p95 |\n|---|--:|--:|--:|--:|--:|--:|\n")
		rows := []struct {
			label string
			f     func(podStart) time.Duration
		}{
			{"**start**: `runp` → `CONTAINER_RUNNING`", func(p podStart) time.Duration { return p.up }},
			{"**teardown**: `stopp` + `rmp`", func(p podStart) time.Duration { return p.down }},
			{"`crictl runp`", func(p podStart) time.Duration { return p.runp }},
			{"`crictl create`", func(p podStart) time.Duration { return p.create }},
			{"`crictl start`", func(p podStart) time.Duration { return p.start }},
			{"`crictl inspect` (until running)", func(p podStart) time.Duration { return p.inspect }},
			{"`crictl stopp`", func(p podStart) time.Duration { return p.stopp }},
			{"`crictl rmp`", func(p podStart) time.Duration { return p.rmp }},
		}
		for _, row := range rows {
			ws, rs := summarize(podDurations(wasm, row.f)), summarize(podDurations(runc, row.f))
			fmt.Fprintf(b, "| %s | %.1f | %.1f | %.1f | %.1f | %.2fx | %.2fx |\n", row.label,
				ms(ws.p50), ms(ws.p95), ms(rs.p50), ms(rs.p95), ratio(ws.p50, rs.p50), ratio(ws.p95, rs.p95))
		}
		first := 0
		for _, p := range append(append([]podStart{}, wasm...), runc...) {
			if p.inspects == 1 {
				first++
			}
		}
		fmt.Fprintf(b, "\nThe rows below the first two are p50/p95 of each crictl process alone. `crictl inspect` showed\n"+
			"`CONTAINER_RUNNING` at its first call for %d of the %d pods.\n\n", first, len(wasm)+len(runc))
	}

	if r.cfg.runs(secDensity) {
		r.densityTables(b, d)
	}
	if len(c.failures) > 0 {
		b.WriteString("**Failures** (the part was skipped):\n\n")
		for _, f := range c.failures {
			fmt.Fprintf(b, "- %s\n", strings.ReplaceAll(strings.TrimSpace(f), "\n", " "))
		}
		b.WriteString("\n")
	}
	if len(c.warnings) > 0 {
		b.WriteString("Warnings:\n\n")
		for _, w := range c.warnings {
			fmt.Fprintf(b, "- %s\n", w)
		}
		b.WriteString("\n")
	}
}

// densityTables: MiB per container for every N and shape, side by side,
// then every run in detail, then by kind of process.
func (r *results) densityTables(b *strings.Builder, d daemonResult) {
	c := d.cri
	fmt.Fprintf(b, "### containerd %s: density (idle containers, PSS of the handler's processes)\n\n", d.server)
	if len(c.density) == 0 {
		b.WriteString("Not measured (see the failures below).\n\n")
		return
	}
	find := func(key string, n, perPod int) *densityResult {
		for i, dr := range c.density {
			if dr.w.key == key && dr.containers() == n && dr.perPod == perPod {
				return &c.density[i]
			}
		}
		return nil
	}
	perCtr := func(dr *densityResult) (float64, bool) {
		if dr == nil || dr.err != nil || dr.mem.total().pss == 0 {
			return 0, false
		}
		return mib(dr.mem.total().pss) / float64(dr.containers()), true
	}
	cell := func(dr *densityResult) string {
		switch v, ok := perCtr(dr); {
		case ok:
			return fmt.Sprintf("%.2f", v)
		case dr != nil && dr.guard:
			return "stopped (memory guard)"
		case dr != nil:
			return "failed"
		}
		return "–"
	}
	rat := func(a, b *densityResult) string {
		va, oka := perCtr(a)
		vb, okb := perCtr(b)
		if !oka || !okb {
			return "–"
		}
		return fmt.Sprintf("**%.2fx**", va/vb)
	}
	b.WriteString("MiB of PSS per container (shims and module hosts, or shims and container processes, divided by the containers):\n\n")
	b.WriteString("| N containers | pods × containers | WAT guest | Go guest | runc | WAT / runc | Go / runc |\n|--:|---|--:|--:|--:|--:|--:|\n")
	for _, n := range r.cfg.density {
		for _, perPod := range []int{1, perPodContainers} {
			w, g, rc := find("wasm", n, perPod), find("go", n, perPod), find("runc", n, perPod)
			fmt.Fprintf(b, "| %d | %d × %d | %s | %s | %s | %s | %s |\n", n, n/perPod, perPod, cell(w), cell(g), cell(rc), rat(w, rc), rat(g, rc))
		}
	}
	b.WriteString("\nEvery run:\n\n")
	b.WriteString("| pods × containers | guest | processes | PSS MiB | MiB per pod | MiB per container | all running after s | all removed after s | MemAvailable before / lowest GiB |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, dr := range c.density {
		avail := fmt.Sprintf("%.1f / %.1f", mib(dr.availBefore)/1024, mib(dr.availLow)/1024)
		if dr.err != nil {
			what := "failed"
			if dr.guard {
				what = "stopped by the memory guard"
			}
			fmt.Fprintf(b, "| %d × %d | %s | %s | | | | | | %s |\n", dr.pods, dr.perPod, dr.w.short, what, avail)
			continue
		}
		t := dr.mem.total()
		fmt.Fprintf(b, "| %d × %d | %s | %d | %.1f | %.2f | %.2f | %.1f | %.1f | %s |\n", dr.pods, dr.perPod, dr.w.short,
			dr.mem.processes(), mib(t.pss), mib(t.pss)/float64(dr.pods), mib(t.pss)/float64(dr.containers()),
			dr.setup.Seconds(), dr.remove.Seconds(), avail)
	}
	b.WriteString("\n")
	if !slices.ContainsFunc(c.density, func(dr densityResult) bool { return dr.err == nil }) {
		return
	}
	b.WriteString("By kind of process (MiB; per process = PSS / count):\n\n")
	b.WriteString("| pods × containers | guest | process | count | PSS | per process | anon | file | RSS per process |\n")
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, dr := range c.density {
		if dr.err != nil {
			continue
		}
		for _, g := range dr.mem.groups {
			n := float64(g.n)
			fmt.Fprintf(b, "| %d × %d | %s | %s | %d | %.1f | %.2f | %.1f | %.1f | %.2f |\n", dr.pods, dr.perPod, dr.w.short, g.kind, g.n,
				mib(g.pss), mib(g.pss)/n, mib(g.anon), mib(g.file), mib(g.rss)/n)
		}
	}
	b.WriteString("\n")
}

func podDurations(ps []podStart, f func(podStart) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}
