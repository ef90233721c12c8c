package main

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Events the daemon log records for a container (the wasmtee shim's own
// lines reach the daemon's log; runc's shim logs nothing at info level).
const (
	evConnect      = "connect"      // containerd: "connecting to shim ID" (the shim has started)
	evCreated      = "created"      // wasmtee: "module host created" (Create done, module loaded)
	evExited       = "exited"       // wasmtee: "module exited"
	evDisconnected = "disconnected" // containerd: "shim disconnected" (the shim has exited)
)

var (
	timeField        = regexp.MustCompile(`time="([^"]+)"`)
	msgField         = regexp.MustCompile(`msg="([^"]*)"`)
	containerIDField = regexp.MustCompile(`\b(?:container_id|id)=("?)([^\s"]+)`)
	sourceField      = regexp.MustCompile(`\bsource=("?)(\w+)`)
)

// logEvent is the first log line of one kind for one container.
type logEvent struct {
	at   time.Time
	line string
}

// containerEvents reads the daemon log: container ID -> event -> first line.
func containerEvents(logPath string) map[string]map[string]logEvent {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return nil
	}
	out := map[string]map[string]logEvent{}
	for _, l := range strings.Split(string(b), "\n") {
		tm, mm := timeField.FindStringSubmatch(l), msgField.FindStringSubmatch(l)
		if tm == nil || mm == nil {
			continue
		}
		var ev, id string
		switch msg := mm[1]; {
		case strings.HasPrefix(msg, "connecting to shim "):
			ev, id = evConnect, strings.TrimPrefix(msg, "connecting to shim ")
		case msg == "module host created":
			ev = evCreated
		case msg == "module exited":
			ev = evExited
		case msg == "shim disconnected":
			ev = evDisconnected
		default:
			continue
		}
		if id == "" {
			m := containerIDField.FindStringSubmatch(l)
			if m == nil {
				continue
			}
			id = m[2]
		}
		at, err := time.Parse(time.RFC3339Nano, tm[1])
		if err != nil {
			continue
		}
		if out[id] == nil {
			out[id] = map[string]logEvent{}
		}
		if _, seen := out[id][ev]; !seen {
			out[id][ev] = logEvent{at: at, line: l}
		}
	}
	return out
}

// waitEvents re-reads the log until every id has its "module host created"
// line (wasm) or its "shim disconnected" line (all), for at most 3 s: shims
// log asynchronously.
func waitEvents(logPath string, ids map[string]bool, wasm func(id string) bool) map[string]map[string]logEvent {
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		evs := containerEvents(logPath)
		complete := true
		for id := range ids {
			_, created := evs[id][evCreated]
			_, gone := evs[id][evDisconnected]
			if !gone || (wasm(id) && !created) {
				complete = false
			}
		}
		if complete || time.Now().After(deadline) {
			return evs
		}
	}
}

// checkSources compares the source= of each container's "module host
// created" line with want and returns one warning per mismatch.
func checkSources(logPath string, want map[string]string) []string {
	ids := map[string]bool{}
	for id := range want {
		ids[id] = true
	}
	evs := waitEvents(logPath, ids, func(string) bool { return true })
	var warnings []string
	for _, id := range slices.Sorted(maps.Keys(want)) {
		ev, ok := evs[id][evCreated]
		m := sourceField.FindStringSubmatch(ev.line)
		switch {
		case !ok:
			warnings = append(warnings, "no 'module host created' log line for container "+id)
		case m == nil:
			warnings = append(warnings, "container "+id+": 'module host created' has no source field")
		case m[2] != want[id]:
			warnings = append(warnings, "container "+id+": module source="+m[2]+", expected source="+want[id])
		}
	}
	return warnings
}
