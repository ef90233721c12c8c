//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// findFunc lists what a test left behind, and returns a function that
// removes exactly that (and says what it could not remove).
type findFunc func() (found []string, clean func() error)

// pollLeftovers calls find until it finds nothing or leakGrace has passed.
// If something is still there, it fails t naming it (what says whose
// leftovers they are), removes it with the clean function of the last
// find, so that one failing test does not fail the next ones, and logs
// whatever survives that.
func pollLeftovers(t testingT, what string, find findFunc) {
	t.Helper()
	deadline := time.Now().Add(leakGrace)
	for {
		found, clean := find()
		if len(found) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: left behind after %v:\n  %s", what, leakGrace, strings.Join(found, "\n  "))
			if err := clean(); err != nil {
				t.Logf("%s: forced cleanup: %v", what, err)
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if left, _ := find(); len(left) > 0 {
		t.Logf("%s: still left after forced cleanup:\n  %s", what, strings.Join(left, "\n  "))
	}
}

// killAll sends SIGKILL to each of pids and waits up to a second for them
// to be gone (or zombies), so that what they held can be removed.
func killAll(pids []int) {
	if len(pids) == 0 {
		return
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) && slices.ContainsFunc(pids, func(pid int) bool { return !gone(pid) }) {
		time.Sleep(20 * time.Millisecond)
	}
}

// gone: pid no longer runs (it has exited, or is a zombie).
func gone(pid int) bool {
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, zombie := procfs.ParseStat(st)
	return zombie
}

// unmountAll unmounts mounts deepest first (lazily if busy).
func unmountAll(mounts []string) {
	mounts = append([]string(nil), mounts...)
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	for _, m := range mounts {
		if err := syscall.Unmount(m, 0); err != nil {
			syscall.Unmount(m, syscall.MNT_DETACH)
		}
	}
}

// removeTree unmounts what is mounted below dir, then removes dir with
// everything in it; it refuses while something is still mounted there,
// so that it never deletes through a mount.
func removeTree(dir string) error {
	var ms []string
	for m := range procfs.MountsUnder(procfs.SelfMountinfo, dir) {
		ms = append(ms, m)
	}
	unmountAll(ms)
	if left := procfs.MountsUnder(procfs.SelfMountinfo, dir); len(left) > 0 {
		return fmt.Errorf("not removing %s: %d mounts still below it", dir, len(left))
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}
