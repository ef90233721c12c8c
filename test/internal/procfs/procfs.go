// Package procfs reads the machine's processes from /proc for the tests'
// and tools' leak checks.
package procfs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wasmtee/wasmtee/enclave/control"
)

// Proc is one process.
type Proc struct {
	PID, PPID int
	Exe       string // /proc/PID/exe, without " (deleted)"; "" if unreadable
	Argv      []string
	Cwd       string // without " (deleted)"
	Root      string // /proc/PID/root, without " (deleted)"
	Zombie    bool
}

func (p Proc) String() string {
	return fmt.Sprintf("pid %d (ppid %d) %s, cwd %s", p.PID, p.PPID, strings.Join(p.Argv, " "), p.Cwd)
}

// All reads every process of this PID namespace that still exists while
// it is read, for which keep (if not nil) returns true. keep sees only PID
// and Exe, so that the rest is read only for the processes kept.
func All(keep func(pid int, exe string) bool) []Proc {
	ents, _ := os.ReadDir("/proc")
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		exe, _ := os.Readlink(dir + "/exe")
		exe = strings.TrimSuffix(exe, " (deleted)")
		if keep != nil && !keep(pid, exe) {
			continue
		}
		st, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue // gone
		}
		p := Proc{PID: pid, Exe: exe}
		p.PPID, p.Zombie = ParseStat(st)
		if cmd, err := os.ReadFile(dir + "/cmdline"); err == nil && len(cmd) > 0 {
			p.Argv = strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		}
		cwd, _ := os.Readlink(dir + "/cwd")
		p.Cwd = strings.TrimSuffix(cwd, " (deleted)")
		root, _ := os.Readlink(dir + "/root")
		p.Root = strings.TrimSuffix(root, " (deleted)")
		out = append(out, p)
	}
	return out
}

// Running are the live (not zombie) processes whose executable is one of
// exes.
func Running(exes ...string) []Proc {
	var out []Proc
	for _, p := range All(func(_ int, exe string) bool { return slices.Contains(exes, exe) }) {
		if !p.Zombie {
			out = append(out, p)
		}
	}
	return out
}

// ParseStat reads the parent PID and the zombie state from /proc/PID/stat
// ("pid (comm) S ppid ...", where comm may hold spaces and parentheses).
func ParseStat(stat []byte) (ppid int, zombie bool) {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0] == "Z"
}

// ModuleHost tells whether p is a wasmtee module host and returns its
// container ID (argv[1]). A module host is started with argv[0]
// control.Arg0; under the SGX test double argv[0] is the binary's path, so
// the base name of argv[0] or of the executable counts.
func ModuleHost(p Proc) (id string, ok bool) {
	ok = filepath.Base(p.Exe) == control.Arg0 || (len(p.Argv) > 0 && filepath.Base(p.Argv[0]) == control.Arg0)
	if ok && len(p.Argv) > 1 {
		id = p.Argv[1]
	}
	return id, ok
}

// IsModuleHost: p is a wasmtee module host (see ModuleHost).
func (p Proc) IsModuleHost() bool {
	_, ok := ModuleHost(p)
	return ok
}
