package main

import (
	"time"
)

// phaseColumn is one kind of start whose time is split into phases.
type phaseColumn struct {
	label string
	wasm  bool
	runs  []sample
}

// phase is one row of the breakdown: the time between two points of a start.
type phase struct {
	label    string
	from, to string // events, or "" for the ctr process's own start and end
	wasmOnly bool
}

var phases = []phase{
	{label: "ctr start → shim up (ctr process, container + snapshot create, shim binary started)", from: "", to: evConnect},
	{label: "shim up → module loaded (Create: module host spawned, module read, hashed, loaded)", from: evConnect, to: evCreated, wasmOnly: true},
	{label: "module loaded → module exited (Start: instantiate and run)", from: evCreated, to: evExited, wasmOnly: true},
	{label: "module exited → shim gone", from: evExited, to: evDisconnected, wasmOnly: true},
	{label: "= shim up → shim gone (all the runtime's own work)", from: evConnect, to: evDisconnected},
	{label: "shim gone → ctr exit (task + container + snapshot delete)", from: evDisconnected, to: ""},
	{label: "ctr start → module loaded (all before the module runs; also on 1.6)", from: "", to: evCreated, wasmOnly: true},
}

// phaseTable: p50 per phase (rows) and column, from the daemon log's
// timestamps and the ctr processes' start and end; ok=false where a phase
// does not apply or its log lines are missing.
type phaseTable struct {
	columns []string
	p50     [][]time.Duration // [phase][column]
	ok      [][]bool
}

// breakDown reads the daemon log (before the daemon is stopped, which
// removes it) and splits every sample of cols into phases.
func breakDown(logPath string, cols []phaseColumn) phaseTable {
	ids := map[string]bool{}
	wasmIDs := map[string]bool{}
	for _, c := range cols {
		for _, s := range c.runs {
			ids[s.id] = true
			wasmIDs[s.id] = c.wasm
		}
	}
	evs := waitEvents(logPath, ids, func(id string) bool { return wasmIDs[id] })
	t := phaseTable{p50: make([][]time.Duration, len(phases)), ok: make([][]bool, len(phases))}
	for _, c := range cols {
		t.columns = append(t.columns, c.label)
	}
	for i, p := range phases {
		t.p50[i] = make([]time.Duration, len(cols))
		t.ok[i] = make([]bool, len(cols))
		for j, c := range cols {
			if p.wasmOnly && !c.wasm {
				continue
			}
			var ds []time.Duration
			for _, s := range c.runs {
				if d, ok := between(s, evs[s.id], p.from, p.to); ok {
					ds = append(ds, d)
				}
			}
			// every run must have both ends, or the median is of a biased subset
			if len(ds) == len(c.runs) && len(ds) > 0 {
				t.p50[i][j], t.ok[i][j] = summarize(ds).p50, true
			}
		}
	}
	return t
}

func between(s sample, evs map[string]logEvent, from, to string) (time.Duration, bool) {
	at := func(ev string, def time.Time) (time.Time, bool) {
		if ev == "" {
			return def, true
		}
		e, ok := evs[ev]
		return e.at, ok
	}
	a, ok1 := at(from, s.start)
	b, ok2 := at(to, s.end)
	// wall clock on both sides: the log's timestamps have no monotonic reading
	return b.Round(0).Sub(a.Round(0)), ok1 && ok2
}
