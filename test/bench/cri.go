package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// The Kubernetes (CRI) benchmark: pods made with crictl through the daemon's
// CRI plugin, on the handler "wasmtee" (scripts/containerd.sh's configs) and
// on "runc". Every pod uses the node's network (no CNI) and one cgroup
// parent per pod under /criCgroupRoot, as a kubelet with the cgroupfs driver
// would give it.

const (
	criNamespace = "k8s.io" // containerd namespace of CRI's pods, containers and images
	// criCgroupRoot is the cgroup under which every pod's cgroup parent is.
	criCgroupRoot = "wasmtee-bench-cri"
	// crictlTimeout bounds one crictl process; crictl's own --timeout (per request) is 30 s.
	crictlTimeout = 90 * time.Second
	// runningTimeout bounds the wait for started containers to be CONTAINER_RUNNING.
	runningTimeout = time.Minute
	// settle is the pause between the last container's start and the memory reading.
	settle = 3 * time.Second
	// perPodContainers: containers per pod of the multi-container density runs.
	perPodContainers = 10
)

// criResult is everything the CRI benchmark measured on one daemon.
type criResult struct {
	starts   map[string][]podStart // by workload key; measured pods only
	density  []densityResult
	failures []string // parts that failed (and were skipped); the rest still ran
	warnings []string
	took     time.Duration
}

// podStart is one timed pod: up is from just before `crictl runp` until
// `crictl inspect` shows the container CONTAINER_RUNNING, down is `crictl
// stopp` + `crictl rmp`; the rest are the crictl processes they consist of.
type podStart struct {
	up, down                     time.Duration
	runp, create, start, inspect time.Duration
	stopp, rmp                   time.Duration
	inspects                     int // inspect calls until running
}

// densityResult: pods × perPod idle containers, all running at once.
type densityResult struct {
	w             criWorkload
	pods, perPod  int
	mem           memSnapshot
	setup, remove time.Duration // wall time to start all (until all running), to remove all
	availBefore   int64         // MemAvailable (KiB) before the first pod
	availLow      int64         // lowest MemAvailable seen while the pods ran
	err           error
	guard         bool // err is the memory guard's: the run was stopped to keep the machine safe
}

func (r densityResult) containers() int { return r.pods * r.perPod }

// criClient runs crictl and ctr against one daemon's CRI.
type criClient struct {
	s     *criSetup
	d     *daemon
	runID string // in pod UIDs: unique per run
}

