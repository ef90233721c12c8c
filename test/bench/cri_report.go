package main

import (
	"fmt"
	"strings"
	"time"
)

// criSection renders the "Kubernetes (CRI)" section for every daemon;
// method adds how it was measured (the document, not stdout).
func (r *results) criSection(method bool) string {
	var b strings.Builder
	b.WriteString("## Kubernetes (CRI)\n\n")
	if r.cfg.skipCRI {
		b.WriteString("Not measured: skipped (-skip-cri).\n\n")
		return b.String()
	}
	if r.criNote != "" {
		fmt.Fprintf(&b, "Not measured: %s\n\n", r.criNote)
		return b.String()
	}
	if method {
		b.WriteString("Pods made with crictl through the daemon's CRI plugin: runtime handler `wasmtee` (one shim per pod\n")
		b.WriteString("that runs the pod sandbox natively, one module host per container) against `runc` (one\n")
		b.WriteString("containerd-shim-runc-v2 per pod, the sandbox image's process, one process per container).\n\n")
		b.WriteString("```sh\n")
		fmt.Fprintf(&b, "make bench                                  # everything, containerd 2.4.2 (%d pods in the density runs)\n", defaultPods)
		b.WriteString("scripts/bench.sh -skip-large -pods 50        # fewer density pods, no large module\n")
		b.WriteString("BENCH_DAEMONS=both make bench                # also containerd 1.6\n")
		b.WriteString("scripts/bench.sh -skip-cri                   # without this section\n")
		b.WriteString("```\n\n")
		b.WriteString("- Every pod: hostNetwork (`namespace_options.network = 2`, no CNI), a `log_directory` and a cgroup parent of\n")
		fmt.Fprintf(&b, "  its own (`/%s/pod-UID`, cgroupfs), as a kubelet would give it. The sandbox image `%s`\n", criCgroupRoot, pauseRef)
		b.WriteString("  serves both handlers: a busybox-static image running `/bin/sleep infinity` (runc runs it; the wasmtee\n")
		b.WriteString("  shim never executes it).\n")
		fmt.Fprintf(&b, "- Containers: wasm, a WAT module that sleeps %d s in one `poll_oneoff` (test/guests/wat/sleep.wat with a\n", sleeperSeconds)
		fmt.Fprintf(&b, "  longer timeout); runc, the busybox image with command `/bin/sleep %d`. The images are imported into\n", sleeperSeconds)
		b.WriteString("  `k8s.io` with `ctr images import --all-platforms` (and `--local` on 2.x, so that ctr unpacks the wasm image).\n")
		fmt.Fprintf(&b, "- Pod start: %d pods per handler, interleaved (wasm, runc, wasm, ...) after a discarded warm-up pod each (the\n", criStartPods)
		b.WriteString("  first wasm start compiles the module into the handler's compile cache). Start is the wall time from\n")
		b.WriteString("  `crictl runp` through `crictl create` and `crictl start` until `crictl inspect` shows `CONTAINER_RUNNING`;\n")
		b.WriteString("  teardown is `crictl stopp` and then `crictl rmp`. Each pod is removed before the next one starts. Every\n")
		b.WriteString("  step is a crictl process of its own (the same overhead for both handlers).\n")
		fmt.Fprintf(&b, "- Density: N pods (`-pods`) of one idle container each, then %d pods of %d containers each. The pods are\n", multiPods, perPodContainers)
		b.WriteString("  started one after the other, one handler at a time (the first handler's pods are\n")
		fmt.Fprintf(&b, "  all removed, and their processes gone, before the second's start). %.0f s after all containers are running,\n", settle.Seconds())
		b.WriteString("  the `Pss:` of `/proc/PID/smaps_rollup` is summed over this daemon's shims of the handler (known by their\n")
		b.WriteString("  binary and their bundle directory or `-address`) and every process below them: the module hosts for\n")
		b.WriteString("  wasmtee; the sandbox and container processes for runc. The daemon's own memory is not counted (the same\n")
		b.WriteString("  code serves both handlers). PSS divides each page among the processes that map it, so the sum is what\n")
		b.WriteString("  the set of processes costs; `anon` is its anonymous memory, `file` its share of mapped files (binaries,\n")
		b.WriteString("  libraries). The shared binary's pages are divided among more processes the more pods there are, so the\n")
		b.WriteString("  MiB per pod fall slightly as the pod count grows.\n\n")
	}
	for _, d := range r.daemons {
		if d.cri == nil {
			continue
		}
		r.criDaemon(&b, d)
	}
	return b.String()
}

