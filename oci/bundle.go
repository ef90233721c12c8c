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

// ReadSpec reads BUNDLE/config.json and decodes the part of it that a wasm
// container uses: the process, root, mounts, annotations, and of the Linux
// section the cgroup path, resources and namespaces. The rest (seccomp,
// devices, Windows, VM, hooks, ...) is left out, which spares each new shim
// process encoding/json's work on every type of the runtime spec (about a
// millisecond of its first create). A caller that rewrites config.json reads
// it whole with ReadFullSpec.
func ReadSpec(bundle string) (*specs.Spec, error) {
	var s usedSpec
	if err := readSpec(bundle, &s); err != nil {
		return nil, err
	}
	spec := &specs.Spec{Version: s.Version, Process: s.Process, Root: s.Root, Mounts: s.Mounts, Annotations: s.Annotations}
	if l := s.Linux; l != nil {
		spec.Linux = &specs.Linux{CgroupsPath: l.CgroupsPath, Resources: l.Resources, Namespaces: l.Namespaces}
	}
	return spec, nil
}

// ReadFullSpec reads and decodes the whole of BUNDLE/config.json.
func ReadFullSpec(bundle string) (*specs.Spec, error) {
	var s specs.Spec
	if err := readSpec(bundle, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// usedSpec is the part of a runtime spec that ReadSpec decodes.
type usedSpec struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *struct {
		Resources   *specs.LinuxResources  `json:"resources,omitempty"`
		CgroupsPath string                 `json:"cgroupsPath,omitempty"`
		Namespaces  []specs.LinuxNamespace `json:"namespaces,omitempty"`
	} `json:"linux,omitempty"`
}

func readSpec(bundle string, v any) error {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return fmt.Errorf("read bundle config: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: config.json: %v", ErrInvalidSpec, err)
	}
	return nil
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