// benchCRI runs the CRI benchmark on d. A part that fails is recorded in
// failures, its pods are removed and the next part runs; only an interrupt
// (ctx) stops it early. It always removes every pod it made.
func benchCRI(ctx context.Context, c config, d *daemon, s *criSetup) *criResult {
	t0 := time.Now()
	r := &criResult{}
	cl := &criClient{s: s, d: d, runID: strconv.FormatInt(time.Now().UnixNano(), 36)}
	runcDirs := existingDirs(runcStateDirs())
	defer func() {
		r.warnings = append(r.warnings, cl.finalCheck(runcDirs)...)
		r.took = time.Since(t0)
		for _, w := range r.warnings {
			fmt.Fprintln(os.Stderr, "bench: WARNING:", w)
		}
	}()
	fail := func(what string, err error) {
		msg := fmt.Sprintf("%s: %v", what, err)
		r.failures = append(r.failures, msg)
		fmt.Fprintln(os.Stderr, "bench: ERROR (CRI, continuing):", msg)
	}

	if err := cl.importImages(ctx); err != nil {
		fail("importing the images into "+criNamespace, err)
		return r
	}

	if c.runs(secPodStart) {
		step(fmt.Sprintf("containerd %s: CRI pod start + teardown, %d pods each of wasm and runc, interleaved, after a warm-up pod each", d.version, c.podStarts))
		starts, err := cl.podStarts(ctx, c.podStarts)
		r.starts = starts
		if err != nil {
			fail("pod start", err)
			if rerr := cl.removeAll(ctx); rerr != nil {
				fail("removing the pods", rerr)
			}
		}
	}
	if !c.runs(secDensity) {
		return r
	}

	// One pod of each wasm workload first, so that the measured pods load
	// their module from the handler's compile cache (as on a node that has
	// run the image before) and no module host holds a fresh compile.
	for _, w := range []criWorkload{s.wasm, s.goWasm} {
		if ctx.Err() != nil {
			return r
		}
		step(fmt.Sprintf("containerd %s: CRI density warm-up pod (%s)", d.version, w.key))
		if _, err := cl.onePod(ctx, w, "bench-density-warmup-"+w.key); err != nil {
			fail("density warm-up "+w.key, err)
			if rerr := cl.removeAll(ctx); rerr != nil {
				fail("removing the pods", rerr)
			}
		}
	}
	for _, n := range c.density {
		for _, perPod := range []int{1, perPodContainers} {
			for _, w := range []criWorkload{s.wasm, s.goWasm, s.runc} {
				if ctx.Err() != nil {
					return r
				}
				pods := n / perPod
				step(fmt.Sprintf("containerd %s: CRI density, %s: %d pods × %d idle containers", d.version, w.key, pods, perPod))
				dr := cl.density(ctx, w, pods, perPod, int64(c.memFloorMiB)<<10)
				if dr.err != nil {
					fail(fmt.Sprintf("density %s %d×%d", w.key, pods, perPod), dr.err)
				} else {
					fmt.Fprintf(os.Stderr, "  %d processes, PSS %.1f MiB (%.2f MiB per pod, %.2f MiB per container); started in %.1f s, removed in %.1f s\n",
						dr.mem.processes(), mib(dr.mem.total().pss), mib(dr.mem.total().pss)/float64(dr.pods),
						mib(dr.mem.total().pss)/float64(dr.containers()), dr.setup.Seconds(), dr.remove.Seconds())
				}
				r.warnings = append(r.warnings, dr.mem.warnings...)
				r.density = append(r.density, dr)
			}
		}
	}
	return r
}

// ctrNS runs `ctr -a SOCK -n NS ARGS...` (uninterruptible, like d.ctr).
func (d *daemon) ctrNS(ctx context.Context, timeout time.Duration, ns string, args ...string) cmdResult {
	full := append([]string{"-a", d.sock, "-n", ns}, args...)
	return runCmd(context.WithoutCancel(ctx), timeout, d.repo, nil, d.ctrBin, full...)
}

// importImages imports the sandbox image and the workloads' images into
// k8s.io, unpacked into overlayfs: CRI does not unpack an image it finds in
// its store. ctr 2.4 imports through the daemon's transfer service, which
// does not unpack a wasip1/wasm image; --local imports (and unpacks) in ctr
// itself, as ctr 1.6 always does.
func (c *criClient) importImages(ctx context.Context) error {
	for _, im := range c.s.images {
		if err := ctx.Err(); err != nil {
			return err
		}
		args := []string{"images", "import", "--all-platforms", "--snapshotter", "overlayfs"}
		if c.d.version != "1.6" {
			args = append(args, "--local")
		}
		if r := c.d.ctrNS(ctx, 3*time.Minute, criNamespace, append(args, im.tar)...); !r.ok() {
			return fmt.Errorf("import %s: %s", filepath.Base(im.tar), r)
		}
		r := c.d.ctrNS(ctx, time.Minute, criNamespace, "images", "ls", "-q")
		found := false
		for _, l := range strings.Split(r.stdout, "\n") {
			found = found || strings.TrimSpace(l) == im.ref
		}
		if !found {
			return fmt.Errorf("%s is not in the %s image store after importing %s:\n%s", im.ref, criNamespace, im.tar, r)
		}
	}
	return nil
}

