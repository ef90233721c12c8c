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
	f, _, err := openResolved(rootfs, guestPath)
	return f, err
}

// openStrict opens guestPath inside root, which refuses every symlink
// that leaves it, absolute ones included.
func openStrict(root *os.Root, guestPath string) (*os.File, error) {
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
