// Package shim is the containerd-facing side of wasmtee: the runtime v2
// shim manager (start/delete of the shim process) and the task service that
// maps the container lifecycle onto module hosts.
package shim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/containerd/containerd/mount"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/api"
)

// RuntimeName is the runtime type containerd knows this shim by.
const RuntimeName = "io.containerd.wasmtee.v1"

// Manager starts and cleans up shim processes for containerd.
type Manager struct{}

// Name implements shim.Manager.
func (Manager) Name() string { return RuntimeName }

// Start implements shim.Manager: it starts a shim server for the group of
// the container in the current directory (the bundle), or returns the
// address of the group's running shim.
func (Manager) Start(ctx context.Context, id string, opts shim.StartOpts) (_ string, retErr error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return "", err
	}
	group := id
	if s, err := oci.ReadSpec("."); err == nil {
		group = api.Group(id, s.Annotations)
	}
	if err := saveStartOptions(os.Stdin); err != nil {
		return "", err
	}
	address := api.Address(opts.Address, ns, group)
	listener, err := shim.NewSocket(address)
	if err != nil {
		if !shim.SocketEaddrinuse(err) {
			return "", fmt.Errorf("create shim socket: %w", err)
		}
		if shim.CanConnect(address) {
			return address, shim.WriteAddress("address", address)
		}
		if err := shim.RemoveSocket(address); err != nil {
			return "", fmt.Errorf("remove stale shim socket: %w", err)
		}
		if listener, err = shim.NewSocket(address); err != nil {
			return "", fmt.Errorf("create shim socket: %w", err)
		}
	}
	defer func() {
		if retErr != nil {
			listener.Close()
			_ = shim.RemoveSocket(address)
		}
	}()
	if err := shim.WriteAddress("address", address); err != nil {
		return "", err
	}
	f, err := listener.File()
	if err != nil {
		return "", err
	}
	defer f.Close()
	cmd, err := serverCommand(ns, id, opts)
	if err != nil {
		return "", err
	}
	cmd.ExtraFiles = []*os.File{f}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go cmd.Wait()
	return address, nil
}

func serverCommand(ns, id string, opts shim.StartOpts) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	args := []string{"-namespace", ns, "-id", id, "-address", opts.Address}
	if opts.Debug {
		args = append(args, "-debug")
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = cwd
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// Stop implements shim.Manager: containerd runs it ("shim delete") when a
// shim died without deleting its container. The module host died with the
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
		if dir, err := enclave.SGXContainerDir("", ns, id); err == nil {
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
	if addr, err := shim.ReadAddress(filepath.Join(bundle, "address")); err == nil && !shim.CanConnect(addr) {
		_ = shim.RemoveSocket(addr)
	}
	return shim.StopStatus{ExitedAt: time.Now(), ExitStatus: 128 + int(syscall.SIGKILL)}, nil
}
