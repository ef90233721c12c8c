// Package shim is the containerd-facing side of wasmtee: the runtime v2
// shim manager (start/delete of the shim process) and the task service that
// maps the container lifecycle onto module hosts.
package shim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"

	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/bootstrap"
)

// RuntimeName is the runtime type containerd knows this shim by.
const RuntimeName = "io.containerd.wasmtee.v1"

// Manager starts and cleans up shim processes for containerd.
type Manager struct{}

// Name implements shim.Manager.
func (Manager) Name() string { return RuntimeName }

// Start implements shim.Manager. The entry binary containerd runs,
// containerd-shim-wasmtee-v1 (package bootstrap), starts shim servers; this
// binary only serves.
func (Manager) Start(context.Context, string, shim.StartOpts) (string, error) {
	return "", fmt.Errorf("%s only serves: containerd starts shims through containerd-shim-wasmtee-v1", bootstrap.ServerBinary)
}

// Stop implements shim.Manager: the entry binary execs "wasmtee-shim
// delete" when a shim disconnected without deleting its container (the
// bundle still has bootstrap.CleanupMarker). The module host died with the
// shim (PDEATHSIG); what is left is the rootfs mount, the cgroup and the
// socket.
func (Manager) Stop(ctx context.Context, id string) (shim.StopStatus, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return shim.StopStatus{}, err
	}
	bundle := filepath.Join(filepath.Dir(cwd), id)
	if ns, err := namespaces.NamespaceRequired(ctx); err == nil {
		deleteNative(ctx, ns, id)
		if dir, err := newLauncher(self()).SGXContainerDir(ns, id); err == nil {
			os.RemoveAll(dir) // an sgx container's enclave directory
		}
	}
	if s, err := oci.ReadSpec(bundle); err == nil && s.Linux != nil && s.Linux.CgroupsPath != "" {
		if err := removeCgroup(s.Linux.CgroupsPath); err != nil {
			log.G(ctx).WithError(err).Warn("remove cgroup")
		}
	}
	if err := mount.UnmountAll(filepath.Join(bundle, "rootfs"), 0); err != nil {
		log.G(ctx).WithError(err).Warn("unmount rootfs")
	}
	bootstrap.RemoveStaleSocket(bundle)
	return shim.StopStatus{ExitedAt: time.Now(), ExitStatus: bootstrap.KilledStatus}, nil
}

// self is this executable's path ("" if unknown).
func self() string {
	p, _ := os.Executable()
	return p
}
