package sgx

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The libraries an enclave pins are the binary's imports besides glibc:
// none for a static binary, libgcc_s for a dynamically linked host.
func TestLibraryPaths(t *testing.T) {
	find := func(name string) (string, error) {
		if name == "libgcc_s.so.1" {
			return "/lib/x86_64-linux-gnu/libgcc_s.so.1", nil
		}
		return "", errors.New("not found: " + name)
	}
	got, err := libraryPaths([]string{"libm.so.6", "libgcc_s.so.1", "libc.so.6"}, find)
	if err != nil || !reflect.DeepEqual(got, []string{"/lib/x86_64-linux-gnu/libgcc_s.so.1"}) {
		t.Errorf("dynamic host: %v, %v", got, err)
	}
	if got, err := libraryPaths(nil, find); err != nil || got == nil || len(got) != 0 {
		t.Errorf("static host: %#v, %v; want an empty, non-nil list", got, err)
	}
	if _, err := libraryPaths([]string{"libfoo.so.1"}, find); err == nil || !strings.Contains(err.Error(), "libfoo.so.1") {
		t.Errorf("missing library: %v", err)
	}
}

// HostLibraries reads a real binary: busybox-static imports nothing, and
// a file that is not ELF is an error.
func TestHostLibraries(t *testing.T) {
	const static = "/bin/busybox"
	if _, err := os.Stat(static); err != nil {
		t.Fatalf("%s (busybox-static, installed by scripts/deps.sh): %v", static, err)
	}
	if got, err := HostLibraries(static); err != nil || len(got) != 0 {
		t.Errorf("HostLibraries(%s) = %v, %v; want none", static, got, err)
	}
	if _, err := HostLibraries("/etc/hostname"); err == nil {
		t.Error("HostLibraries of a text file: no error")
	}
}
