//go:build e2e

package e2e

// Helpers of the CRI (Kubernetes) tests: pods and containers made with crictl through each
// daemon's CRI plugin and the runtime handler "wasmtee" of its config (scripts/containerd.sh).
//
// The pods use the node's network (namespace_options.network = NODE), so no CNI is needed.
// CRI pulls nothing when an image is already in its namespace (k8s.io): runMain imports the
// sandbox image docker.io/library/pause:local (pinned in both daemon configs) and the test
// images the CRI tests use into k8s.io. The shim runs CRI's sandbox container natively and
// never executes the sandbox image, so that image is a wasm image like the others.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

const (
	criNamespace = "k8s.io"  // the containerd namespace of CRI's pods, containers and images
	criHandler   = "wasmtee" // the runtime handler in the daemon configs
	pauseRef     = "docker.io/library/pause:local"
	// criTimeout bounds one crictl process; crictl's own --timeout (per request) is 30 s.
	criTimeout = 90 * time.Second
)

// criImages are the test images the CRI tests use; runMain imports them into k8s.io too.
var criImages = []string{"goguest", "oom"}

// pauseErr: why the sandbox image could not be built (nil: built).
var pauseErr error

func crictlPath() string { return filepath.Join(env.repo, ".cache", "cri-tools", "bin", "crictl") }

func pauseTar() string { return filepath.Join(env.work, "pause.tar") }

// crictlConfig is an empty crictl config: with it crictl does not warn on every call that
// /etc/crictl.yaml is missing; the endpoints are flags.
func crictlConfig() string { return filepath.Join(env.work, "crictl.yaml") }

// criKey is the key in daemon.images of an image imported into k8s.io.
func criKey(name string) string { return criNamespace + "/" + name }

// buildCRIImages builds the sandbox image (any image works: the shim never executes it)
// from the WAT hello module, and writes the empty crictl config.
func buildCRIImages() error {
	if err := os.WriteFile(crictlConfig(), nil, 0o644); err != nil {
		pauseErr = err
		return err
	}
	pauseErr = command(time.Minute, env.work, nil, env.wasmtee, "image", "build",
		"-t", pauseRef, "-o", pauseTar(), filepath.Join(env.work, "hello.wasm"))
	busyboxErr = writeBusyboxImage(busyboxTar())
	return pauseErr
}

// busyboxErr: why the busybox image could not be written (nil: written).
var busyboxErr error

func busyboxTar() string { return filepath.Join(env.work, "busybox.tar") }

// importCRIImages imports the sandbox image and criImages into d's k8s.io namespace; the
// outcome is kept in d.images under criKey(name) ("pause" for the sandbox image).
func (d *daemon) importCRIImages() {
	type item struct{ name, ref, tar string }
	items := []item{{"pause", pauseRef, pauseTar()}, {"busybox", busyboxRef, busyboxTar()}}
	for _, name := range criImages {
		items = append(items, item{name, imageRef(name), imageTar(name)})
	}
	for _, it := range items {
		key := criKey(it.name)
		err := imageErrs[it.name]
		switch it.name {
		case "pause":
			err = pauseErr
		case "busybox":
			err = busyboxErr
		}
		if err != nil {
			d.images[key] = fmt.Errorf("not built: %w", err)
			continue
		}
		// CRI does not unpack an image it finds in its store: the import must leave it
		// unpacked in the snapshotter of the CRI config. ctr 1.6 unpacks every imported
		// platform. ctr 2.4 imports through the daemon's transfer service, which unpacks
		// the host platform only ("no unpack platforms defined" for --platform
		// wasip1/wasm); --local imports and unpacks in ctr itself, like 1.6.
		flags := []string{"--snapshotter", "overlayfs"}
		if d.version != "1.6" {
			flags = append(flags, "--local")
		}
		r, err := d.importImage(criNamespace, it.tar, it.ref, flags...)
		if err != nil {
			d.images[key] = err
			continue
		}
		if !strings.Contains(r.Stdout, "unpacking "+it.ref) {
			d.images[key] = fmt.Errorf("import into %s did not unpack %s (CRI would fail with \"parent snapshot ... does not exist\"): %s",
				criNamespace, it.ref, cmdString(r))
			continue
		}
		d.images[key] = nil
	}
}