func (r *results) criDaemon(b *strings.Builder, d daemonResult) {
	c := d.cri
	fmt.Fprintf(b, "### containerd %s: pod start and teardown (%d pods each, interleaved)\n\n", d.server, criStartPods)
	wasm, runc := c.starts["wasm"], c.starts["runc"]
	if len(wasm) == 0 || len(runc) == 0 {
		b.WriteString("Not measured (see the failures below).\n\n")
	} else {
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

	fmt.Fprintf(b, "### containerd %s: density (idle containers, PSS of the handler's processes)\n\n", d.server)
	if len(c.density) > 0 {
		b.WriteString("| pods × containers | handler | processes | PSS MiB | MiB per pod | MiB per container | all running after s | all removed after s |\n")
		b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|\n")
		for _, dr := range c.density {
			if dr.err != nil {
				fmt.Fprintf(b, "| %d × %d | %s | failed | | | | | |\n", dr.pods, dr.perPod, dr.w.handler)
				continue
			}
			t := dr.mem.total()
			fmt.Fprintf(b, "| %d × %d | %s | %d | %.1f | %.2f | %.2f | %.1f | %.1f |\n", dr.pods, dr.perPod, dr.w.handler,
				dr.mem.processes(), mib(t.pss), mib(t.pss)/float64(dr.pods), mib(t.pss)/float64(dr.containers()),
				dr.setup.Seconds(), dr.remove.Seconds())
		}
		b.WriteString("\n")
		for _, pair := range densityPairs(c.density) {
			w, rc := pair[0], pair[1]
			wt, rt := w.mem.total().pss, rc.mem.total().pss
			fmt.Fprintf(b, "- %d × %d: wasm / runc = **%.2fx** (%.2f / %.2f MiB per pod, %.2f / %.2f MiB per container)\n",
				w.pods, w.perPod, float64(wt)/float64(rt), mib(wt)/float64(w.pods), mib(rt)/float64(rc.pods),
				mib(wt)/float64(w.containers()), mib(rt)/float64(rc.containers()))
		}
		b.WriteString("\nBy kind of process (MiB; per process = PSS / count):\n\n")
		b.WriteString("| pods × containers | handler | process | count | PSS | per process | anon | file | RSS per process |\n")
		b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|\n")
		for _, dr := range c.density {
			if dr.err != nil {
				continue
			}
			for _, g := range dr.mem.groups {
				n := float64(g.n)
				fmt.Fprintf(b, "| %d × %d | %s | %s | %d | %.1f | %.2f | %.1f | %.1f | %.2f |\n", dr.pods, dr.perPod, dr.w.handler, g.kind, g.n,
					mib(g.pss), mib(g.pss)/n, mib(g.anon), mib(g.file), mib(g.rss)/n)
			}
		}
		b.WriteString("\n")
	} else {
		b.WriteString("Not measured (see the failures below).\n\n")
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

// densityPairs: the successful (wasm, runc) runs of the same shape.
func densityPairs(runs []densityResult) [][2]densityResult {
	var out [][2]densityResult
	for _, w := range runs {
		if w.err != nil || !w.w.moduleHosts {
			continue
		}
		for _, r := range runs {
			if r.err == nil && !r.w.moduleHosts && r.pods == w.pods && r.perPod == w.perPod && r.mem.total().pss > 0 {
				out = append(out, [2]densityResult{w, r})
			}
		}
	}
	return out
}

func podDurations(ps []podStart, f func(podStart) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}
