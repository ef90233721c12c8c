package shim

import (
	"context"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/enclave/tee"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// earlyStart is the container a shim was started for, set up ahead of its
// Create. containerd starts a shim in the container's bundle, with
// config.json written, and sends Create only once the shim serves: the
// shim reads the spec, creates the cgroup and spawns the module host
// (enclave.Launcher.Spawn) meanwhile, so that the host's exec and runtime
// start (about 5 ms) overlap with the shim's own start and the rest of
// Create. Create takes what it needs (take) and checks it against the
// request; whatever it does not take is undone (discard). Nothing is spawned
// for a pod sandbox, a container whose entrypoint is not named as a module
// (….wasm: it may be a program for runc) or whose module host runs in an
// SGX enclave; a spec that cannot be read or a cgroup that cannot be made
// leave the work, and its error, to Create.
type earlyStart struct {
	id, bundle string
	// ready is closed once spec and cgroup are set; spawned once host
	// and spawnErr are too.
	ready, spawned chan struct{}

	spec   *specs.Spec // nil if the spec could not be read
	cgroup cgroup
	host   *enclave.Process
	// spawnErr is why no host was spawned, if one was to be.
	spawnErr error
}

// startEarly begins the early start of the container id whose bundle is
// the shim's working directory. What may log, or gives the module host the
// shim's stderr, waits for logged to say whether the log is set up; a shim
// whose log could not be opened is exiting, and spawns nothing.
func (s *service) startEarly(ctx context.Context, id, bundle string, logged <-chan bool) {
	e := &earlyStart{id: id, bundle: bundle, ready: make(chan struct{}), spawned: make(chan struct{})}
	s.mu.Lock()
	s.early = e
	s.mu.Unlock()
	go func() {
		defer close(e.spawned)
		req, ok := s.prepareEarly(ctx, e, logged)
		close(e.ready)
		if ok {
			e.host, e.spawnErr = s.launcher.Spawn(req)
		}
	}()
}

// prepareEarly reads the spec and makes the cgroup; ok says whether to
// spawn the module host, and how.
func (s *service) prepareEarly(ctx context.Context, e *earlyStart, logged <-chan bool) (_ enclave.SpawnRequest, ok bool) {
	spec, err := oci.ReadSpec(e.bundle)
	if err != nil {
		return enclave.SpawnRequest{}, false
	}
	e.spec = spec
	// Whether an entrypoint that is not named ….wasm is a module or a
	// program for runc is known only once the rootfs is mounted (Create):
	// its host is spawned then.
	if spec.Process == nil || isSandbox(spec) || !oci.NamesModule(spec) {
		return enclave.SpawnRequest{}, false
	}
	if !<-logged {
		return enclave.SpawnRequest{}, false
	}
	opts, err := requestOptions(ctx, &taskapi.CreateTaskRequest{ID: e.id, Bundle: e.bundle})
	if err != nil {
		return enclave.SpawnRequest{}, false
	}
	want, err := teeOf(spec, opts)
	if err != nil {
		return enclave.SpawnRequest{}, false
	}
	if _, choice, err := s.selectTEE(want); err != nil || choice.ModuleHost == tee.HostSGXEnclave {
		return enclave.SpawnRequest{}, false
	}
	var hostCg enclave.Cgroup
	if spec.Linux != nil && spec.Linux.CgroupsPath != "" {
		if e.cgroup, err = newCgroup(spec.Linux.CgroupsPath, spec.Linux.Resources); err != nil {
			return enclave.SpawnRequest{}, false
		}
		hostCg = hostCgroup(e.cgroup)
	}
	u := spec.Process.User
	return enclave.SpawnRequest{ID: e.id, UID: u.UID, GID: u.GID, AdditionalGIDs: u.AdditionalGids, Cgroup: hostCg}, true
}

// takeEarly returns the early start of the container r creates, once it is
// ready, or nil; it is Create's from then on (take, discard).
func (s *service) takeEarly(ctx context.Context, r *taskapi.CreateTaskRequest) *earlyStart {
	s.mu.Lock()
	e := s.early
	if e != nil && e.id == r.ID {
		s.early = nil
	}
	s.mu.Unlock()
	if e == nil || e.id != r.ID {
		return nil
	}
	<-e.ready
	if !sameDir(e.bundle, r.Bundle) {
		e.discard(ctx)
		return nil
	}
	return e
}

// dropEarly undoes an early start no Create took (the shim is shutting
// down).
func (s *service) dropEarly(ctx context.Context) {
	s.mu.Lock()
	e := s.early
	s.early = nil
	s.mu.Unlock()
	if e != nil {
		<-e.ready
		e.discard(ctx)
	}
}

// take hands Create the spawned module host and the cgroup it was born in
// when the container's module host is still to be a process (the create
// request's runtime options may ask for an SGX enclave) and the spawned
// one is alive; else it undoes them and returns nil, nil. Which backend
// makes the evidence does not matter to a spawned host.
func (e *earlyStart) take(ctx context.Context, choice tee.Choice) (*enclave.Process, cgroup) {
	if e == nil {
		return nil, nil
	}
	<-e.spawned
	if e.spawnErr != nil {
		logger(ctx, e.id).WithError(e.spawnErr).Warn("spawn the module host ahead of create")
	}
	dead := e.host != nil && exited(e.host)
	if dead {
		status, _ := e.host.Exit()
		logger(ctx, e.id).WithField("exit_status", status).Warn("the module host spawned ahead of create died")
	}
	if e.host == nil || dead || choice.ModuleHost == tee.HostSGXEnclave {
		e.discard(ctx)
		return nil, nil
	}
	h, cg := e.host, e.cgroup
	e.host, e.cgroup = nil, nil
	return h, cg
}

// discard ends the spawned host and removes the cgroup, if they were not
// taken.
func (e *earlyStart) discard(ctx context.Context) {
	if e == nil {
		return
	}
	<-e.spawned
	if e.host != nil {
		e.host.Abort()
		e.host = nil
	}
	if e.cgroup != nil {
		if err := e.cgroup.remove(); err != nil {
			logger(ctx, e.id).WithError(err).Warn("remove cgroup")
		}
		e.cgroup = nil
	}
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err == nil && os.SameFile(ai, bi)
}

// exited reports whether the module host has exited.
func exited(h *enclave.Process) bool {
	select {
	case <-h.Done():
		return true
	default:
		return false
	}
}
