package stress

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/containerd/containerd"
	tasks "github.com/containerd/containerd/api/services/tasks/v1"
	"github.com/containerd/containerd/snapshots"

	"github.com/wasmtee/wasmtee/shim/api"
	"github.com/wasmtee/wasmtee/shim/bootstrap"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

const (
	wasmteeEntry = "containerd-shim-wasmtee-v1"
	wasmteeShim  = bootstrap.ServerBinary
	taskPlugin   = "io.containerd.runtime.v2.task"
)

// Directories shared by every daemon of the machine where shims leave
// their sockets: wasmtee's own, and containerd's (runc shim, 1.x shims).
var socketDirs = []string{api.Dir, "/run/containerd/s"}

// runtimeStateDirs hold per-container state of runc (the runc shim's, and
// the wasmtee shim's for native sidecars), one directory per namespace.
var runtimeStateDirs = []string{"/run/containerd/runc", "/run/wasmtee/runc"}

// scope says what belongs to this stress run: the daemon, its directories,
// the namespace and the container ID prefix. Other users of the machine
// run their own daemons and shims at the same time; they are not counted.
type scope struct {
	cfg       *config
	daemonPID int
	root      string
	state     string
	taskDir   string // STATE/io.containerd.runtime.v2.task/NAMESPACE
	shimName  string // containerd-shim-NAME-vN of the runtime
	mountinfo string
	sockets   map[string]bool // socket names a shim of one of our IDs would bind
}

