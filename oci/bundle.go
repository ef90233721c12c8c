package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ErrInvalidSpec marks a bundle that wasmtee cannot run as written.
var ErrInvalidSpec = errors.New("invalid container spec")

// ReadSpec reads and decodes BUNDLE/config.json.
func ReadSpec(bundle string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("read bundle config: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%w: config.json: %v", ErrInvalidSpec, err)
	}
	return &s, nil
}

// Load maps a runtime spec onto a Workload. rootfs is the host path of the
// container's root filesystem (already mounted).
func Load(s *specs.Spec, rootfs string) (*Workload, error) {
	p := s.Process
	if p == nil {
		return nil, fmt.Errorf("%w: no process", ErrInvalidSpec)
	}
	if p.Terminal {
		return nil, fmt.Errorf("%w: terminal (tty) is not supported yet for wasm containers; run without -t", ErrInvalidSpec)
	}
	if p.Cwd != "" && !filepath.IsAbs(p.Cwd) {
		return nil, fmt.Errorf("%w: process.cwd %q is not an absolute path", ErrInvalidSpec, p.Cwd)
	}
	if len(p.Args) == 0 || p.Args[0] == "" {
		return nil, fmt.Errorf("%w: process.args is empty: args[0] must name the .wasm module", ErrInvalidSpec)
	}
	modulePath, entry, err := splitEntry(p.Args[0], p.Cwd)
	if err != nil {
		return nil, err
	}
	w := &Workload{
		ModulePath: modulePath,
		Entry:      entry,
		Args:       append([]string(nil), p.Args...),
		Env:        withPWD(p.Env, p.Cwd),
		UID:        p.User.UID,
		GID:        p.User.GID,
	}
	readonly := s.Root != nil && s.Root.Readonly
	w.Preopens = append(w.Preopens, Preopen{Host: rootfs, Guest: "/", ReadOnly: readonly})
	binds, err := bindPreopens(s.Mounts)
	if err != nil {
		return nil, err
	}
	w.Preopens = append(w.Preopens, binds...)
	if s.Linux != nil && s.Linux.Resources != nil && s.Linux.Resources.Memory != nil {
		if l := s.Linux.Resources.Memory.Limit; l != nil && *l > 0 {
			w.MemoryLimit = *l
		}
	}
	return w, nil
}

// splitEntry splits "path#function" and makes path absolute against cwd.
func splitEntry(arg0, cwd string) (string, string, error) {
	path, entry := arg0, DefaultEntry
	if i := strings.LastIndexByte(arg0, '#'); i >= 0 {
		path, entry = arg0[:i], arg0[i+1:]
		if entry == "" {
			return "", "", fmt.Errorf("%w: %q names an empty function after '#'", ErrInvalidSpec, arg0)
		}
	}
	if path == "" {
		return "", "", fmt.Errorf("%w: %q names no module path", ErrInvalidSpec, arg0)
	}
	if !filepath.IsAbs(path) {
		if cwd == "" {
			cwd = "/"
		}
		path = filepath.Join(cwd, path)
	}
	return filepath.Clean(path), entry, nil
}

// withPWD adds PWD=cwd so guests whose libc honours it (Go's wasip1 port)
// start in the spec's working directory. WASI preview1 has no cwd of its own.
func withPWD(env []string, cwd string) []string {
	out := append([]string(nil), env...)
	if cwd == "" || cwd == "/" {
		return out
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "PWD=") {
			return out
		}
	}
	return append(out, "PWD="+cwd)
}
