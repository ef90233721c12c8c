//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestConfinement: through WASI a module reaches nothing of the host but
// its preopens: not host files by absolute path or "..", not through a
// symlink in a mounted directory that points out of it, and no host
// environment variable.
func TestConfinement(t *testing.T) {
	each(t, func(c *tc) {
		secretDir := c.TempDir()
		secret := filepath.Join(secretDir, "secret.txt")
		if err := os.WriteFile(secret, []byte("host secret"), 0o644); err != nil {
			c.Fatal(err)
		}
		shared := c.TempDir()
		if err := os.Symlink(secretDir, filepath.Join(shared, "escape")); err != nil {
			c.Fatal(err)
		}
		if err := os.Symlink(secret, filepath.Join(shared, "file-escape")); err != nil {
			c.Fatal(err)
		}
		mount := []string{"--mount", "type=bind,src=" + shared + ",dst=/shared,options=rbind:rw"}
		for _, path := range []string{
			secret,                      // the host path itself
			"/../../../.." + secret,     // climbing out of "/"
			"/shared/../../.." + secret, // climbing out of a mount
			"/shared/escape/secret.txt", // a symlink to a host directory
			"/shared/file-escape",       // a symlink to a host file
		} {
			r := c.run("goguest", mount, "/goguest.wasm", "cat", path)
			if r.Code == 0 || strings.Contains(r.Out, "host secret") {
				c.Errorf("module read %s:\n%s", path, r)
			}
		}
		r := c.run("goguest", mount, "/goguest.wasm", "write", "/shared/escape/new.txt", "x")
		if _, err := os.Stat(filepath.Join(secretDir, "new.txt")); err == nil || r.Code == 0 {
			c.Errorf("module wrote through a symlink out of its mount:\n%s", r)
		}
		// The test process's environment (and so the daemon's and the shim's)
		// never reaches the module.
		r = c.run("goguest", nil, "/goguest.wasm", "env", "PATH", "HOME", "WASMTEE_CACHE_DIR")
		c.expect(r, 0, "PATH=", "HOME unset", "WASMTEE_CACHE_DIR unset")
	})
}

// TestCacheUnwritable: a compile cache the module host cannot write to
// costs a compile per start, not a failure; the shim logs a warning.
func TestCacheUnwritable(t *testing.T) {
	each(t, func(c *tc) {
		cache := filepath.Join(c.d.dir, "cache")
		c.clearCache()
		// The module host has no capabilities: a root-owned 0500 directory
		// is read-only to it even though it runs as uid 0.
		if err := os.Chmod(cache, 0o500); err != nil {
			c.Fatal(err)
		}
		defer os.Chmod(cache, 0o700)
		id := c.id()
		c.expect(c.ctr(runArgs(c.ref("exit42"), id, nil, nil)...), 42)
		log, _ := os.ReadFile(filepath.Join(c.d.dir, "containerd.log"))
		if !strings.Contains(string(log), "compiled module not cached") {
			c.Errorf("no warning about the unwritable cache in the daemon log")
		}
		if entries, _ := filepath.Glob(filepath.Join(cache, "*.cwasm")); len(entries) != 0 {
			c.Errorf("cache written despite mode 0500: %v", entries)
		}
	})
}

// TestCacheDiskFull: a compile cache on a full file system (a 64 KiB
// tmpfs mounted over it) costs a compile per start, not a failure; the
// shim logs a warning and leaves no partial entry.
func TestCacheDiskFull(t *testing.T) {
	each(t, func(c *tc) {
		cache := filepath.Join(c.d.dir, "cache")
		if err := syscall.Mount("tmpfs", cache, "tmpfs", 0, "size=64k,mode=0700"); err != nil {
			c.Fatalf("mount a small tmpfs over the cache: %v", err)
		}
		defer syscall.Unmount(cache, 0)
		id := c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), id, nil, []string{"/goguest.wasm", "hello"})...), 0, "hello from wasm")
		c.expectSource(id, "compile")
		log, _ := os.ReadFile(filepath.Join(c.d.dir, "containerd.log"))
		if !strings.Contains(string(log), "no space left on device") {
			c.Errorf("no warning about the full cache file system in the daemon log")
		}
		left, _ := filepath.Glob(filepath.Join(cache, "*"))
		for _, f := range left {
			if st, err := os.Stat(f); err == nil && st.Size() > 4096 {
				c.Errorf("partial cache entry left on the full file system: %s (%d bytes)", f, st.Size())
			}
		}
	})
}