// crictl runs crictl against the daemon's CRI endpoint, to completion or
// timeout: like ctr, a crictl killed half-way can leave half-made pods.
func (c *criClient) crictl(ctx context.Context, args ...string) cmdResult {
	ep := "unix://" + c.d.sock
	full := append([]string{"--config", c.s.config, "--runtime-endpoint", ep, "--image-endpoint", ep, "--timeout", "30s"}, args...)
	r := runCmd(context.WithoutCancel(ctx), crictlTimeout, c.d.repo, nil, c.s.crictl, full...)
	r.argv = append([]string{"crictl"}, args...)
	return r
}

var criID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// idOf is the pod or container ID `crictl runp` or `crictl create` printed.
func idOf(r cmdResult) (string, error) {
	if !r.ok() {
		return "", errors.New(r.String())
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	id := strings.TrimSpace(lines[len(lines)-1])
	if !criID.MatchString(id) {
		return "", fmt.Errorf("no ID in the output of %s", r)
	}
	return id, nil
}

// criPod is a pod the benchmark made.
type criPod struct {
	name, id string
	config   string // its pod config file
	ctrs     []string
}

// writeJSON writes v as JSON to dir/name.
func writeJSON(dir, name string, v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, b, 0o644)
}

// startPod: `crictl runp`, then `crictl create` + `crictl start` per
// container; the crictl times are added to t. It returns the pod as far as
// it got (id empty if runp failed), so that the caller can remove it.
func (c *criClient) startPod(ctx context.Context, w criWorkload, name string, nctr int, t *podStart) (*criPod, error) {
	p := &criPod{name: name}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	uid := name + "-" + c.runID
	logDir := filepath.Join(c.s.dir, "logs", uid)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return p, err
	}
	var err error
	p.config, err = writeJSON(c.s.dir, name+".pod.json", map[string]any{
		"metadata":      map[string]any{"name": name, "namespace": "wasmtee-bench", "uid": uid, "attempt": 0},
		"log_directory": logDir,
		"linux": map[string]any{
			"cgroup_parent":    "/" + criCgroupRoot + "/pod-" + uid,
			"security_context": map[string]any{"namespace_options": map[string]any{"network": 2}}, // NODE
		},
	})
	if err != nil {
		return p, err
	}
	r := c.crictl(ctx, "runp", "--runtime", w.handler, p.config)
	t.runp += r.elapsed
	if p.id, err = idOf(r); err != nil {
		return p, err
	}
	for i := 0; i < nctr; i++ {
		cname := fmt.Sprintf("c%d", i)
		cfg := map[string]any{
			"metadata": map[string]any{"name": cname},
			"image":    map[string]any{"image": w.ref},
			"log_path": cname + ".log",
		}
		if len(w.command) > 0 {
			cfg["command"] = w.command
		}
		cpath, err := writeJSON(c.s.dir, name+"."+cname+".json", cfg)
		if err != nil {
			return p, err
		}
		r := c.crictl(ctx, "create", p.id, cpath, p.config)
		t.create += r.elapsed
		cid, err := idOf(r)
		if err != nil {
			return p, err
		}
		p.ctrs = append(p.ctrs, cid)
		r = c.crictl(ctx, "start", cid)
		t.start += r.elapsed
		if !r.ok() {
			return p, errors.New(r.String())
		}
	}
	return p, nil
}

