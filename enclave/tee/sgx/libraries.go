package sgx

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// gramineProvides are the glibc libraries Gramine brings, patched, in its
// runtime directory (mounted at /lib in the enclave).
var gramineProvides = []string{
	"libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
	"libresolv.so.2", "libutil.so.1", "ld-linux-x86-64.so.2",
}

// libraryDirs are where HostLibraries looks for the other libraries.
var libraryDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64"}

// HostLibraries are the host libraries the module host binary at path
// needs in an enclave (ManifestOptions.Libraries): the shared libraries it
// imports besides glibc, found on the host. A statically linked binary, as
// make builds it, needs none; a dynamically linked one (plain go build)
// needs libgcc_s for wasmtime's unwinder.
func HostLibraries(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the module host binary: %w", err)
	}
	defer f.Close()
	imported, err := f.ImportedLibraries()
	if err != nil {
		return nil, fmt.Errorf("read the module host binary's libraries: %w", err)
	}
	return libraryPaths(imported, findLibrary)
}

// libraryPaths maps imported library names to host paths with find,
// leaving out the ones Gramine provides.
func libraryPaths(imported []string, find func(name string) (string, error)) ([]string, error) {
	libs := []string{}
	for _, name := range imported {
		if slices.Contains(gramineProvides, name) {
			continue
		}
		p, err := find(name)
		if err != nil {
			return nil, err
		}
		libs = append(libs, p)
	}
	return libs, nil
}

func findLibrary(name string) (string, error) {
	for _, dir := range libraryDirs {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("the module host binary needs %s, which is not in %v", name, libraryDirs)
}