func newScope(cfg *config) (*scope, error) {
	s := &scope{cfg: cfg, daemonPID: cfg.daemonPID, root: cfg.root, state: cfg.state, shimName: shimBinary(cfg.runtime)}
	if s.daemonPID == 0 {
		pid, err := listenerPID(cfg.address)
		if err != nil {
			return nil, fmt.Errorf("finding containerd's pid: %w", err)
		}
		s.daemonPID = pid
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", s.daemonPID)); err != nil {
		return nil, fmt.Errorf("daemon pid %d: %w", s.daemonPID, err)
	}
	if s.root == "" || s.state == "" {
		root, state, err := daemonDirs(s.daemonPID)
		if err != nil {
			return nil, err
		}
		s.root = cmp(s.root, root)
		s.state = cmp(s.state, state)
	}
	// -state may name the directory that holds the daemon's state directory
	// (scripts/containerd.sh's DIR, with DIR/state).
	if !exists(filepath.Join(s.state, taskPlugin)) && exists(filepath.Join(s.state, "state", taskPlugin)) {
		s.state = filepath.Join(s.state, "state")
	}
	if !exists(filepath.Join(s.state, taskPlugin)) {
		return nil, fmt.Errorf("%s is not containerd's state directory (no %s in it): give -state", s.state, taskPlugin)
	}
	s.taskDir = filepath.Join(s.state, taskPlugin, cfg.namespace)
	s.mountinfo = fmt.Sprintf("/proc/%d/mountinfo", s.daemonPID) // the daemon's mount namespace
	s.sockets = map[string]bool{}
	for i := 0; i < cfg.n; i++ {
		id := fmt.Sprintf("%s-%05d", cfg.idPrefix, i)
		s.sockets[filepath.Base(api.Address(cfg.address, cfg.namespace, api.Group(id, nil)))] = true
		// containerd's shim library (runc shim, 1.x and 2.x)
		s.sockets[fmt.Sprintf("%x", sha256.Sum256([]byte(filepath.Join(cfg.address, cfg.namespace, id))))] = true
	}
	return s, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// shimBinary is the serving shim process of a runtime type:
// io.containerd.NAME.vN runs containerd-shim-NAME-vN, which for wasmtee is
// the entry binary that starts wasmtee-shim.
func shimBinary(runtime string) string {
	name := filepath.Base(runtime)
	if !strings.HasPrefix(runtime, "/") {
		p := strings.Split(runtime, ".")
		if len(p) < 2 {
			name = "containerd-shim-" + runtime
		} else {
			name = "containerd-shim-" + p[len(p)-2] + "-" + p[len(p)-1]
		}
	}
	if name == wasmteeEntry {
		return wasmteeShim
	}
	return name
}

func (s *scope) ourID(id string) bool { return strings.HasPrefix(id, s.cfg.idPrefix+"-") }

// picture is what exists at one moment.
type picture struct {
	procs        map[int]procfs.Proc // this daemon's shims of the runtime, our module hosts, their descendants
	shimFDs      map[int]int         // open fds of each of those shims
	machineProcs int                 // every wasmtee shim and module host on the machine (other users' too)
	daemonFDs    int
	toolFDs      int
	mounts       map[string]bool // under root and state
	cgroups      []string        // cgroup directories named like our container IDs
	nsCgroups    []string        // the namespace's parent cgroups (/NAMESPACE)
	taskEntries  map[string]bool
	sockets      map[string]bool // entries of socketDirs (full paths)
	runtimeState []string        // our IDs in runtimeStateDirs
	objects      []string        // containers, tasks and snapshots of our IDs known to the daemon
	objectsErr   error
}

func (s *scope) take(ctx context.Context, client *containerd.Client) *picture {
	p := &picture{shimFDs: map[int]int{}}
	all := processes()
	p.procs = s.ours(all)
	for pid, pr := range p.procs {
		if filepath.Base(pr.Exe) == s.shimName && !pr.IsModuleHost() {
			p.shimFDs[pid] = fdCount(pid)
		}
	}
	for _, pr := range all {
		if !pr.Zombie && (filepath.Base(pr.Exe) == wasmteeShim || pr.IsModuleHost()) {
			p.machineProcs++
		}
	}
	p.daemonFDs = fdCount(s.daemonPID)
	p.toolFDs = fdCount(os.Getpid())
	p.mounts = map[string]bool{}
	mps := procfs.Mounts(s.mountinfo)
	for mp := range mps {
		if under(mp, s.root) || under(mp, s.state) {
			p.mounts[mp] = true
		}
	}
	p.cgroups, p.nsCgroups = s.findCgroups(mps)
	p.taskEntries = dirEntries(s.taskDir)
	p.sockets = map[string]bool{}
	for _, d := range socketDirs {
		for n := range dirEntries(d) {
			p.sockets[filepath.Join(d, n)] = true
		}
	}
	for _, d := range runtimeStateDirs {
		for n := range dirEntries(filepath.Join(d, s.cfg.namespace)) {
			if s.ourID(n) {
				p.runtimeState = append(p.runtimeState, filepath.Join(d, s.cfg.namespace, n))
			}
		}
	}
	p.objects, p.objectsErr = s.daemonObjects(ctx, client)
	return p
}

// ours picks this run's processes: shims of the runtime that serve this
// daemon (their -address is its socket, or they run in its task state
// directory, as every shim does), module hosts of our container IDs, and
// every descendant of those (a runc container's process, say).
func (s *scope) ours(all map[int]procfs.Proc) map[int]procfs.Proc {
	out := map[int]procfs.Proc{}
	for pid, p := range all {
		if p.Zombie || pid == os.Getpid() || pid == s.daemonPID {
			continue
		}
		id, isHost := procfs.ModuleHost(p)
		shim := filepath.Base(p.Exe) == s.shimName && !isHost &&
			(strings.TrimPrefix(argValue(p.Argv, "-address", "--address"), "unix://") == s.cfg.address ||
				under(p.Cwd, filepath.Join(s.state, taskPlugin)))
		host := isHost && s.ourID(id)
		if shim || host {
			out[pid] = p
		}
	}
	for changed := true; changed; {
		changed = false
		for pid, p := range all {
			if _, ok := out[pid]; ok || p.Zombie || pid == os.Getpid() || pid == s.daemonPID {
				continue
			}
			if _, ok := out[p.PPID]; ok {
				out[pid] = p
				changed = true
			}
		}
	}
	return out
}

// findCgroups walks every mounted cgroup hierarchy (v1 controllers and the
// v2 tree) a few levels deep for directories named like our container IDs,
// and for the namespace's parent directories.
func (s *scope) findCgroups(mps map[string]string) (ours, parents []string) {
	procfs.WalkCgroups(procfs.CgroupRoots(mps), 3, func(path, rel string) bool {
		switch {
		case s.ourID(filepath.Base(path)):
			ours = append(ours, path)
			return false
		case rel == s.cfg.namespace:
			parents = append(parents, path)
		}
		return true
	})
	slices.Sort(ours)
	slices.Sort(parents)
	return ours, parents
}

// daemonObjects lists the containers, tasks and snapshots of our IDs that
// the daemon still knows.
func (s *scope) daemonObjects(ctx context.Context, client *containerd.Client) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out []string
	cs, err := client.ContainerService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	for _, c := range cs {
		if s.ourID(c.ID) {
			out = append(out, "container "+c.ID)
		}
	}
	ts, err := client.TaskService().List(ctx, &tasks.ListTasksRequest{})
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	for _, t := range ts.Tasks {
		if s.ourID(t.ID) {
			out = append(out, fmt.Sprintf("task %s (pid %d, %s)", t.ID, t.Pid, t.Status))
		}
	}
	err = client.SnapshotService(s.cfg.snapshotter).Walk(ctx, func(_ context.Context, i snapshots.Info) error {
		if s.ourID(i.Name) {
			out = append(out, "snapshot "+i.Name)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	slices.Sort(out)
	return out, nil
}

// LeakItem is one kind of resource, counted before and after.
type LeakItem struct {
	What   string   `json:"what"`
	Before int      `json:"before"`
	After  int      `json:"after"`
	Leaked []string `json:"leaked,omitempty"`
	Note   string   `json:"note,omitempty"`
}

// LeakReport is the leak check: every kind of resource counted.
type LeakReport struct {
	Items        []LeakItem `json:"items"`
	Leaked       bool       `json:"leaked"`
	WaitedS      float64    `json:"waited_s"` // how long after the last run the check settled
	Unattributed []string   `json:"unattributed,omitempty"`
}

// check takes "after" pictures until nothing of ours is left or grace has
// passed (shims exit asynchronously after their last delete), and
// compares the last one with before.
func (s *scope) check(ctx context.Context, client *containerd.Client, before *picture, grace time.Duration) *LeakReport {
	start := time.Now()
	var rep *LeakReport
	for {
		rep = s.compare(before, s.take(ctx, client))
		if !rep.Leaked || time.Since(start) >= grace {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	rep.WaitedS = float64(time.Since(start).Round(10*time.Millisecond).Milliseconds()) / 1000
	return rep
}

func (s *scope) compare(b, a *picture) *LeakReport {
	r := &LeakReport{}
	add := func(it LeakItem) {
		slices.Sort(it.Leaked)
		if len(it.Leaked) > 0 {
			r.Leaked = true
		}
		r.Items = append(r.Items, it)
	}

	it := LeakItem{What: fmt.Sprintf("processes: %s of this daemon, module hosts, their children", s.shimName),
		Before: len(b.procs), After: len(a.procs)}
	for pid, p := range a.procs {
		if _, ok := b.procs[pid]; !ok {
			it.Leaked = append(it.Leaked, p.String())
		}
	}
	add(it)

	it = LeakItem{What: "open fds of those shims", Before: sum(b.shimFDs), After: sum(a.shimFDs)}
	for pid, n := range a.shimFDs {
		if _, ok := b.procs[pid]; !ok {
			it.Leaked = append(it.Leaked, fmt.Sprintf("shim pid %d: %d fds", pid, n))
		}
	}
	if len(a.shimFDs) == 0 {
		it.Note = "no shim alive"
	}
	add(it)

	it = LeakItem{What: fmt.Sprintf("containerd fds (pid %d)", s.daemonPID), Before: b.daemonFDs, After: a.daemonFDs}
	growth := a.daemonFDs - b.daemonFDs
	it.Note = fmt.Sprintf("growth %+d, slack %d", growth, s.cfg.fdSlack)
	if b.daemonFDs < 0 || a.daemonFDs < 0 {
		it.Leaked = append(it.Leaked, fmt.Sprintf("cannot read /proc/%d/fd (daemon gone?)", s.daemonPID))
	} else if growth > s.cfg.fdSlack {
		it.Leaked = append(it.Leaked, fmt.Sprintf("containerd holds %d more fds than before (slack %d)", growth, s.cfg.fdSlack))
	}
	add(it)

	add(LeakItem{What: "fds of this tool (information)", Before: b.toolFDs, After: a.toolFDs})

	it = LeakItem{What: fmt.Sprintf("mounts under %s and %s", s.root, s.state), Before: len(b.mounts), After: len(a.mounts)}
	for m := range a.mounts {
		if !b.mounts[m] {
			it.Leaked = append(it.Leaked, m)
		}
	}
	add(it)

	it = LeakItem{What: fmt.Sprintf("cgroups named %s-*", s.cfg.idPrefix), Before: len(b.cgroups), After: len(a.cgroups)}
	it.Leaked = append(it.Leaked, a.cgroups...)
	it.Note = fmt.Sprintf("%d parent /%s cgroups (one per hierarchy, never removed by containerd or runc)", len(a.nsCgroups), s.cfg.namespace)
	add(it)

	it = LeakItem{What: "task state dirs in " + s.taskDir, Before: len(b.taskEntries), After: len(a.taskEntries)}
	for n := range a.taskEntries {
		if !b.taskEntries[n] {
			it.Leaked = append(it.Leaked, filepath.Join(s.taskDir, n))
		}
	}
	add(it)

	it = LeakItem{What: "shim sockets in " + strings.Join(socketDirs, ", "), Before: len(b.sockets), After: len(a.sockets),
		Note: "all users of the machine; only new sockets of this run count"}
	byPath, _ := unixSockets()
	for path := range a.sockets {
		if b.sockets[path] {
			continue
		}
		if s.sockets[filepath.Base(path)] {
			it.Leaked = append(it.Leaked, path+" (named for one of this run's containers)")
			continue
		}
		holders := socketHolders(byPath[path])
		mine := false
		for _, h := range holders {
			if _, ok := a.procs[h]; ok {
				mine = true
			}
		}
		switch {
		case mine:
			it.Leaked = append(it.Leaked, fmt.Sprintf("%s (held by %v)", path, holders))
		case len(holders) == 0:
			r.Unattributed = append(r.Unattributed, path+": new during the run, no process holds it, name not of this run")
		}
	}
	add(it)

	it = LeakItem{What: "runc state of our IDs in " + strings.Join(runtimeStateDirs, ", "), Before: len(b.runtimeState), After: len(a.runtimeState)}
	it.Leaked = append(it.Leaked, a.runtimeState...)
	add(it)

	it = LeakItem{What: "containers, tasks, snapshots of our IDs in containerd", Before: len(b.objects), After: len(a.objects)}
	it.Leaked = append(it.Leaked, a.objects...)
	if a.objectsErr != nil {
		it.Leaked = append(it.Leaked, "cannot list: "+a.objectsErr.Error())
	}
	add(it)

	add(LeakItem{What: "wasmtee shims and module hosts on the machine (information)", Before: b.machineProcs, After: a.machineProcs,
		Note: "includes other daemons' (other users of the machine); not part of the verdict"})
	slices.Sort(r.Unattributed)
	return r
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func describeProcs(m map[int]procfs.Proc) string {
	var s []string
	for _, p := range m {
		s = append(s, p.String())
	}
	slices.Sort(s)
	return strings.Join(s, "; ")
}