// inspectState is the container's state as `crictl inspect` shows it.
func (c *criClient) inspectState(ctx context.Context, id string) (string, cmdResult, error) {
	r := c.crictl(ctx, "inspect", "-o", "json", id)
	if !r.ok() {
		return "", r, errors.New(r.String())
	}
	var v struct {
		Status struct {
			State string `json:"state"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		return "", r, fmt.Errorf("crictl inspect %s: %w", id, err)
	}
	return v.Status.State, r, nil
}

// containerStates: the state of every container of the daemon's CRI, by ID.
func (c *criClient) containerStates(ctx context.Context) (map[string]string, error) {
	r := c.crictl(ctx, "ps", "-a", "-o", "json")
	if !r.ok() {
		return nil, errors.New(r.String())
	}
	var v struct {
		Containers []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"containers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		return nil, fmt.Errorf("crictl ps: %w", err)
	}
	m := map[string]string{}
	for _, ct := range v.Containers {
		m[ct.ID] = ct.State
	}
	return m, nil
}

// stopRemove: `crictl stopp` then `crictl rmp`, timed into t.
func (c *criClient) stopRemove(ctx context.Context, p *criPod, t *podStart) error {
	r := c.crictl(ctx, "stopp", p.id)
	t.stopp = r.elapsed
	if !r.ok() {
		return errors.New(r.String())
	}
	r = c.crictl(ctx, "rmp", p.id)
	t.rmp = r.elapsed
	if !r.ok() {
		return errors.New(r.String())
	}
	return nil
}

// onePod starts a pod of one container of w, waits until the container is
// CONTAINER_RUNNING, then stops and removes the pod: up is runp until
// running, down is stopp + rmp.
func (c *criClient) onePod(ctx context.Context, w criWorkload, name string) (podStart, error) {
	var t podStart
	t0 := time.Now()
	p, err := c.startPod(ctx, w, name, 1, &t)
	for err == nil {
		var state string
		var r cmdResult
		state, r, err = c.inspectState(ctx, p.ctrs[0])
		t.inspect += r.elapsed
		t.inspects++
		if state == "CONTAINER_RUNNING" || err != nil {
			break
		}
		if state == "CONTAINER_EXITED" || time.Since(t0) > runningTimeout {
			err = fmt.Errorf("pod %s: container %s is %s, not CONTAINER_RUNNING", name, p.ctrs[0], state)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.up = time.Since(t0)
	if err != nil {
		return t, fmt.Errorf("%s pod %s: %w", w.key, name, err)
	}
	t1 := time.Now()
	if err := c.stopRemove(ctx, p, &t); err != nil {
		return t, fmt.Errorf("%s pod %s: %w", w.key, name, err)
	}
	t.down = time.Since(t1)
	return t, nil
}

// podStarts times n pods of each handler, interleaved (wasm, runc, wasm,
// ...), after a discarded warm-up pod of each (the first wasm start compiles
// the module into the cache). Each pod is torn down before the next starts.
func (c *criClient) podStarts(ctx context.Context, n int) (map[string][]podStart, error) {
	out := map[string][]podStart{}
	for i := 0; i <= n; i++ {
		for _, w := range []criWorkload{c.s.wasm, c.s.runc} {
			name := fmt.Sprintf("bench-start-%s-%d", w.key, i)
			if i == 0 {
				name = fmt.Sprintf("bench-start-%s-warmup", w.key)
			}
			t, err := c.onePod(ctx, w, name)
			if err != nil {
				return out, err
			}
			if i > 0 {
				out[w.key] = append(out[w.key], t)
			}
		}
		progress(i, n)
	}
	return out, nil
}

// memAvailable is MemAvailable of /proc/meminfo in KiB (-1 if unreadable).
func memAvailable() int64 {
	v, err := strconv.ParseInt(strings.Fields(procField("/proc/meminfo", "MemAvailable") + " x")[0], 10, 64)
	if err != nil {
		return -1
	}
	return v
}

// memoryGuard says why starting more pods is not safe: MemAvailable is
// below floor (KiB), or will be before the run ends at the rate the first
// started pods have used it.
func memoryGuard(before, now int64, started, total int, floor int64) error {
	if before < 0 || now < 0 || floor <= 0 {
		return nil
	}
	if now < floor {
		return fmt.Errorf("memory guard: MemAvailable %.0f MiB is below -mem-floor %d MiB after %d of %d pods",
			mib(now), floor>>10, started, total)
	}
	if started >= 5 && before > now {
		projected := before - (before-now)*int64(total)/int64(started)
		if projected < floor {
			return fmt.Errorf("memory guard: after %d of %d pods MemAvailable fell from %.0f to %.0f MiB; all %d would leave about %.0f MiB, below -mem-floor %d MiB",
				started, total, mib(before), mib(now), total, mib(projected), floor>>10)
		}
	}
	return nil
}

// density starts pods pods of perPod idle containers of w, waits until all
// run, lets them settle, sums the PSS of the handler's processes, then
// removes every pod and waits for those processes to be gone.
//
// Before every pod it checks memoryGuard against floor (KiB of
// MemAvailable): a run that would leave the machine short stops, removes
// its pods and reports why.
func (c *criClient) density(ctx context.Context, w criWorkload, pods, perPod int, floor int64) (res densityResult) {
	res = densityResult{w: w, pods: pods, perPod: perPod, availBefore: memAvailable()}
	res.availLow = res.availBefore
	var live []*criPod
	defer func() {
		if res.err != nil {
			if err := c.removeAll(ctx); err != nil {
				res.err = errors.Join(res.err, fmt.Errorf("removing the pods: %w", err))
			}
		}
	}()
	t0 := time.Now()
	for i := 0; i < pods; i++ {
		now := memAvailable()
		res.availLow = min(res.availLow, now)
		if err := memoryGuard(res.availBefore, now, i, pods, floor); err != nil {
			res.err, res.guard = err, true
			fmt.Fprintln(os.Stderr)
			return res
		}
		var t podStart
		p, err := c.startPod(ctx, w, fmt.Sprintf("bench-density-%s-%dx%d-%d", w.key, pods, perPod, i), perPod, &t)
		if err != nil {
			res.err = err
			return res
		}
		live = append(live, p)
		if (i+1)%10 == 0 || i+1 == pods {
			fmt.Fprint(os.Stderr, ".")
		}
	}
	fmt.Fprintln(os.Stderr)
	for {
		states, err := c.containerStates(ctx)
		if err != nil {
			res.err = err
			return res
		}
		notRunning := 0
		var bad []string
		for _, p := range live {
			for _, id := range p.ctrs {
				switch st := states[id]; st {
				case "CONTAINER_RUNNING":
				case "CONTAINER_CREATED", "CONTAINER_UNKNOWN":
					notRunning++
				default:
					bad = append(bad, fmt.Sprintf("%s (pod %s) is %q", id[:12], p.name, st))
				}
			}
		}
		if len(bad) > 0 {
			res.err = fmt.Errorf("containers not running: %s", strings.Join(bad, ", "))
			return res
		}
		if notRunning == 0 {
			break
		}
		if time.Since(t0) > time.Duration(pods)*runningTimeout/10+runningTimeout {
			res.err = fmt.Errorf("%d containers still not running", notRunning)
			return res
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.setup = time.Since(t0)

	time.Sleep(settle)
	res.mem = measureMemory(c.d, w)
	res.availLow = min(res.availLow, memAvailable())
	if n := res.mem.count(kindShim); n != pods {
		var shims []string
		for _, p := range daemonProcesses(c.d) {
			if p.kind == kindShim && p.handler == w.handler {
				shims = append(shims, fmt.Sprintf("%s [ppid %d, cwd %s]", p, p.PPID, p.Cwd))
			}
		}
		res.mem.warnings = append(res.mem.warnings, fmt.Sprintf("density %s %d×%d: %d shim processes for %d pods: %s",
			w.key, pods, perPod, n, pods, strings.Join(shims, "; ")))
	}
	if w.moduleHosts {
		if n := res.mem.count(kindModuleHost); n != res.containers() {
			res.mem.warnings = append(res.mem.warnings, fmt.Sprintf("density %s %d×%d: %d module hosts for %d containers", w.key, pods, perPod, n, res.containers()))
		}
	}

	t1 := time.Now()
	for _, p := range live {
		var t podStart
		if err := c.stopRemove(ctx, p, &t); err != nil {
			res.err = err
			return res
		}
	}
	res.remove = time.Since(t1)
	if left := c.waitProcessesGone(15 * time.Second); len(left) > 0 {
		res.mem.warnings = append(res.mem.warnings, fmt.Sprintf("density %s %d×%d: processes still there 15 s after the last rmp: %s",
			w.key, pods, perPod, strings.Join(left, "; ")))
	}
	return res
}

// pods lists the IDs of the daemon's pod sandboxes.
func (c *criClient) pods(ctx context.Context) ([]string, error) {
	r := c.crictl(ctx, "pods", "-q")
	if !r.ok() {
		return nil, errors.New(r.String())
	}
	return strings.Fields(r.stdout), nil
}

// removeAll stops and removes every pod of the daemon's CRI (after a
// failure, and at the end). Ignores cancellation: cleanup must happen.
func (c *criClient) removeAll(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		ids, err := c.pods(ctx)
		if err != nil {
			last = err
			continue
		}
		if len(ids) == 0 {
			return nil
		}
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		for _, id := range ids {
			c.crictl(ctx, "stopp", id)
			if r := c.crictl(ctx, "rmp", "-f", id); !r.ok() {
				last = errors.New(r.String())
			}
		}
	}
	if last == nil {
		last = errors.New("pods are still there after three attempts")
	}
	return last
}

// waitProcessesGone waits until no shim, module host or container process
// of the daemon is left, and describes what is left after timeout.
func (c *criClient) waitProcessesGone(timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		left := daemonProcesses(c.d)
		if len(left) == 0 || time.Now().After(deadline) {
			var out []string
			for _, p := range left {
				out = append(out, p.String())
			}
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// finalCheck removes whatever pods are left, checks that CRI knows no pod
// or container and that no process of the daemon's pods is left, and
// removes the (empty) cgroups and runc state directories the pods made.
func (c *criClient) finalCheck(runcDirsBefore map[string]bool) []string {
	ctx := context.Background()
	var out []string
	if err := c.removeAll(ctx); err != nil {
		out = append(out, fmt.Sprintf("CRI on containerd %s: removing the pods: %v", c.d.version, err))
	}
	if ids, err := c.pods(ctx); err == nil && len(ids) > 0 {
		out = append(out, fmt.Sprintf("CRI on containerd %s: pods left: %s", c.d.version, strings.Join(ids, " ")))
	}
	if states, err := c.containerStates(ctx); err == nil && len(states) > 0 {
		out = append(out, fmt.Sprintf("CRI on containerd %s: %d containers left", c.d.version, len(states)))
	}
	for _, p := range c.waitProcessesGone(15 * time.Second) {
		out = append(out, fmt.Sprintf("CRI on containerd %s: process left: %s", c.d.version, p))
	}
	out = append(out, removeCgroupTree()...)
	for _, d := range runcStateDirs() { // deepest first
		if !runcDirsBefore[d] {
			os.Remove(d) // only if empty
		}
	}
	return out
}

// runcStateDirs: runc's state directory for CRI's namespace (made by the
// runc shim), and its parent; deepest first.
func runcStateDirs() []string {
	return []string{"/run/containerd/runc/" + criNamespace, "/run/containerd/runc"}
}

func existingDirs(dirs []string) map[string]bool {
	m := map[string]bool{}
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			m[d] = true
		}
	}
	return m
}

// removeCgroupTree removes the benchmark's cgroup tree (/criCgroupRoot in
// every hierarchy), deepest first; a cgroup with a process in it cannot be
// removed and is reported.
func removeCgroupTree() []string {
	var dirs []string // parents before their children
	procfs.WalkCgroups(procfs.CgroupRoots(procfs.Mounts(procfs.SelfMountinfo)), 64, func(path, rel string) bool {
		if rel != criCgroupRoot && !strings.HasPrefix(rel, criCgroupRoot+"/") {
			return false
		}
		dirs = append(dirs, path)
		return true
	})
	var out []string
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := syscall.Rmdir(dirs[i]); err != nil && !errors.Is(err, syscall.ENOENT) {
			out = append(out, fmt.Sprintf("cgroup %s: %v", dirs[i], err))
		}
	}
	return out
}
