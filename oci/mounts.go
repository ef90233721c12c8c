package oci

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bindPreopens turns the spec's bind mounts of directories into WASI
// preopens at their destinations. Kernel filesystems (proc, sysfs, tmpfs,
// devpts, mqueue, cgroup) mean nothing to a WASI module and are skipped, and
// so are binds of single files, since WASI preopens only directories.
func bindPreopens(mounts []specs.Mount) ([]Preopen, error) {
	var out []Preopen
	for _, m := range mounts {
		if !isBind(m) {
			continue
		}
		if err := checkMountPaths(m); err != nil {
			return nil, err
		}
		st, err := os.Stat(m.Source)
		if err != nil {
			return nil, fmt.Errorf("%w: mount %s: source: %v", ErrInvalidSpec, m.Destination, err)
		}
		if !st.IsDir() {
			continue
		}
		out = append(out, Preopen{
			Host:     m.Source,
			Guest:    filepath.Clean(m.Destination),
			ReadOnly: slices.Contains(m.Options, "ro"),
		})
	}
	return out, nil
}

func isBind(m specs.Mount) bool {
	return m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
}

func checkMountPaths(m specs.Mount) error {
	for _, p := range []struct{ what, path string }{{"destination", m.Destination}, {"source", m.Source}} {
		if !filepath.IsAbs(p.path) {
			return fmt.Errorf("%w: mount %q: %s %q is not an absolute path", ErrInvalidSpec, m.Destination, p.what, p.path)
		}
		if hasDotDot(p.path) {
			return fmt.Errorf("%w: mount %q: %s %q contains '..'", ErrInvalidSpec, m.Destination, p.what, p.path)
		}
	}
	return nil
}

func hasDotDot(p string) bool {
	return slices.Contains(strings.Split(p, "/"), "..")
}