// runBin runs bin to completion; Args of the result are bin's base name and args.
func runBin(timeout time.Duration, bin string, args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var mu sync.Mutex
	var out, stdout, stderr bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, lockedWriter{&mu, &out})
	cmd.Stderr = io.MultiWriter(&stderr, lockedWriter{&mu, &out})
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	r := result{Args: append([]string{filepath.Base(bin)}, args...), Elapsed: time.Since(start), Code: -1}
	if cmd.ProcessState != nil {
		r.Code = cmd.ProcessState.ExitCode()
	}
	var exit *exec.ExitError
	if ctx.Err() != nil {
		r.Err = fmt.Errorf("timed out after %v and killed", timeout)
	} else if err != nil && !errors.As(err, &exit) {
		r.Err = err
	}
	mu.Lock()
	r.Out, r.Stdout, r.Stderr = out.String(), stdout.String(), stderr.String()
	mu.Unlock()
	return r
}

// cmdString shows a result of runBin: its Args start with the program's name.
func cmdString(r result) string { return strings.TrimPrefix(r.String(), "ctr ") }

// ctrNS runs `ctr -a SOCK -n NS ARGS...`.
func (d *daemon) ctrNS(timeout time.Duration, ns string, args ...string) result {
	r := runBin(timeout, d.ctrBin, append([]string{"-a", d.sock, "-n", ns}, args...)...)
	r.Args = append([]string{"ctr", "-n", ns}, args...)
	return r
}

// crictl runs crictl against d's CRI endpoint.
func (d *daemon) crictl(timeout time.Duration, args ...string) result {
	ep := "unix://" + d.sock
	full := append([]string{"--config", crictlConfig(), "--runtime-endpoint", ep, "--image-endpoint", ep, "--timeout", "30s"}, args...)
	r := runBin(timeout, crictlPath(), full...)
	r.Args = append([]string{"crictl"}, args...)
	return r
}

// criTC is a CRI test against one daemon: the pods and containers it made are what the
// CRI leak check looks for.
type criTC struct {
	*tc
	pods []*pod
	ctrs []string // IDs of the containers the test created
}

// eachCRI runs f per daemon like each. Cleanups run last-in first-out: the test's pods
// are removed first, then the CRI leak check runs, then each's own leak check.
func eachCRI(t *testing.T, f func(c *criTC)) {
	t.Helper()
	each(t, func(tc *tc) {
		c := &criTC{tc: tc}
		c.Cleanup(func() { c.d.checkCRILeaks(c.T, c.podIDs(), c.ctrs) })
		c.requireCRI()
		f(c)
	})
}

