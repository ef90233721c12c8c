package oci

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultPath is the PATH of containerd's default spec, used where a
// spec or an environment sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// IsNative reports whether the spec's entrypoint is an ordinary Linux
// program (an ELF binary or a script, or a command found on PATH inside the
// rootfs) rather than a WebAssembly module. A path ending in ".wasm", a file
// that starts with the wasm magic, and a path that cannot be found are all
// treated as wasm, so that a broken module gets a wasm error.
func IsNative(rootfs string, s *specs.Spec) bool {
	if s.Process == nil || len(s.Process.Args) == 0 {
		return false
	}
	arg0 := s.Process.Args[0]
	if NamesModule(s) {
		return false
	}
	for _, p := range candidates(arg0, s.Process.Cwd, s.Process.Env) {
		f, err := OpenModule(rootfs, p)
		if err != nil {
			continue
		}
		head := make([]byte, 4)
		n, _ := io.ReadFull(f, head)
		f.Close()
		return !bytes.Equal(head[:n], []byte("\x00asm"))
	}
	return false
}

// NamesModule reports whether the spec's entrypoint names a WebAssembly
// module by its name alone ("….wasm", or "….wasm#entry"), which needs no
// look into the rootfs.
func NamesModule(s *specs.Spec) bool {
	if s.Process == nil || len(s.Process.Args) == 0 {
		return false
	}
	arg0 := s.Process.Args[0]
	return strings.HasSuffix(arg0, ".wasm") || strings.Contains(arg0, ".wasm#")
}

// candidates are the paths arg0 may name inside the container: itself if
// it has a slash (against cwd when relative), else each PATH entry.
func candidates(arg0, cwd string, env []string) []string {
	if strings.Contains(arg0, "/") {
		if !path.IsAbs(arg0) {
			arg0 = path.Join("/", cwd, arg0)
		}
		return []string{path.Clean(arg0)}
	}
	search := DefaultPath
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			search = v
		}
	}
	var out []string
	for _, dir := range strings.Split(search, ":") {
		if path.IsAbs(dir) {
			out = append(out, path.Join(dir, arg0))
		}
	}
	return out
}

// openResolved is openStrict that also follows absolute symlinks in the
// last path component as the container would see them (busybox images link
// /bin/sleep to /bin/busybox), still never leaving rootfs: every open and
// every readlink goes through one os.Root, so no host symlink is followed
// or read. It also returns the path, relative to rootfs, that it opened in
// the end (after absolute symlinks; relative ones inside it are left to
// the kernel).
func openResolved(rootfs, p string) (*os.File, string, error) {
	root, err := os.OpenRoot(rootfs)
	if err != nil {
		return nil, "", fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()
	orig := p
	for hops := 0; ; hops++ {
		rel := strings.TrimPrefix(path.Clean("/"+p), "/")
		f, err := openStrict(root, p)
		if err == nil {
			return f, rel, nil
		}
		target, lerr := root.Readlink(rel)
		if hops == 8 || lerr != nil || !path.IsAbs(target) {
			if p != orig {
				why := strings.TrimPrefix(err.Error(), ErrModuleNotFound.Error()+": ")
				return nil, "", fmt.Errorf("%w: %s is a symlink to %s", ErrModuleNotFound, orig, why)
			}
			return nil, "", err
		}
		p = target
	}
}
