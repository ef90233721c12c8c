package procfs

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// SelfMountinfo is this process's mount table.
const SelfMountinfo = "/proc/self/mountinfo"

// Mounts reads a mountinfo file (SelfMountinfo, /proc/PID/mountinfo for
// another mount namespace): mount point -> file system type. An unreadable
// file is an empty table.
func Mounts(mountinfo string) map[string]string {
	b, _ := os.ReadFile(mountinfo)
	return parseMountinfo(string(b))
}

// parseMountinfo reads lines "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS
// [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
func parseMountinfo(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		fstype := ""
		for i := 5; i+1 < len(f); i++ {
			if f[i] == "-" {
				fstype = f[i+1]
				break
			}
		}
		out[unescapeMount(f[4])] = fstype
	}
	return out
}

// MountsUnder is the set of mount points at or under dir in mountinfo.
func MountsUnder(mountinfo, dir string) map[string]bool {
	out := map[string]bool{}
	for mp := range Mounts(mountinfo) {
		if mp == dir || strings.HasPrefix(mp, strings.TrimSuffix(dir, "/")+"/") {
			out[mp] = true
		}
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for space and so on).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// CgroupRoots are the cgroup hierarchies of a mount table (see Mounts):
// every cgroup v1 controller mount and the cgroup v2 tree, each once,
// sorted.
func CgroupRoots(mounts map[string]string) []string {
	var roots []string
	for mp, fstype := range mounts {
		if fstype == "cgroup" || fstype == "cgroup2" {
			roots = append(roots, mp)
		}
	}
	slices.Sort(roots)
	return roots
}

// WalkCgroups visits the cgroup directories below each of roots (not the
// roots themselves) down to depth levels (1: the roots' children), parents
// before their children, and calls fn with a directory's path and its path
// relative to its root ("a/b"). When fn returns false, the directory's
// children are not visited. Symbolic links are not followed, and what
// cannot be read is skipped.
func WalkCgroups(roots []string, depth int, fn func(path, rel string) bool) {
	var walk func(root, rel string, level int)
	walk = func(root, rel string, level int) {
		if level > depth {
			return
		}
		ents, err := os.ReadDir(filepath.Join(root, rel))
		if err != nil {
			return
		}
		for _, e := range ents {
			if !e.IsDir() || e.Type()&os.ModeSymlink != 0 {
				continue
			}
			r := filepath.Join(rel, e.Name())
			if fn(filepath.Join(root, r), r) {
				walk(root, r, level+1)
			}
		}
	}
	for _, root := range roots {
		walk(root, "", 1)
	}
}