func (c *criTC) podIDs() []string {
	var ids []string
	for _, p := range c.pods {
		if p.id != "" {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// requireCRI fails the test unless crictl and the k8s.io images are there.
func (c *criTC) requireCRI() {
	c.Helper()
	if fi, err := os.Stat(crictlPath()); err != nil || fi.Mode()&0o111 == 0 {
		c.Fatalf("crictl not found at %s: run scripts/deps.sh", crictlPath())
	}
	for _, name := range append([]string{"pause"}, criImages...) {
		err, ok := c.d.images[criKey(name)]
		if !ok {
			err = errors.New("never imported")
		}
		if err != nil {
			c.Fatalf("image %s is not available in containerd %s's %s namespace: %v", name, c.d.version, criNamespace, err)
		}
	}
}

// crictl runs crictl against c's daemon.
func (c *criTC) crictl(args ...string) result {
	return c.d.crictl(criTimeout, args...)
}

// crictlOK runs crictl and fails the test unless it succeeds; it returns stdout, trimmed.
func (c *criTC) crictlOK(args ...string) string {
	c.Helper()
	r := c.crictl(args...)
	if r.Err != nil || r.Code != 0 {
		c.Fatalf("%s", cmdString(r))
	}
	return strings.TrimSpace(r.Stdout)
}

var criID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// lastID is the last line of crictl's stdout, which must be a full 64-hex ID.
func lastID(r result) (string, bool) {
	lines := stdoutLines(r)
	if len(lines) == 0 {
		return "", false
	}
	id := strings.TrimSpace(lines[len(lines)-1])
	return id, criID.MatchString(id)
}

// pod is a pod sandbox made with crictl runp.
type pod struct {
	c       *criTC
	name    string
	id      string
	config  string // the pod config file
	dir     string // the container configs
	logDir  string // the pod's log_directory
	ctrs    []string
	removed bool
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// runPod runs a hostNetwork pod with the wasmtee handler; a cleanup stops and removes it.
func (c *criTC) runPod() *pod {
	c.Helper()
	name := c.id()
	dir := c.TempDir()
	p := &pod{c: c, name: name, dir: dir, config: filepath.Join(dir, "pod.json"), logDir: filepath.Join(dir, "logs")}
	if err := os.Mkdir(p.logDir, 0o755); err != nil {
		c.Fatal(err)
	}
	cfg := map[string]any{
		"metadata":      map[string]any{"name": name, "namespace": "default", "uid": name + "-uid", "attempt": 0},
		"log_directory": p.logDir,
		"linux": map[string]any{
			// NODE: the pod uses the host's network namespace, so no CNI is needed. No
			// hostname: there is no private UTS namespace to set it in.
			"security_context": map[string]any{"namespace_options": map[string]any{"network": 2}},
		},
	}
	if err := writeJSON(p.config, cfg); err != nil {
		c.Fatal(err)
	}
	c.pods = append(c.pods, p)
	c.Cleanup(p.remove)
	r := c.crictl("runp", "--runtime", criHandler, p.config)
	id, ok := lastID(r)
	if r.Err != nil || r.Code != 0 || !ok {
		// A failed runp should leave nothing; if CRI kept a sandbox, remove it too.
		if ids := stdoutLines(c.crictl("pods", "-q", "--name", "^"+name+"$")); len(ids) > 0 {
			p.id = ids[0]
		}
		c.Fatalf("runp of pod %s through handler %s failed:\n%s", name, criHandler, cmdString(r))
	}
	p.id = id
	return p
}

// stopAndRemove is `crictl stopp` then `crictl rmp`; it reports failures without stopping
// the test.
func (p *pod) stopAndRemove() {
	p.c.Helper()
	if p.removed || p.id == "" {
		return
	}
	p.removed = true
	if r := p.c.crictl("stopp", p.id); r.Err != nil || r.Code != 0 {
		p.c.Errorf("stopping pod %s:\n%s", p.name, cmdString(r))
	}
	if r := p.c.crictl("rmp", p.id); r.Err != nil || r.Code != 0 {
		p.c.Errorf("removing pod %s:\n%s", p.name, cmdString(r))
		p.c.crictl("rmp", "-f", p.id)
	}
}

func (p *pod) remove() { p.stopAndRemove() }

// create makes a container in p: command is cmdArgs[0] (the module path), args the rest;
// memLimit > 0 sets linux.resources.memory_limit_in_bytes. It returns the container ID.
func (p *pod) create(name string, memLimit int64, cmdArgs ...string) string {
	p.c.Helper()
	return p.createFrom("goguest", name, memLimit, cmdArgs...)
}

// imageRefOf is the reference of a CRI test image by name.
func imageRefOf(image string) string {
	if image == "busybox" {
		return busyboxRef
	}
	return imageRef(image)
}

// createFrom is create with another of the CRI test images.
func (p *pod) createFrom(image, name string, memLimit int64, cmdArgs ...string) string {
	c := p.c
	c.Helper()
	cfg := map[string]any{
		"metadata": map[string]any{"name": name, "attempt": 0},
		"image":    map[string]any{"image": imageRefOf(image)},
		"command":  cmdArgs[:1],
		"args":     cmdArgs[1:],
		"log_path": name + ".log",
	}
	if memLimit > 0 {
		cfg["linux"] = map[string]any{"resources": map[string]any{"memory_limit_in_bytes": memLimit}}
	}
	path := filepath.Join(p.dir, name+".json")
	if err := writeJSON(path, cfg); err != nil {
		c.Fatal(err)
	}
	r := c.crictl("create", p.id, path, p.config)
	id, ok := lastID(r)
	if r.Err != nil || r.Code != 0 || !ok {
		c.Fatalf("creating container %s in pod %s:\n%s", name, p.name, cmdString(r))
	}
	p.ctrs = append(p.ctrs, id)
	c.ctrs = append(c.ctrs, id)
	return id
}

// run creates and starts a container running the goguest image.
func (p *pod) run(name string, memLimit int64, cmdArgs ...string) string {
	p.c.Helper()
	id := p.create(name, memLimit, cmdArgs...)
	p.c.crictlOK("start", id)
	return id
}

// criStatus is the part of `crictl inspect -o json` the tests read.
type criStatus struct {
	Status struct {
		ID       string `json:"id"`
		State    string `json:"state"`
		ExitCode int    `json:"exitCode"`
		Reason   string `json:"reason"`
		Message  string `json:"message"`
	} `json:"status"`
	Info struct {
		Pid       int    `json:"pid"`
		SandboxID string `json:"sandboxID"`
	} `json:"info"`
}

func (c *criTC) inspect(id string) (criStatus, result) {
	c.Helper()
	r := c.crictl("inspect", "-o", "json", id)
	var s criStatus
	if r.Err != nil || r.Code != 0 {
		c.Fatalf("%s", cmdString(r))
	}
	if err := json.Unmarshal([]byte(r.Stdout), &s); err != nil {
		c.Fatalf("crictl inspect output is not the JSON expected: %v\n%s", err, cmdString(r))
	}
	return s, r
}

// waitState polls crictl inspect until id is in state (CONTAINER_RUNNING,
// CONTAINER_EXITED, ...), or fails after max.
func (c *criTC) waitState(id, state string, max time.Duration) criStatus {
	c.Helper()
	deadline := time.Now().Add(max)
	for {
		s, r := c.inspect(id)
		if s.Status.State == state {
			return s
		}
		if time.Now().After(deadline) {
			c.Fatalf("container %s: want state %s within %v, last seen %s:\n%s", id, state, max, s.Status.State, cmdString(r))
		}
		if state == "CONTAINER_RUNNING" && s.Status.State == "CONTAINER_EXITED" {
			c.Fatalf("container %s exited (code %d, %s) while waiting for it to run; logs:\n%s",
				id, s.Status.ExitCode, s.Status.Reason, cmdString(c.crictl("logs", id)))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logs returns `crictl logs ID` (stdout and stderr of the container, interleaved),
// waiting up to 3 s for every string in want to show up.
func (c *criTC) logs(id string, want ...string) result {
	c.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		r := c.crictl("logs", id)
		if r.Err != nil || r.Code != 0 {
			c.Fatalf("%s", cmdString(r))
		}
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(r.Out, w)
		}
		if !missing || time.Now().After(deadline) {
			return r
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expectLogs checks that `crictl logs ID` has every string in want.
func (c *criTC) expectLogs(id string, want ...string) {
	c.Helper()
	r := c.logs(id, want...)
	for _, w := range want {
		if !strings.Contains(r.Out, w) {
			c.Errorf("logs of %s lack %q:\n%s", id, w, cmdString(r))
		}
	}
}

// jsonUint reads protobuf JSON's uint64, which is a string ("786432"), or a plain number.
type jsonUint uint64

func (u *jsonUint) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*u = 0
		return nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	*u = jsonUint(n)
	return err
}

// workingSet is the memory working set of id from `crictl stats -o json --id ID`.
func (c *criTC) workingSet(id string) (uint64, result) {
	c.Helper()
	r := c.crictl("stats", "-o", "json", "--id", id)
	if r.Err != nil || r.Code != 0 {
		return 0, r
	}
	var out struct {
		Stats []struct {
			Attributes struct {
				ID string `json:"id"`
			} `json:"attributes"`
			Memory *struct {
				WorkingSetBytes *struct {
					Value jsonUint `json:"value"`
				} `json:"workingSetBytes"`
			} `json:"memory"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &out); err != nil {
		c.Fatalf("crictl stats output is not the JSON expected: %v\n%s", err, cmdString(r))
	}
	for _, s := range out.Stats {
		if s.Attributes.ID == id && s.Memory != nil && s.Memory.WorkingSetBytes != nil {
			return uint64(s.Memory.WorkingSetBytes.Value), r
		}
	}
	return 0, r
}

// stop is `crictl stop -t SECONDS ID`; it fails the test if crictl fails.
func (c *criTC) stop(id string, seconds int) result {
	c.Helper()
	r := c.crictl("stop", "-t", strconv.Itoa(seconds), id)
	if r.Err != nil || r.Code != 0 {
		c.Fatalf("%s", cmdString(r))
	}
	return r
}

func findProc(procs []procfs.Proc, pid int) (procfs.Proc, bool) {
	for _, p := range procs {
		if p.PID == pid {
			return p, true
		}
	}
	return procfs.Proc{}, false
}

func describeProcs(procs []procfs.Proc) string {
	var b strings.Builder
	for _, p := range procs {
		fmt.Fprintf(&b, "\n    pid %d ppid %d: %q", p.PID, p.PPID, p.Argv)
	}
	if b.Len() == 0 {
		return "\n    (none)"
	}
	return b.String()
}

// ---- the CRI leak check ---------------------------------------------------------------

func (d *daemon) criTaskStateDir() string {
	return filepath.Join(d.dir, "state", "io.containerd.runtime.v2.task", criNamespace)
}

// criLeaks lists what is left of the given pods and containers: CRI's own records of them,
// containerd containers and snapshots in k8s.io, task state dirs in k8s.io (any: every
// CRI test removes all its pods), files and directories named by their IDs under the
// daemon's state dir, module hosts of the containers, and cgroups named by their IDs.
// Shim processes, mounts, FIFOs and shim sockets are each's leak check.
func (d *daemon) criLeaks(podIDs, ctrIDs []string) (found, cgroups []string) {
	ids := append(append([]string(nil), podIDs...), ctrIDs...)
	if len(ids) == 0 {
		return nil, nil
	}
	has := func(id string) bool { return slices.Contains(ids, id) }

	for n := range dirNames(d.criTaskStateDir()) {
		found = append(found, "task state "+filepath.Join(d.criTaskStateDir(), n))
	}
	for _, q := range [][]string{{"pods", "-q"}, {"ps", "-a", "-q"}} {
		r := d.crictl(criTimeout, q...)
		if r.Err != nil || r.Code != 0 {
			found = append(found, "cannot list CRI "+q[0]+": "+cmdString(r))
			continue
		}
		for _, id := range stdoutLines(r) {
			if has(strings.TrimSpace(id)) {
				found = append(found, fmt.Sprintf("CRI still lists %s (crictl %s)", id, q[0]))
			}
		}
	}
	for _, what := range []string{"containers", "snapshots"} {
		r := d.ctrNS(30*time.Second, criNamespace, what, "ls")
		if r.Err != nil || r.Code != 0 {
			found = append(found, fmt.Sprintf("cannot list %s in %s: %s", what, criNamespace, cmdString(r)))
			continue
		}
		for i, line := range stdoutLines(r) {
			if f := strings.Fields(line); i > 0 && len(f) > 0 && has(f[0]) { // line 0: the header
				found = append(found, fmt.Sprintf("%s %s in %s", what[:len(what)-1], f[0], criNamespace))
			}
		}
	}
	// CRI's and the runtime's per-container files (sandbox dirs, io FIFOs, shm, bundles)
	// in the state dir, and CRI's own dirs in the root dir.
	roots := []string{filepath.Join(d.dir, "state")}
	for _, g := range []string{"io.containerd.grpc.v1.cri*", "io.containerd.cri.v1.*"} {
		m, _ := filepath.Glob(filepath.Join(d.dir, "root", g))
		roots = append(roots, m...)
	}
	for _, root := range roots {
		filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if path == d.criTaskStateDir() {
				return filepath.SkipDir // reported above
			}
			for _, id := range ids {
				if strings.Contains(e.Name(), id) {
					found = append(found, "file "+path)
					if e.IsDir() {
						return filepath.SkipDir
					}
					break
				}
			}
			return nil
		})
	}
	for _, p := range ourProcs() {
		if id, ok := procfs.ModuleHost(p); ok && has(id) {
			found = append(found, fmt.Sprintf("module host %d of container %s", p.PID, id))
		}
	}
	cgroups = cgroupsNamed(ids)
	for _, cg := range cgroups {
		found = append(found, "cgroup "+cg)
	}
	sort.Strings(found)
	return found, cgroups
}

// checkCRILeaks fails t if criLeaks finds anything after the grace period, then removes
// what it can so that the next test starts clean.
func (d *daemon) checkCRILeaks(t testingT, podIDs, ctrIDs []string) {
	t.Helper()
	pollLeftovers(t, "containerd "+d.version+" (CRI)", func() ([]string, func() error) {
		found, cgroups := d.criLeaks(podIDs, ctrIDs)
		return found, func() error { return d.forceCRICleanup(podIDs, ctrIDs, cgroups) }
	})
}

func (d *daemon) forceCRICleanup(podIDs, ctrIDs, cgroups []string) error {
	for _, id := range ctrIDs {
		d.crictl(30*time.Second, "rm", "-f", id)
	}
	for _, id := range podIDs {
		d.crictl(30*time.Second, "stopp", id)
		d.crictl(30*time.Second, "rmp", "-f", id)
	}
	var hosts []int
	for _, p := range ourProcs() {
		if id, ok := procfs.ModuleHost(p); ok && slices.Contains(ctrIDs, id) {
			hosts = append(hosts, p.PID)
		}
	}
	killAll(hosts)
	// Deepest first; rmdir only removes an empty cgroup (no processes, no children).
	cgroups = slices.Clone(cgroups)
	sort.Sort(sort.Reverse(sort.StringSlice(cgroups)))
	for _, cg := range cgroups {
		syscall.Rmdir(cg)
	}
	// Task bundles: removeTree unmounts what is mounted in them first, so that removing
	// a bundle never deletes through a mounted rootfs.
	var errs []error
	for n := range dirNames(d.criTaskStateDir()) {
		errs = append(errs, removeTree(filepath.Join(d.criTaskStateDir(), n)))
	}
	return errors.Join(errs...)
}

// cgroupsNamed finds cgroup directories whose name contains one of ids (CRI's cgroups
// paths end in the pod or container ID: "/k8s.io/ID" without a cgroup_parent).
func cgroupsNamed(ids []string) []string {
	var out []string
	procfs.WalkCgroups(procfs.CgroupRoots(procfs.Mounts(procfs.SelfMountinfo)), 9, func(path, rel string) bool {
		name := filepath.Base(path)
		if slices.ContainsFunc(ids, func(id string) bool { return strings.Contains(name, id) }) {
			out = append(out, path)
		}
		return true
	})
	sort.Strings(out)
	return out
}
