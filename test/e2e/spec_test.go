//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// TestWorkingDirectory: process.cwd reaches a Go guest through PWD.
func TestWorkingDirectory(t *testing.T) {
	each(t, func(c *tc) {
		r := c.run("goguest", []string{"--cwd", "/data"}, "/goguest.wasm", "cwd")
		c.expect(r, 0)
		if got := strings.TrimSpace(r.Stdout); got != "/data" {
			c.Errorf("cwd %q, want /data", got)
		}
	})
}

// TestReadOnlyRootfs: with root.readonly the module cannot write to /.
func TestReadOnlyRootfs(t *testing.T) {
	each(t, func(c *tc) {
		c.expect(c.run("goguest", nil, "/goguest.wasm", "write", "/new.txt", "x"), 0, "wrote /new.txt")
		c.expectFail(c.run("goguest", []string{"--read-only"}, "/goguest.wasm", "write", "/new.txt", "x"), "goguest write")
	})
}

// TestNativeSnapshotter: the rootfs mount of the native snapshotter (a bind
// mount) works like overlayfs. ctr run unpacks the image for it first.
func TestNativeSnapshotter(t *testing.T) {
	each(t, func(c *tc) {
		c.expect(c.run("goguest", []string{"--snapshotter", "native"}, "/goguest.wasm", "hello"), 0, "hello from wasm")
	})
}

// TestMemoryLimit: linux.resources.memory.limit bounds the module's linear
// memory: a Go guest that allocates past it runs out of memory.
func TestMemoryLimit(t *testing.T) {
	each(t, func(c *tc) {
		limit := []string{"--memory-limit", "67108864"} // 64 MiB
		c.expect(c.run("goguest", limit, "/goguest.wasm", "alloc", "16"), 0, "allocated 16 MiB")
		r := c.run("goguest", limit, "/goguest.wasm", "alloc", "128")
		c.expectFail(r, "out of memory")
		if strings.Contains(r.Out, "allocated 128") {
			c.Errorf("allocated past the limit:\n%s", r)
		}
		c.expect(c.run("goguest", nil, "/goguest.wasm", "alloc", "128"), 0, "allocated 128 MiB")
	})
}
