// Package shim is the containerd-facing side of wasmtee: the serving shim
// process (its ttrpc server, the task service that maps the container
// lifecycle onto module hosts, and events), and the cleanup containerd asks
// for after a shim is gone.
package shim

import (
	"context"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/mount"
	"github.com/containerd/log"

	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/bootstrap"
)

// RuntimeName is the runtime type containerd knows this shim by.
const RuntimeName = "io.containerd.wasmtee.v1"

// cleanup is "wasmtee-shim delete": the entry binary execs it when a shim
// disconnected without deleting its container (the bundle, found as the
// entry binary's fast delete found it, still has bootstrap.CleanupMarker).
// The module host died with the shim (PDEATHSIG); what is left is the
// rootfs mount, the cgroup and the socket. The namespace is never empty
// (run refuses an empty -namespace).
func cleanup(ctx context.Context, f bootstrap.Flags) error {
	bundle, err := f.BundleDir()
	if err != nil {
		return err
	}
	ns, id := f.Namespace, f.ID
	deleteNative(ctx, ns, id)
	if dir, err := newLauncher(self()).SGXContainerDir(ns, id); err == nil {
		os.RemoveAll(dir) // an sgx container's enclave directory
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
	return nil
}

// self is this executable's path ("" if unknown).
func self() string {
	p, _ := os.Executable()
	return p
}
