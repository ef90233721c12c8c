package shim

import (
	"context"
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/enclave/tee"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Create mounts the rootfs, maps the spec onto a workload, and starts the
// container's module host, which compiles (or loads from cache) and checks
// the module. A module that cannot run fails here, not at Start, and leaves
// nothing behind.
func (s *service) Create(ctx context.Context, r *taskapi.CreateTaskRequest) (_ *taskapi.CreateTaskResponse, retErr error) {
	// The container the shim was started for may have its spec read, its
	// cgroup made and its module host spawned already (earlyStart); what
	// this create does not use is undone when it returns.
	early := s.takeEarly(ctx, r)
	defer early.discard(ctx)
	if r.Terminal {
		return nil, fmt.Errorf("%w: terminal (tty) is not supported yet for wasm containers; run without -t", errNotImplemented)
	}
	if r.Checkpoint != "" || r.ParentCheckpoint != "" {
		return nil, fmt.Errorf("%w: checkpoint/restore is not supported yet", errNotImplemented)
	}
	s.mu.Lock()
	_, exists := s.containers[r.ID]
	s.mu.Unlock()
	if exists {
		return nil, wrapf(errExists, "container %s", r.ID)
	}
	var (
		spec *specs.Spec
		err  error
	)
	if early != nil && early.spec != nil {
		spec = early.spec
	} else if spec, err = oci.ReadSpec(r.Bundle); err != nil {
		return nil, err
	}
	c := &container{
		id:      r.ID,
		ns:      namespaceOf(ctx),
		bundle:  r.Bundle,
		status:  taskapi.StatusCreated,
		exited:  make(chan struct{}),
		stdPath: stdioPaths{stdin: r.Stdin, stdout: r.Stdout, stderr: r.Stderr},
	}
	defer func() {
		if retErr != nil {
			c.release(ctx)
		}
	}()
	opts, err := requestOptions(ctx, r)
	if err != nil {
		return nil, err
	}
	info := enclave.LoadInfo{Source: "sandbox"}
	switch {
	case isSandbox(spec):
		if err := c.newCgroup(spec); err != nil {
			return nil, err
		}
		c.host = newSandboxHost()
	default:
		if c.rootfs, err = mountRootfs(r.Bundle, r.Rootfs); err != nil {
			return nil, err
		}
		if oci.IsNative(filepath.Join(r.Bundle, "rootfs"), spec) {
			if err := s.launchNative(ctx, c, r, spec); err != nil {
				return nil, err
			}
			info.Source = "runc"
			break
		}
		if info, err = s.launch(ctx, c, r, spec, opts, early); err != nil {
			return nil, err
		}
	}
	if c.cgroup != nil {
		id := r.ID
		stop, err := c.cgroup.watchOOM(func() { s.send(&taskapi.TaskOOM{ContainerID: id}) })
		if err != nil {
			logger(ctx, r.ID).WithError(err).Warn("watch for OOM kills")
		}
		c.stopOOM = stop
	}
	host := c.host
	log := logger(ctx, r.ID)
	for _, w := range info.Warnings {
		log.Warn(w)
	}
	log.WithField("pid", host.Pid()).WithField("module", c.module).WithField("source", info.Source).WithField("digest", digestFrom(info)).WithField("measurement", c.attest.measured()).WithField("spawned", c.spawned).Info("module host created")

	s.mu.Lock()
	s.containers[r.ID] = c
	s.mu.Unlock()
	s.send(&taskapi.TaskCreate{
		ContainerID: r.ID,
		Bundle:      r.Bundle,
		Rootfs:      r.Rootfs,
		IO:          &taskapi.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr, Terminal: r.Terminal},
		Pid:         uint32(host.Pid()),
	})
	// Only a module host's rootfs (launch sets attest) goes at its exit.
	if c.attest != nil && c.rootfs != "" {
		c.rootfsReleased = make(chan struct{})
	}
	go s.watchExit(c)
	return &taskapi.CreateTaskResponse{Pid: uint32(host.Pid())}, nil
}

