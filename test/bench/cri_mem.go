package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// Memory of a daemon's pods: the PSS of its shims and of everything they
// started, from /proc. PSS divides each shared page among the processes
// that map it, so the sum over a set of processes is what the set costs
// (counting the pages it shares with processes outside the set only in
// part).

// Kinds of process of a pod.
const (
	kindShim       = "shim"
	kindModuleHost = "module host"
	kindPause      = "sandbox (pause) process"
	kindContainer  = "container process"
	kindOther      = "other child of a shim"
)

// shimHandlers: the serving shim binaries of the two handlers, by file name
// (wasmtee's entry binary, containerd-shim-wasmtee-v1, does not stay).
var shimHandlers = map[string]string{
	"wasmtee-shim":            "wasmtee",
	"containerd-shim-runc-v2": "runc",
}

// procInfo is one process of a daemon's pods.
type procInfo struct {
	procfs.Proc
	handler string // "wasmtee" or "runc": the handler of the shim it is or descends from
	kind    string
}

func (p procInfo) String() string {
	return fmt.Sprintf("%d %s (%s)", p.PID, strings.Join(p.Argv, " "), p.kind)
}

// memUse in KiB, from smaps_rollup.
type memUse struct{ rss, pss, anon, file int64 }

func (m *memUse) add(o memUse) {
	m.rss += o.rss
	m.pss += o.pss
	m.anon += o.anon
	m.file += o.file
}

// memGroup: the processes of one kind.
type memGroup struct {
	kind string
	n    int
	memUse
}

// memSnapshot is the memory of one handler's processes of a daemon.
type memSnapshot struct {
	groups   []memGroup
	warnings []string
}

func (m memSnapshot) count(kind string) int {
	for _, g := range m.groups {
		if g.kind == kind {
			return g.n
		}
	}
	return 0
}

func (m memSnapshot) processes() int {
	n := 0
	for _, g := range m.groups {
		n += g.n
	}
	return n
}

func (m memSnapshot) total() memUse {
	var t memUse
	for _, g := range m.groups {
		t.add(g.memUse)
	}
	return t
}

func mib(kib int64) float64 { return float64(kib) / 1024 }

// kindOrder is the order of the groups in a snapshot.
var kindOrder = []string{kindShim, kindModuleHost, kindPause, kindContainer, kindOther}

// measureMemory sums the PSS of w's handler's shims of d and of every
// process they started (to any depth). Processes of the other handler are
// not counted, but reported: none should be there.
func measureMemory(d *daemon, w criWorkload) memSnapshot {
	var m memSnapshot
	byKind := map[string]*memGroup{}
	others := 0
	for _, p := range daemonProcesses(d) {
		if p.handler != w.handler {
			others++
			continue
		}
		u, err := readMemUse(p.PID)
		if err != nil {
			m.warnings = append(m.warnings, fmt.Sprintf("memory of %s: %v", p, err))
			continue
		}
		g := byKind[p.kind]
		if g == nil {
			g = &memGroup{kind: p.kind}
			byKind[p.kind] = g
		}
		g.n++
		g.add(u)
	}
	if others > 0 {
		m.warnings = append(m.warnings, fmt.Sprintf("measuring %s: %d processes of another handler of the same daemon were running (not counted)", w.key, others))
	}
	for _, k := range kindOrder {
		if g := byKind[k]; g != nil {
			m.groups = append(m.groups, *g)
		}
	}
	return m
}

// readMemUse reads /proc/PID/smaps_rollup.
func readMemUse(pid int) (memUse, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return memUse{}, err
	}
	var u memUse
	found := false
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		f := strings.Fields(s.Text())
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "Rss:":
			u.rss = v
		case "Pss:":
			u.pss, found = v, true
		case "Pss_Anon:":
			u.anon = v
		case "Pss_File:":
			u.file = v
		}
	}
	if !found {
		return u, fmt.Errorf("no Pss: line in /proc/%d/smaps_rollup", pid)
	}
	return u, nil
}

// daemonProcesses lists d's shims (a shim binary's process whose working
// directory, its bundle, is in d's directory, or whose command line names
// d's socket) and every process below them, classified.
func daemonProcesses(d *daemon) []procInfo {
	all := map[int]*procInfo{}
	children := map[int][]int{}
	self := os.Getpid()
	for _, p := range procfs.All(nil) {
		if p.PID == self || p.Zombie { // a zombie: dead, no memory
			continue
		}
		all[p.PID] = &procInfo{Proc: p}
		children[p.PPID] = append(children[p.PPID], p.PID)
	}

	var out []procInfo
	var walk func(pid int, handler string)
	walk = func(pid int, handler string) {
		for _, c := range children[pid] {
			p := all[c]
			p.handler = handler
			switch {
			case p.IsModuleHost():
				p.kind = kindModuleHost
			case handler == "runc" && strings.Join(p.Argv, " ") == "/bin/sleep infinity":
				p.kind = kindPause
			case handler == "runc":
				p.kind = kindContainer
			default:
				p.kind = kindOther
			}
			out = append(out, *p)
			walk(c, handler)
		}
	}
	for _, p := range all {
		handler, ok := shimHandlers[filepath.Base(p.Exe)]
		if !ok || p.IsModuleHost() {
			continue
		}
		if parent := all[p.PPID]; parent != nil && shimHandlers[filepath.Base(parent.Exe)] == handler {
			continue // below a shim: found by walking from it
		}
		ours := strings.HasPrefix(p.Cwd, d.dir+"/") || slices.Contains(p.Argv, d.sock)
		if !ours {
			continue
		}
		p.handler, p.kind = handler, kindShim
		out = append(out, *p)
		walk(p.PID, handler)
	}
	slices.SortFunc(out, func(a, b procInfo) int { return a.PID - b.PID })
	return out
}
