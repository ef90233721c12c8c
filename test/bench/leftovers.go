package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// Directories shared with other users of the machine, where runs leave
// entries (ctr's FIFOs, shim sockets): new entries after a run are leftovers.
var sharedDirs = []string{"/run/containerd/fifo", "/run/containerd/s", "/run/wasmtee/s"}

// hostState is what existed on the host before the run.
type hostState struct {
	entries  map[string]bool // entries of sharedDirs
	dirs     map[string]bool // createdDirs() that existed
	benchDir string          // $REPO/.cache/bench
	daemons  []string        // daemon directories
	hostBin  string          // $REPO/bin/wasmtee-module-host
	hosts    map[int]bool    // its processes
}

// createdDirs are the directories a run makes on the host and leaves empty:
// cgroup parents (ctr puts containers in /NAMESPACE/ID), runc's state
// directory and the runc shim's socket directory. Deepest first.
func createdDirs() []string {
	var dirs []string
	for _, root := range procfs.CgroupRoots(procfs.Mounts(procfs.SelfMountinfo)) {
		dirs = append(dirs, filepath.Join(root, namespace))
	}
	return append(dirs, "/run/containerd/runc/"+namespace, "/run/containerd/runc", "/run/containerd/s")
}

func snapshotHost(repo string, versions []string) hostState {
	h := hostState{entries: map[string]bool{}, dirs: map[string]bool{}, benchDir: filepath.Join(repo, ".cache", "bench"),
		hostBin: filepath.Join(repo, "bin", "wasmtee-module-host"), hosts: map[int]bool{}}
	for _, p := range procfs.Running(h.hostBin) {
		h.hosts[p.PID] = true
	}
	for _, d := range sharedDirs {
		for _, e := range dirEntries(d) {
			h.entries[e] = true
		}
	}
	for _, d := range createdDirs() {
		if _, err := os.Stat(d); err == nil {
			h.dirs[d] = true
		}
	}
	for _, v := range versions {
		h.daemons = append(h.daemons, filepath.Join(h.benchDir, strings.ReplaceAll(v, ".", "")))
	}
	return h
}

// cleanupAndCheck removes the (empty) directories the run created, then lists anything else it left: mounts, daemon directories,
// processes, FIFOs, sockets.
func (h hostState) cleanupAndCheck() []string {
	for _, d := range createdDirs() {
		if !h.dirs[d] {
			os.Remove(d) // rmdir: only if empty (a cgroup: no processes, no children)
		}
	}
	var found []string
	for _, d := range createdDirs() {
		if _, err := os.Stat(d); err == nil && !h.dirs[d] {
			found = append(found, "directory "+d)
		}
	}
	for _, d := range sharedDirs {
		for _, e := range dirEntries(d) {
			if h.entries[e] {
				continue
			}
			if l := h.ours(e); l != "" {
				found = append(found, l)
			}
		}
	}
	for _, m := range slices.Sorted(maps.Keys(procfs.MountsUnder(procfs.SelfMountinfo, h.benchDir))) {
		found = append(found, "mount "+m)
	}
	// Module hosts run with / as their directory and name no daemon
	// directory: they are found by their binary.
	for _, p := range procfs.Running(h.hostBin) {
		if !h.hosts[p.PID] {
			found = append(found, "module host "+strconv.Itoa(p.PID)+" "+strings.Join(p.Argv, " "))
		}
	}
	for _, d := range h.daemons {
		if _, err := os.Stat(d); err == nil {
			found = append(found, "daemon directory "+d)
		}
		for _, p := range processesMentioning(d) {
			found = append(found, "process "+p)
		}
	}
	return found
}

// ours describes a new entry of a shared directory if it is (or may be) the
// run's, else returns "": other users of the machine create entries there
// at the same time. A FIFO directory is ours if it holds our container IDs'
// FIFOs; a socket is someone else's while a process outside the benchmark
// listens on it.
func (h hostState) ours(entry string) string {
	if filepath.Dir(entry) == "/run/containerd/fifo" {
		for _, f := range dirEntries(entry) {
			if strings.HasPrefix(filepath.Base(f), idPrefix) {
				return "FIFO directory " + entry
			}
		}
		return ""
	}
	owners := socketOwners(entry)
	if len(owners) == 0 {
		return "socket " + entry + " (no process listens on it; another user's run may have left it)"
	}
	for _, o := range owners {
		if strings.Contains(o, h.benchDir) {
			return "socket " + entry + " held by " + o
		}
	}
	return ""
}

// socketOwners: "PID CMDLINE" of the processes holding the unix socket
// bound at path.
func socketOwners(path string) []string {
	b, err := os.ReadFile("/proc/net/unix")
	if err != nil {
		return nil
	}
	inodes := map[string]bool{}
	// Num RefCount Protocol Flags Type St Inode Path
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) >= 8 && f[7] == path {
			inodes["socket:["+f[6]+"]"] = true
		}
	}
	if len(inodes) == 0 {
		return nil
	}
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		fds, _ := filepath.Glob(filepath.Join(p, "fd", "*"))
		for _, fd := range fds {
			if l, _ := os.Readlink(fd); inodes[l] {
				cmd, _ := os.ReadFile(filepath.Join(p, "cmdline"))
				out = append(out, filepath.Base(p)+" "+strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")))
				break
			}
		}
	}
	return out
}

func dirEntries(dir string) []string {
	es, _ := os.ReadDir(dir)
	var out []string
	for _, e := range es {
		out = append(out, filepath.Join(dir, e.Name()))
	}
	return out
}

// processesMentioning: "PID CMDLINE" of processes whose command line or
// working directory is in dir.
func processesMentioning(dir string) []string {
	var out []string
	for _, p := range procfs.All(nil) {
		if p.PID == os.Getpid() {
			continue
		}
		cmd := strings.Join(p.Argv, " ")
		if strings.Contains(cmd, dir) || p.Cwd == dir || strings.HasPrefix(p.Cwd, dir+"/") {
			out = append(out, strconv.Itoa(p.PID)+" "+cmd)
		}
	}
	slices.Sort(out)
	return out
}
