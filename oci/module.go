package oci

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// ErrModuleNotFound marks a module path that does not resolve to a regular
// file inside the container's rootfs.
var ErrModuleNotFound = errors.New("module not found")

// OpenModule opens the module at guestPath inside rootfs. Symlinks are
// followed only while they stay inside rootfs, so an image cannot point the
// runtime at a host file; an absolute symlink as the last component is
// read as the container sees it (relative to rootfs).
func OpenModule(rootfs, guestPath string) (*os.File, error) {
	return openInRootfs(rootfs, guestPath)
}

// openStrict opens guestPath inside rootfs through os.Root, which refuses
// every symlink that leaves rootfs, absolute ones included.
func openStrict(rootfs, guestPath string) (*os.File, error) {
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		return nil, fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()
	rel := strings.TrimPrefix(guestPath, "/")
	if rel == "" {
		return nil, fmt.Errorf("%w: %q is the root directory", ErrModuleNotFound, guestPath)
	}
	f, err := root.Open(rel)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%w: %s in the container image: %v", ErrModuleNotFound, guestPath, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat module %s: %w", guestPath, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrModuleNotFound, guestPath)
	}
	return f, nil
}
