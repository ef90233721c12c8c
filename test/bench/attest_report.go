package main

import (
	"fmt"
	"strings"
)

func (r *results) attestSection(b *strings.Builder, goals []goalRow, method bool) {
	fmt.Fprintf(b, "## 6. %s: evidence for a running container, and the launch measurement\n\n", itemNames[6])
	if !r.cfg.runs(secAttest) {
		notMeasured(b, "skipped (-skip-attest)", goals, 6)
		return
	}
	if method {
		b.WriteString("- Round trip: the idle WAT guest runs with `ctr run -d --null-io --annotation wasmtee.io/tee=process`; then,\n")
		fmt.Fprintf(b, "  after one warm-up of each, %d times in turn: `bin/wasmtee attest --address SOCK -n NS --nonce HEX ID` (a\n", r.cfg.attestN)
		b.WriteString("  process, fork to exit: what an operator or a script sees), and the same request from inside this tool (dial\n")
		b.WriteString("  the shim's socket, one ttrpc call: the shim's share). Every answer is parsed (`evidence.Parse`) and must be\n")
		b.WriteString("  the process backend's, for the fresh random nonce, with a launch that hashes to its measurement.\n")
		b.WriteString("- In process (no daemon): `evidence.Make` with the process backend's producer (`process.NewWithKey`, an\n")
		b.WriteString("  Ed25519 node key), then `json.Marshal`: what the shim does per request; the producer's `Quote` alone (the\n")
		b.WriteString("  signature); `measure.Measure` of a typical launch (what the shim adds to a create once the module's digest\n")
		b.WriteString("  is known); and sha256 over each module's bytes (the digest the measurement covers). Each figure is the\n")
		b.WriteString("  median of 5 batches of calls, a batch lasting at least 100 ms.\n")
		b.WriteString("- What the measurement adds to a start: `Measure`, once the module's digest is known. A start that hashes the\n")
		b.WriteString("  module anyway (for the compile cache key) adds nothing more; one that would not, adds the hashing too. The\n")
		b.WriteString("  goal counts both, so it holds either way.\n\n")
	}
	for _, d := range r.daemons {
		a := d.attest
		if a == nil {
			continue
		}
		fmt.Fprintf(b, "### containerd %s: evidence round trips (process backend)\n\n", d.server)
		if len(a.cli) > 0 {
			b.WriteString("| request | n | p50 ms | p95 ms | min ms | max ms |\n|---|--:|--:|--:|--:|--:|\n")
			for _, row := range []struct {
				label string
				s     summary
			}{
				{"`wasmtee attest` process (fork to exit)", summarize(a.cli)},
				{"ttrpc call from this process (dial + call)", summarize(a.direct)},
			} {
				fmt.Fprintf(b, "| %s | %d | %.2f | %.2f | %.2f | %.2f |\n", row.label, row.s.n, ms(row.s.p50), ms(row.s.p95), ms(row.s.min), ms(row.s.max))
			}
			fmt.Fprintf(b, "\nThe evidence is %d bytes of JSON.", a.size)
			if hello := helloP50(d); hello > 0 {
				fmt.Fprintf(b, " `wasmtee attest` p50 / cached hello start p50 = %.2fx.", ratio(summarize(a.cli).p50, hello))
			}
			b.WriteString("\n\n")
		}
		for _, f := range a.failures {
			fmt.Fprintf(b, "- failure: %s\n", strings.Join(strings.Fields(f), " "))
		}
		if len(a.failures) > 0 {
			b.WriteString("\n")
		}
	}
	if m := r.micro; m != nil {
		b.WriteString("### In process (this tool, one core)\n\n")
		b.WriteString("| operation | per call µs | calls per batch |\n|---|--:|--:|\n")
		fmt.Fprintf(b, "| `evidence.Make` (process producer) + `json.Marshal` | %.1f | %d |\n", us(m.make), m.iterations["make"])
		fmt.Fprintf(b, "| producer `Quote` alone (Ed25519 signature) | %.1f | %d |\n", us(m.quote), m.iterations["quote"])
		fmt.Fprintf(b, "| `measure.Measure` (%d args, %d env, %d preopens) | %.2f | %d |\n", len(m.launch.Args), len(m.launch.Env), len(m.launch.Preopens), us(m.measure), m.iterations["measure"])
		for _, h := range m.hashes {
			fmt.Fprintf(b, "| sha256 of %s (%s; %.0f MB/s) | %.1f | %d |\n", h.name, humanBytes(h.size),
				float64(h.size)/h.perOp.Seconds()/1e6, us(h.perOp), m.iterations["hash "+h.name])
		}
		fmt.Fprintf(b, "\nThe launch measured: %s.\n\n", m.launchFrom)
		var large *hashCost
		for i, h := range m.hashes {
			if h.name != "hello" && h.name != "goguest" {
				large = &m.hashes[i]
			}
		}
		if large != nil {
			fmt.Fprintf(b, "Hashing the large module (%s) takes %.1f ms: %.0f%% of item 3's %.0f ms budget, whenever a start hashes it.\n\n",
				humanBytes(large.size), ms(large.perOp), 100*float64(large.perOp)/float64(goalLargeDelta), ms(goalLargeDelta))
		}
	} else if r.microNote != "" {
		fmt.Fprintf(b, "In-process costs not measured: %s\n\n", r.microNote)
	}
	goalTable(b, goals, 6)
	r.footer(b, fmt.Sprintf("-only cold,attest -n %d -attest %d", r.cfg.n, r.cfg.attestN))
}
