package stress

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// processes reads every process of the machine (of this pid namespace), by PID.
func processes() map[int]procfs.Proc {
	all := procfs.All(nil)
	out := make(map[int]procfs.Proc, len(all))
	for _, p := range all {
		out[p.PID] = p
	}
	return out
}

// fdCount is the number of open file descriptors of pid, or -1.
func fdCount(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// argValue finds "-name value", "--name value" or "--name=value" in argv.
func argValue(argv []string, names ...string) string {
	for i, a := range argv {
		for _, n := range names {
			if a == n && i+1 < len(argv) {
				return argv[i+1]
			}
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
		}
	}
	return ""
}

// unixSockets reads /proc/net/unix: bound path -> inodes, and which inodes
// listen.
func unixSockets() (byPath map[string][]string, listening map[string]bool) {
	byPath, listening = map[string][]string{}, map[string]bool{}
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // Num RefCount Protocol Flags Type St Inode Path
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 8 {
			continue
		}
		path, inode := strings.Join(fs[7:], " "), fs[6]
		byPath[path] = append(byPath[path], inode)
		if flags, err := strconv.ParseUint(fs[3], 16, 32); err == nil && flags&0x10000 != 0 { // __SO_ACCEPTCON
			listening[inode] = true
		}
	}
	return
}

// socketHolders are the pids holding any of the socket inodes.
func socketHolders(inodes []string) []int {
	want := map[string]bool{}
	for _, in := range inodes {
		want["socket:["+in+"]"] = true
	}
	if len(want) == 0 {
		return nil
	}
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(p + "/fd")
		for _, fd := range fds {
			if l, _ := os.Readlink(p + "/fd/" + fd.Name()); want[l] {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// listenerPID is the process listening on the unix socket at path.
func listenerPID(path string) (int, error) {
	byPath, listening := unixSockets()
	var inodes []string
	for _, in := range byPath[path] {
		if listening[in] {
			inodes = append(inodes, in)
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no process listens on %s (/proc/net/unix)", path)
	}
	pids := socketHolders(inodes)
	if len(pids) != 1 {
		return 0, fmt.Errorf("%d processes hold the listening socket %s: %v (give -daemon-pid)", len(pids), path, pids)
	}
	return pids[0], nil
}

var (
	tomlSection = regexp.MustCompile(`^\s*\[`)
	tomlKey     = regexp.MustCompile(`^\s*(root|state)\s*=\s*["']([^"']+)["']`)
)

// daemonDirs finds containerd's root and state directories from its
// command line: --root/--state, else the top-level keys of --config, else
// containerd's defaults.
func daemonDirs(pid int) (root, state string, err error) {
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "", "", err
	}
	argv := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
	root, state = "/var/lib/containerd", "/run/containerd"
	if cfg := argValue(argv, "--config", "-c"); cfg != "" {
		b, err := os.ReadFile(cfg)
		if err != nil {
			return "", "", fmt.Errorf("the daemon's config: %w (give -root and -state)", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if tomlSection.MatchString(line) {
				break
			}
			if m := tomlKey.FindStringSubmatch(line); m != nil {
				if m[1] == "root" {
					root = m[2]
				} else {
					state = m[2]
				}
			}
		}
	}
	if v := argValue(argv, "--root"); v != "" {
		root = v
	}
	if v := argValue(argv, "--state"); v != "" {
		state = v
	}
	return root, state, nil
}

// under: path is dir or inside it.
func under(path, dir string) bool {
	return dir != "" && (path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/"))
}

func dirEntries(dir string) map[string]bool {
	ents, _ := os.ReadDir(dir)
	out := make(map[string]bool, len(ents))
	for _, e := range ents {
		out[e.Name()] = true
	}
	return out
}
