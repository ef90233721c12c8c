//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

const (
	fifoDir   = "/run/containerd/fifo" // ctr's stdio FIFOs, whatever the daemon
	socketDir = "/run/wasmtee/s"       // the shim's ttrpc sockets
	leakGrace = 3 * time.Second
)

// snapshot is what existed before a test, so that only what the test added counts.
type snapshot struct {
	fifos, sockets, mounts map[string]bool
}

func (d *daemon) snapshot() snapshot {
	return snapshot{fifos: dirNames(fifoDir), sockets: dirNames(socketDir), mounts: procfs.MountsUnder(d.mountinfo, d.dir)}
}

func (d *daemon) taskStateDir() string {
	return filepath.Join(d.dir, "state", "io.containerd.runtime.v2.task", namespace)
}

// leaks lists what a test left behind: shim and module host processes (see shimProcs),
// mounts under the daemon dir, task bundles, new FIFO
// dirs and shim sockets, and containers or snapshots of the test's container IDs.
func (d *daemon) leaks(before snapshot, ids []string) (found []string, pids []int, mounts []string) {
	for _, p := range shimProcs() {
		pids = append(pids, p.PID)
		found = append(found, fmt.Sprintf("shim process %d: %s (cwd %s)", p.PID, strings.Join(p.Argv, " "), p.Cwd))
	}
	for m := range procfs.MountsUnder(d.mountinfo, d.dir) {
		if !d.mounts0[m] && !before.mounts[m] {
			mounts = append(mounts, m)
			found = append(found, "mount "+m)
		}
	}
	for n := range dirNames(d.taskStateDir()) {
		found = append(found, "task state "+filepath.Join(d.taskStateDir(), n))
	}
	for n := range dirNames(fifoDir) {
		if !before.fifos[n] {
			found = append(found, "FIFO dir "+filepath.Join(fifoDir, n))
		}
	}
	for n := range dirNames(socketDir) {
		if !before.sockets[n] {
			found = append(found, "shim socket "+filepath.Join(socketDir, n))
		}
	}
	if len(ids) > 0 {
		for _, what := range []string{"containers", "snapshots"} {
			r := d.ctr(30*time.Second, what, "ls")
			if r.Code != 0 {
				found = append(found, fmt.Sprintf("cannot list %s: %s", what, r))
				continue
			}
			for _, line := range strings.Split(r.Stdout, "\n")[1:] {
				f := strings.Fields(line)
				if len(f) > 0 && ownedBy(f[0], ids) {
					found = append(found, what[:len(what)-1]+" "+f[0])
				}
			}
		}
	}
	sort.Strings(found)
	return found, pids, mounts
}

// ownedBy: key is one of ids, or a snapshot key made from one ("ID-snap").
func ownedBy(key string, ids []string) bool {
	for _, id := range ids {
		if key == id || strings.HasPrefix(key, id+"-") {
			return true
		}
	}
	return false
}

// checkLeaks fails t if anything is left after the grace period, then cleans up what it
// can so that the next test starts clean.
func (d *daemon) checkLeaks(t testingT, before snapshot, ids []string) {
	t.Helper()
	pollLeftovers(t, "containerd "+d.version, func() ([]string, func() error) {
		found, pids, mounts := d.leaks(before, ids)
		return found, func() error { return d.forceCleanup(before, ids, pids, mounts) }
	})
}

// forceCleanup removes what a test left; it returns what it could not
// remove of the task bundles.
func (d *daemon) forceCleanup(before snapshot, ids []string, pids []int, mounts []string) error {
	for _, id := range ids {
		d.ctr(20*time.Second, "task", "kill", "-s", "SIGKILL", id)
		d.ctr(20*time.Second, "task", "delete", "-f", id)
		d.ctr(20*time.Second, "containers", "delete", id)
		d.ctr(20*time.Second, "snapshots", "rm", id)
		d.ctr(20*time.Second, "snapshots", "rm", id+"-snap")
	}
	killAll(pids)
	unmountAll(mounts)
	// As forceCRICleanup: removeTree never deletes through a rootfs still
	// mounted in a bundle.
	var errs []error
	for n := range dirNames(d.taskStateDir()) {
		errs = append(errs, removeTree(filepath.Join(d.taskStateDir(), n)))
	}
	for n := range dirNames(fifoDir) {
		if !before.fifos[n] {
			os.RemoveAll(filepath.Join(fifoDir, n))
		}
	}
	for n := range dirNames(socketDir) {
		if !before.sockets[n] {
			os.Remove(filepath.Join(socketDir, n))
		}
	}
	return errors.Join(errs...)
}

// testingT is the part of *testing.T the leak check needs.
type testingT interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
}

// ourProcs are the live (not zombie) processes whose executable is the shim
// or the module host binary under test.
func ourProcs() []procfs.Proc { return procfs.Running(env.shim, env.host) }

// shimProcs are the live processes running the shim or module host binary under test, less those that
// provably serve some other daemon (a developer's own, on a shared machine): a shim whose
// -address is outside our daemon dirs, and the children of such a shim.
func shimProcs() []procfs.Proc {
	all := ourProcs()
	foreign := map[int]bool{}
	for _, p := range all {
		if a := flagValue(strings.Join(p.Argv, " "), "-address"); a != "" && !underDaemonDir(a) {
			foreign[p.PID] = true
		}
	}
	var out []procfs.Proc
	for _, p := range all {
		if !foreign[p.PID] && !foreign[p.PPID] {
			out = append(out, p)
		}
	}
	return out
}

func underDaemonDir(path string) bool {
	for _, v := range versions {
		if strings.HasPrefix(path, daemonDir(v)+"/") {
			return true
		}
	}
	return false
}

// flagValue finds "-name value" in a space-joined command line.
func flagValue(cmdline, name string) string {
	f := strings.Fields(cmdline)
	for i := 0; i+1 < len(f); i++ {
		if f[i] == name || f[i] == "-"+name {
			return f[i+1]
		}
	}
	return ""
}

func dirNames(dir string) map[string]bool {
	ents, _ := os.ReadDir(dir)
	out := map[string]bool{}
	for _, e := range ents {
		out[e.Name()] = true
	}
	return out
}
