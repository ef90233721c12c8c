package main

import (
	"fmt"
	"strings"
)

func (r *results) computeSection(b *strings.Builder, goals []goalRow, method bool) {
	fmt.Fprintf(b, "## 5. %s: CPU-bound guests natively, in a wasmtee container, under wazero and node\n\n", itemNames[5])
	switch {
	case !r.cfg.runs(secCompute):
		notMeasured(b, "skipped (-skip-compute)", goals, 5)
		return
	case r.compute == nil:
		notMeasured(b, r.computeNote, goals, 5)
		return
	}
	c, s := r.compute, r.computeSU
	if method {
		b.WriteString("- Guest: `test/guests/compute` (standard library only): `nbody N` (the classic 5-body simulation, N steps of\n")
		b.WriteString("  dt 0.01, prints the final energy with 9 decimals) and `sha256 MB` (hashes MB MiB of an xorshift stream with\n")
		b.WriteString("  crypto/sha256, prints the hex digest). The wasm module is built with `GOOS=wasip1 GOARCH=wasm go build`;\n")
		b.WriteString("  the native binary with `go build -tags purego`, so crypto/sha256 runs the same pure-Go block function on\n")
		b.WriteString("  both (natively it would otherwise use SHA-NI/AVX2 assembly).\n")
		fmt.Fprintf(b, "- Each cell is the minimum wall time (fork to exit) of %d runs; the ratio is to native. The runners take turns\n", r.cfg.computeRuns)
		b.WriteString("  (native, wasmtee, wazero, node, native, ...), so that a slow spell of the machine hits them alike. Every run's output is\n")
		b.WriteString("  compared with the native output (a run that differs or fails makes the cell MISMATCH or FAILED).\n")
		fmt.Fprintf(b, "- wasmtee: `ctr run --rm --runtime io.containerd.wasmtee.v1 %s ID /compute.wasm ARGS` against the\n", computeRef)
		b.WriteString("  benchmark's daemon, after one warm-up run so the compiled module is in the shim's cache. **Container start\n")
		b.WriteString("  and teardown are included** (nothing is subtracted); \"module run\" is the shortest time from the daemon\n")
		b.WriteString("  log's \"module host created\" to \"module exited\" of the same runs (instantiation and the run itself).\n")
		fmt.Fprintf(b, "- wazero: `wazero run compute.wasm ARGS` (%s CLI, `go install`ed into `.cache/bench/bin`); it compiles the module on\n", wazeroVersion)
		b.WriteString("  every run (no compilation cache configured), so its column includes compilation.\n")
		b.WriteString("- node: `node --no-warnings -e` with `node:wasi` (`new WASI({version: 'preview1', ...})`); V8 also compiles on\n")
		b.WriteString("  every run (Liftoff, then TurboFan tier-up).\n\n")
	}
	var vs []string
	for _, run := range computeRunners {
		if v, ok := s.versions[run]; ok {
			vs = append(vs, run+" "+v)
		}
	}
	fmt.Fprintf(b, "On containerd %s; %s. The comparison took %.0f s.\n\n", c.daemon, strings.Join(vs, ", "), c.took.Seconds())
	b.WriteString("| program | native s | wasmtee s (ratio) | wasmtee module run s (ratio) | wazero s (ratio) | node s (ratio) |\n|---|--:|--:|--:|--:|--:|\n")
	for _, row := range c.rows {
		nat := row.cells[runNative]
		cell := func(runner string) string {
			cl, ran := row.cells[runner]
			if !ran {
				return "n/a"
			}
			v := fmt.Sprintf("%.3f", cl.best.Seconds())
			if nat.ok() && cl.best > 0 {
				v += fmt.Sprintf(" (%.2fx)", float64(cl.best)/float64(nat.best))
			}
			if cl.status != "" {
				v += " " + cl.status
			}
			return v
		}
		exec := "–"
		if e := row.cells[runWasmtee].exec; e > 0 {
			exec = fmt.Sprintf("%.3f", e.Seconds())
			if nat.ok() {
				exec += fmt.Sprintf(" (%.2fx)", float64(e)/float64(nat.best))
			}
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", row.label(), cell(runNative), cell(runWasmtee), exec, cell(runWazero), cell(runNode))
	}
	b.WriteString("\n")
	for _, n := range s.notes {
		fmt.Fprintf(b, "- Note: %s.\n", n)
	}
	if len(c.failures) > 0 {
		b.WriteString("**Failures**:\n\n")
		for _, f := range c.failures {
			fmt.Fprintf(b, "- %s\n", strings.Join(strings.Fields(f), " "))
		}
	}
	if len(s.notes) > 0 || len(c.failures) > 0 {
		b.WriteString("\n")
	}
	goalTable(b, goals, 5)
	r.footer(b, fmt.Sprintf("-only compute -compute-runs %d -nbody %d -sha %d", r.cfg.computeRuns, r.cfg.nbodySteps, r.cfg.shaMiB))
}
