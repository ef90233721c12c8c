package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The goals the numbers are held against (items 1-6 of the performance
// issue; the attestation goals are this tool's own: the issue asks only for
// the costs).
const (
	goalRatio           = 0.5                   // 1: wasm hello cold-start p50 <= goalRatio x runc p50
	goalThroughput      = 2.0                   // 2: wasmtee runs/s >= goalThroughput x runc's
	goalLargeDelta      = 20 * time.Millisecond // 3: cached large p50 - cached hello p50
	goalDensityMiB      = 3.0                   // 4: small guest, 10 per pod: MiB PSS per container
	goalNbodyNative     = 1.25                  // 5: nbody in a wasmtee container <= 1.25x native
	goalAttestRoundTrip = 50 * time.Millisecond // 6: `wasmtee attest` p50 (this tool's goal)
	goalMeasureCost     = time.Millisecond      // 6: measure.Measure + hashing the hello module (this tool's goal)
)

// Items of the issue, by number.
var itemNames = map[int]string{
	1: "Cold container start",
	2: "Start throughput",
	3: "Large module",
	4: "Density",
	5: "Compute",
	6: "Attestation cost",
}

type verdictKind int

const (
	vNotMeasured verdictKind = iota
	vMet
	vNotMet
	vInfo // a figure shown beside the goals, with no goal of its own
)

func (v verdictKind) String() string {
	switch v {
	case vMet:
		return "MET"
	case vNotMet:
		return "NOT MET"
	case vInfo:
		return "–"
	}
	return "NOT MEASURED"
}

func verdictOf(met bool) verdictKind {
	if met {
		return vMet
	}
	return vNotMet
}

// goalRow is one goal (or one figure beside the goals) with what was
// measured. A row is in its section's goal table, and in the summary
// table if summary is set; it is a bar of the chart if bar is set.
type goalRow struct {
	item     int
	daemon   string // the daemon's version; "" if the row does not depend on one
	goal     string
	measured string
	v        verdictKind
	summary  bool
	detail   bool // in the section's goal table (an aggregated summary row is not)

	bar    string  // chart label, ASCII
	ratio  float64 // the bar's value (a ratio to the baseline)
	goalAt float64 // the goal's position on the ratio axis (0: none)
	higher bool    // a higher ratio is better
	base   string  // what the ratio divides by, for the chart's value text
}

// daemonTag: " (containerd X)" when the run measured more than one daemon.
func (r *results) daemonTag(d daemonResult) string {
	if len(r.daemons) > 1 {
		return " (containerd " + d.server + ")"
	}
	return ""
}

// chartTag is daemonTag for chart labels.
func (r *results) chartTag(d daemonResult) string {
	if len(r.daemons) > 1 {
		return " [" + d.version + "]"
	}
	return ""
}

// helloP50 is the cached hello start p50 of a daemon (0 if not measured).
func helloP50(d daemonResult) time.Duration {
	return summarize(durations(d.cold[helloKey])).p50
}

// largeHelloP50 is the cached hello start the large module is compared
// with: the hello starts interleaved with the large module's cached ones,
// else the cold-start table's.
func largeHelloP50(d daemonResult) time.Duration {
	if d.large != nil && len(d.large.hello) > 0 {
		return summarize(durations(d.large.hello)).p50
	}
	return helloP50(d)
}

// goals evaluates every goal of the run.
func (r *results) goals() []goalRow {
	var rows []goalRow
	add := func(g goalRow) { rows = append(rows, g) }
	for _, d := range r.daemons {
		tag, ctag := r.daemonTag(d), r.chartTag(d)
		// 1. cold start
		goal := fmt.Sprintf("wasm cold start p50 <= %.1fx runc", goalRatio)
		if len(d.cold) == 0 {
			add(goalRow{item: 1, daemon: d.server, goal: goal + tag, measured: "not measured (-skip-cold)", summary: true, detail: true})
		} else {
			hello, runc := helloP50(d), summarize(durations(d.cold[runcKey])).p50
			rh := ratio(hello, runc)
			add(goalRow{item: 1, daemon: d.server, goal: goal + tag, summary: true, detail: true,
				measured: fmt.Sprintf("%.2fx (hello %.1f ms / runc %.1f ms)", rh, ms(hello), ms(runc)),
				v:        verdictOf(runc > 0 && rh <= goalRatio),
				bar:      "1 cold start: hello / runc" + ctag, ratio: rh, goalAt: goalRatio, base: "runc"})
			gg := summarize(durations(d.cold[goguestKey])).p50
			rg := ratio(gg, runc)
			add(goalRow{item: 1, daemon: d.server, goal: "(beside it) Go guest cold start p50 / runc" + tag, detail: true,
				measured: fmt.Sprintf("%.2fx (Go guest %.1f ms / runc %.1f ms)", rg, ms(gg), ms(runc)), v: vInfo,
				bar: "1 cold start: Go guest / runc" + ctag, ratio: rg, goalAt: goalRatio, base: "runc"})
		}
		// 2. throughput
		goal = fmt.Sprintf("start throughput >= %.0fx runc's runs/s", goalThroughput)
		switch t := d.throughput; {
		case t == nil:
			add(goalRow{item: 2, daemon: d.server, goal: goal + tag, measured: "not measured (-skip-throughput)", summary: true, detail: true})
		case t.ratio() == 0:
			add(goalRow{item: 2, daemon: d.server, goal: goal + tag, measured: "not measured (a stress run failed, see the section)", summary: true, detail: true})
		default:
			tr := t.ratio()
			v := verdictOf(tr >= goalThroughput)
			note := ""
			if t.wasm.err != nil || t.runc.err != nil {
				v, note = vNotMet, "; a run failed or leaked (see the section)"
			}
			add(goalRow{item: 2, daemon: d.server, goal: goal + tag, summary: true, detail: true,
				measured: fmt.Sprintf("%.2fx (%.2f / %.2f runs/s, %d runs, P %d)%s", tr, t.wasm.rep.Throughput, t.runc.rep.Throughput,
					t.wasm.rep.N, t.wasm.rep.P, note), v: v,
				bar: "2 throughput: runs/s vs runc" + ctag, ratio: tr, goalAt: goalThroughput, higher: true, base: "runc"})
		}
		// 3. large module
		goal = fmt.Sprintf("cached start of a large module within %.0f ms of cached hello", ms(goalLargeDelta))
		switch hello := largeHelloP50(d); {
		case d.large == nil:
			add(goalRow{item: 3, daemon: d.server, goal: goal + tag, measured: "not measured: " + r.largeNote, summary: true, detail: true})
		case hello == 0:
			add(goalRow{item: 3, daemon: d.server, goal: goal + tag, measured: "not measured: no cached hello start (-skip-cold)", summary: true, detail: true})
		default:
			large := summarize(durations(d.large.cached)).p50
			delta := large - hello
			add(goalRow{item: 3, daemon: d.server, goal: goal + tag, summary: true, detail: true,
				measured: fmt.Sprintf("%+.1f ms (%.1f − %.1f)", ms(delta), ms(large), ms(hello)), v: verdictOf(delta <= goalLargeDelta),
				bar: "3 large module cached / hello" + ctag, ratio: ratio(large, hello), goalAt: ratio(hello+goalLargeDelta, hello), base: "hello"})
		}
		// 4. density
		rows = append(rows, r.densityGoals(d)...)
		// 6. attestation round trip
		goal = fmt.Sprintf("`wasmtee attest` round trip p50 <= %.0f ms (this tool's goal)", ms(goalAttestRoundTrip))
		switch a := d.attest; {
		case a == nil:
			add(goalRow{item: 6, daemon: d.server, goal: goal + tag, measured: "not measured (-skip-attest)", summary: true, detail: true})
		case len(a.cli) == 0:
			add(goalRow{item: 6, daemon: d.server, goal: goal + tag, measured: "not measured: " + strings.Join(a.failures, "; "), summary: true, detail: true})
		default:
			p50 := summarize(a.cli).p50
			g := goalRow{item: 6, daemon: d.server, goal: goal + tag, summary: true, detail: true,
				measured: fmt.Sprintf("%.1f ms (ttrpc call alone %.2f ms)", ms(p50), ms(summarize(a.direct).p50)), v: verdictOf(p50 <= goalAttestRoundTrip)}
			if hello := helloP50(d); hello > 0 {
				g.bar, g.ratio, g.goalAt, g.base = "6 attest round trip / hello start"+ctag, ratio(p50, hello), ratio(goalAttestRoundTrip, hello), "hello start"
			}
			add(g)
		}
	}
	rows = append(rows, r.computeGoals()...)
	// 6. the launch measurement's cost, in this process
	goal := fmt.Sprintf("launch measurement (Measure + hashing the hello module) <= %.0f ms per start (this tool's goal)", ms(goalMeasureCost))
	if h, ok := r.micro.hash("hello"); ok {
		cost := r.micro.measure + h.perOp
		g := goalRow{item: 6, goal: goal, summary: true, detail: true, v: verdictOf(cost <= goalMeasureCost),
			measured: fmt.Sprintf("%.1f µs (Measure %.1f µs + sha256 of %s %.1f µs)", us(cost), us(r.micro.measure), humanBytes(h.size), us(h.perOp))}
		if len(r.daemons) > 0 {
			if hello := helloP50(r.daemons[0]); hello > 0 {
				g.bar, g.ratio, g.goalAt, g.base = "6 launch measurement / hello start", ratio(cost, hello), ratio(goalMeasureCost, hello), "hello start"
			}
		}
		add(g)
	} else {
		note := "not measured (-skip-attest)"
		if r.microNote != "" {
			note = "not measured: " + r.microNote
		}
		add(goalRow{item: 6, goal: goal, measured: note, summary: true, detail: true})
	}
	slices.SortStableFunc(rows, func(a, b goalRow) int { return a.item - b.item })
	return rows
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// densityGoals: for every N, the small guest's MiB per container with 10
// per pod, and every wasm run against runc's of the same shape.
func (r *results) densityGoals(d daemonResult) []goalRow {
	tag, ctag := r.daemonTag(d), r.chartTag(d)
	goalMiB := fmt.Sprintf("small guest (WAT), 10 per pod: <= %.0f MiB PSS per container", goalDensityMiB)
	goalRunc := "less PSS per container than runc, every guest, shape and N"
	if d.cri == nil || !r.cfg.runs(secDensity) {
		note := "not measured (-skip-density)"
		if r.criNote != "" {
			note = "not measured: " + r.criNote
		}
		return []goalRow{
			{item: 4, daemon: d.server, goal: goalMiB + tag, measured: note, summary: true, detail: true},
			{item: 4, daemon: d.server, goal: goalRunc + tag, measured: note, summary: true, detail: true},
		}
	}
	var rows []goalRow
	find := func(key string, n, perPod int) *densityResult {
		for i, dr := range d.cri.density {
			if dr.w.key == key && dr.containers() == n && dr.perPod == perPod {
				return &d.cri.density[i]
			}
		}
		return nil
	}
	perCtr := func(dr *densityResult) float64 { return mib(dr.mem.total().pss) / float64(dr.containers()) }
	okMiB, measuredMiB, anyMiB := true, []string{}, false
	okRunc, measuredRunc, anyRunc := true, []string{}, false
	for _, n := range r.cfg.density {
		w := find("wasm", n, perPodContainers)
		g := goalRow{item: 4, daemon: d.server, goal: fmt.Sprintf("%s, N = %d%s", goalMiB, n, tag), detail: true}
		if w == nil || w.err != nil {
			g.measured = "not measured (see the failures)"
			okMiB = false
		} else {
			v := perCtr(w)
			g.measured, g.v = fmt.Sprintf("%.2f MiB", v), verdictOf(v <= goalDensityMiB)
			g.bar, g.ratio, g.goalAt, g.base = fmt.Sprintf("4 N=%d WAT x10: MiB per ctr / %.0f MiB", n, goalDensityMiB)+ctag, v/goalDensityMiB, 1, "the 3 MiB goal"
			okMiB = okMiB && g.v == vMet
			anyMiB = true
			measuredMiB = append(measuredMiB, fmt.Sprintf("N %d: %.2f", n, v))
		}
		rows = append(rows, g)
		for _, perPod := range []int{1, perPodContainers} {
			rc := find("runc", n, perPod)
			for _, key := range []string{"wasm", "go"} {
				w := find(key, n, perPod)
				short := map[string]string{"wasm": "WAT", "go": "Go"}[key]
				g := goalRow{item: 4, daemon: d.server, detail: true,
					goal: fmt.Sprintf("%s per container < runc's, %d per pod, N = %d%s", short, perPod, n, tag)}
				if w == nil || rc == nil || w.err != nil || rc.err != nil || rc.mem.total().pss == 0 {
					g.measured = "not measured (see the failures)"
					okRunc = false
				} else {
					rt := perCtr(w) / perCtr(rc)
					g.measured, g.v = fmt.Sprintf("%.2fx (%.2f / %.2f MiB)", rt, perCtr(w), perCtr(rc)), verdictOf(rt < 1)
					g.bar, g.ratio, g.goalAt, g.base = fmt.Sprintf("4 N=%d %s x%d: PSS per ctr / runc", n, short, perPod)+ctag, rt, 1, "runc"
					okRunc = okRunc && g.v == vMet
					anyRunc = true
					measuredRunc = append(measuredRunc, fmt.Sprintf("%s ×%d N %d: %.2fx", short, perPod, n, rt))
				}
				rows = append(rows, g)
			}
		}
	}
	sum := func(goal string, ok, any bool, measured []string, unit string) goalRow {
		g := goalRow{item: 4, daemon: d.server, goal: goal + tag, summary: true, measured: "not measured (see the failures)"}
		if any { // a case not measured is not met
			g.measured, g.v = strings.Join(measured, ", ")+unit, verdictOf(ok)
		}
		return g
	}
	rows = append(rows, sum(goalMiB, okMiB, anyMiB, measuredMiB, " MiB"), sum(goalRunc, okRunc, anyRunc, measuredRunc, ""))
	return rows
}

// computeGoals: nbody against native, and wasmtee against both peers.
func (r *results) computeGoals() []goalRow {
	goalNative := fmt.Sprintf("nbody in a wasmtee container <= %.2fx native (wall time, container start included)", goalNbodyNative)
	goalPeers := "wasmtee ahead of wazero and node, both programs"
	c := r.compute
	if c == nil {
		note := "not measured (-skip-compute)"
		if r.computeNote != "" {
			note = "not measured: " + r.computeNote
		}
		return []goalRow{{item: 5, goal: goalNative, measured: note, summary: true, detail: true},
			{item: 5, goal: goalPeers, measured: note, summary: true, detail: true}}
	}
	var rows []goalRow
	g := goalRow{item: 5, goal: goalNative, summary: true, detail: true, measured: "not measured (see the failures)"}
	if nb := c.row("nbody"); nb != nil && nb.ratioTo(runWasmtee, runNative) > 0 {
		rt := nb.ratioTo(runWasmtee, runNative)
		g.measured = fmt.Sprintf("%.2fx (%.3f s / %.3f s)", rt, nb.cells[runWasmtee].best.Seconds(), nb.cells[runNative].best.Seconds())
		if e := nb.cells[runWasmtee].exec; e > 0 {
			g.measured += fmt.Sprintf("; module run alone %.2fx", float64(e)/float64(nb.cells[runNative].best))
		}
		g.v = verdictOf(rt <= goalNbodyNative)
		g.bar, g.ratio, g.goalAt, g.base = "5 nbody: wasmtee / native", rt, goalNbodyNative, "native"
	}
	rows = append(rows, g)
	if sh := c.row("sha256"); sh != nil && sh.ratioTo(runWasmtee, runNative) > 0 {
		rt := sh.ratioTo(runWasmtee, runNative)
		rows = append(rows, goalRow{item: 5, goal: "(beside it) sha256 in a wasmtee container / native", detail: true, v: vInfo,
			measured: fmt.Sprintf("%.2fx (%.3f s / %.3f s)", rt, sh.cells[runWasmtee].best.Seconds(), sh.cells[runNative].best.Seconds()),
			bar:      "5 sha256: wasmtee / native", ratio: rt, base: "native"})
	}
	ok, any := true, false
	var measured []string
	for _, row := range c.rows {
		for _, peer := range []string{runWazero, runNode} {
			g := goalRow{item: 5, goal: fmt.Sprintf("%s: wasmtee faster than %s", row.name, peer), detail: true}
			if rt := row.ratioTo(runWasmtee, peer); rt > 0 {
				g.measured = fmt.Sprintf("%.2fx (%.3f s / %.3f s)", rt, row.cells[runWasmtee].best.Seconds(), row.cells[peer].best.Seconds())
				g.v = verdictOf(rt < 1)
				g.bar, g.ratio, g.goalAt, g.base = fmt.Sprintf("5 %s: wasmtee / %s", row.name, peer), rt, 1, peer
				measured = append(measured, fmt.Sprintf("%s %.2fx %s", row.name, rt, peer))
				any = true
				ok = ok && g.v == vMet
			} else {
				g.measured = "not measured"
				if _, ran := row.cells[peer]; !ran {
					g.measured = "not measured (" + peer + " not available)"
				}
				ok = false
			}
			rows = append(rows, g)
		}
	}
	s := goalRow{item: 5, goal: goalPeers, summary: true, measured: "not measured"}
	if any {
		s.measured, s.v = strings.Join(measured, ", "), verdictOf(ok)
	}
	return append(rows, s)
}

// goalTable writes the goal table of one item's section.
func goalTable(b *strings.Builder, rows []goalRow, item int) {
	b.WriteString("| goal | measured | result |\n|---|---|---|\n")
	for _, g := range rows {
		if g.item == item && g.detail {
			fmt.Fprintf(b, "| %s | %s | %s |\n", g.goal, g.measured, g.v)
		}
	}
	b.WriteString("\n")
}

// summaryTable writes the goals of all six items.
func summaryTable(b *strings.Builder, rows []goalRow) {
	b.WriteString("| # | item | goal | measured (this machine) | result |\n|--:|---|---|---|---|\n")
	for _, g := range rows {
		if g.summary {
			fmt.Fprintf(b, "| %d | %s | %s | %s | **%s** |\n", g.item, itemNames[g.item], g.goal, g.measured, g.v)
		}
	}
	b.WriteString("\n")
}
