package shim

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/mount"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// mountRootfs mounts the snapshot mounts containerd passed (overlayfs,
// bind for the native snapshotter) at BUNDLE/rootfs. It returns "" when
// there is nothing to mount (the bundle's rootfs is already populated).
func mountRootfs(bundle string, ms []*taskapi.Mount) (string, error) {
	rootfs := filepath.Join(bundle, "rootfs")
	if len(ms) == 0 {
		return "", nil
	}
	if err := os.MkdirAll(rootfs, 0o711); err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	var mounts []mount.Mount
	for _, m := range ms {
		mounts = append(mounts, mount.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
	}
	if err := mount.All(mounts, rootfs); err != nil {
		mount.UnmountAll(rootfs, 0)
		return "", fmt.Errorf("mount rootfs: %w", err)
	}
	return rootfs, nil
}

func unmountRootfs(rootfs string) error {
	if rootfs == "" {
		return nil
	}
	return mount.UnmountAll(rootfs, 0)
}