// launch maps the spec onto a workload, picks its TEE backend, creates the
// cgroup, and starts the module host that loads the module (or has the one
// spawned early load it); the launcher takes the launch measurement once the
// module's digest is known.
func (s *service) launch(ctx context.Context, c *container, r *taskapi.CreateTaskRequest, spec *specs.Spec, opts *Options, early *earlyStart) (enclave.LoadInfo, error) {
	rootfs := filepath.Join(r.Bundle, "rootfs")
	w, err := oci.Load(spec, rootfs)
	if err != nil {
		return enclave.LoadInfo{}, err
	}
	want, err := teeOf(spec, opts)
	if err != nil {
		return enclave.LoadInfo{}, err
	}
	producer, choice, err := s.selectTEE(want)
	if err != nil {
		return enclave.LoadInfo{}, fmt.Errorf("create %s: %w", r.ID, err)
	}
	module, err := openModule(rootfs, r.Rootfs, w)
	if err != nil {
		return enclave.LoadInfo{}, err
	}
	defer module.Close()
	if c.stdio, err = openStdio(c.stdPath); err != nil {
		return enclave.LoadInfo{}, err
	}
	// The module host spawned ahead of Create, if it is still the right
	// one, with the cgroup it was born in.
	spawned, cg := early.take(ctx, choice)
	if cg != nil {
		c.cgroup = cg
	} else if err := c.newCgroup(spec); err != nil {
		if spawned != nil {
			spawned.Abort()
		}
		return enclave.LoadInfo{}, err
	}
	req := enclave.LaunchRequest{
		ID: r.ID, Namespace: c.ns, Workload: w, Backend: choice.Backend, Module: module,
		Stdin: c.stdio.in, Stdout: c.stdio.out, Stderr: c.stdio.err,
		AdditionalGIDs: spec.Process.User.AdditionalGids,
	}
	if c.cgroup != nil {
		req.Cgroup = hostCgroup(c.cgroup)
	}
	req.Evidence = func(nonce, publicKey []byte) ([]byte, error) { return s.evidenceFor(r.ID, nonce, publicKey) }
	l := s.launcherFor(opts)
	start := l.Launch
	// sgx: the module host runs in a Gramine SGX enclave and makes the
	// evidence there.
	inEnclave := choice.ModuleHost == tee.HostSGXEnclave
	if inEnclave {
		l.SGX, start = sgxNode(), l.LaunchSGX
	}
	var (
		host *enclave.Process
		info enclave.LoadInfo
	)
	if spawned != nil {
		// Load ends the host if it fails.
		host, c.spawned = spawned, "early"
		info, err = l.Load(ctx, host, req)
	} else {
		c.spawned = "create"
		host, info, err = start(ctx, req)
	}
	c.stdio.releaseChild()
	if err != nil {
		return enclave.LoadInfo{}, fmt.Errorf("create %s: %w", r.ID, err)
	}
	c.host, c.module = host, w.ModulePath
	c.attest = &attestation{launch: info.Launch, measurement: info.Measurement, producer: producer}
	if inEnclave {
		c.attest.remote = host.Evidence
	}
	if warning := fallbackWarning(choice); warning != "" {
		info.Warnings = append(info.Warnings, warning)
	}
	return info, nil
}

// newCgroup creates the container's cgroup from linux.cgroupsPath, if any.
func (c *container) newCgroup(spec *specs.Spec) (err error) {
	if spec.Linux != nil && spec.Linux.CgroupsPath != "" {
		c.cgroup, err = newCgroup(spec.Linux.CgroupsPath, spec.Linux.Resources)
	}
	return err
}

// launchNative runs a container whose entrypoint is not a wasm module (a
// pod's sidecar) through runc, which creates its cgroup; the shim only
// reads and updates it.
func (s *service) launchNative(ctx context.Context, c *container, r *taskapi.CreateTaskRequest, spec *specs.Spec) (err error) {
	if err := privateSandboxNamespaces(r.Bundle, spec); err != nil {
		return err
	}
	if c.stdio, err = openStdio(c.stdPath); err != nil {
		return err
	}
	host, err := createNative(ctx, c.ns, r.ID, r.Bundle, c.stdio)
	c.stdio.releaseChild()
	if err != nil {
		return err
	}
	c.host, c.module = host, spec.Process.Args[0]
	if spec.Linux != nil && spec.Linux.CgroupsPath != "" {
		if cg, err := loadCgroup(spec.Linux.CgroupsPath); err == nil {
			c.cgroup = borrowedCgroup{cg}
		}
	}
	return nil
}

// launcherFor applies a create request's runtime options to the shim's
// launcher settings.
func (s *service) launcherFor(o *Options) *enclave.Launcher {
	l := *s.launcher
	if o != nil {
		switch {
		case o.CacheDir == "-":
			l.CacheDir = ""
		case o.CacheDir != "":
			l.CacheDir = o.CacheDir
		}
		if o.CacheMaxBytes > 0 {
			l.CacheMax = o.CacheMaxBytes
		}
	}
	return &l
}

// release takes down what Create set up. The host must have exited.
func (c *container) release(ctx context.Context) {
	log := logger(ctx, c.id)
	if c.host != nil {
		c.host.Close()
	}
	if c.stdio != nil {
		c.stdio.close()
	}
	if c.stopOOM != nil {
		c.stopOOM()
	}
	if c.cgroup != nil {
		if err := c.cgroup.remove(); err != nil {
			log.WithError(err).Warn("remove cgroup")
		}
	}
	var err error
	if c.rootfsReleased != nil {
		<-c.rootfsReleased
		err = c.unmountErr
	} else {
		err = unmountRootfs(c.rootfs)
	}
	if err != nil {
		log.WithError(err).Warn("unmount rootfs")
	}
}

func wrapf(kind error, format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), kind)
}
