package oci

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestIsNative(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "app"), 0o755)
	os.WriteFile(filepath.Join(root, "bin", "busybox"), []byte("\x7fELF\x02\x01\x01"), 0o755)
	os.Symlink("/bin/busybox", filepath.Join(root, "bin", "sleep")) // absolute, as alpine does
	os.Symlink("busybox", filepath.Join(root, "bin", "sh"))
	os.WriteFile(filepath.Join(root, "app", "run"), []byte("#!/bin/sh\necho"), 0o755)
	os.WriteFile(filepath.Join(root, "app", "mod"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	os.WriteFile(filepath.Join(root, "bad.wasm"), []byte("text"), 0o644)
	for _, tc := range []struct {
		args   []string
		cwd    string
		env    []string
		native bool
	}{
		{[]string{"sleep", "3600"}, "/", nil, true},
		{[]string{"sh"}, "/", []string{"PATH=/bin"}, true},
		{[]string{"/bin/busybox"}, "/", nil, true},
		{[]string{"./run"}, "/app", nil, true},
		{[]string{"/app/mod"}, "/", nil, false},
		{[]string{"/bad.wasm"}, "/", nil, false},
		{[]string{"/bin/sleep.wasm#f"}, "/", nil, false},
		{[]string{"missing"}, "/", nil, false},
		{[]string{"sleep"}, "/", []string{"PATH=/nowhere"}, false},
	} {
		s := &specs.Spec{Process: &specs.Process{Args: tc.args, Cwd: tc.cwd, Env: tc.env}}
		if got := IsNative(root, s); got != tc.native {
			t.Errorf("%v (cwd %s, env %v): native %v, want %v", tc.args, tc.cwd, tc.env, got, tc.native)
		}
	}
}
