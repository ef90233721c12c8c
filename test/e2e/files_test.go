//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImageFile(t *testing.T) {
	each(t, func(c *tc) {
		c.expect(c.run("goguest", nil, "/goguest.wasm", "cat", "/data/msg.txt"), 0, imageMsg)
	})
}

func TestBindMountRW(t *testing.T) {
	each(t, func(c *tc) {
		dir := c.TempDir()
		mount := []string{"--mount", "type=bind,src=" + dir + ",dst=/out,options=rbind:rw"}
		c.expect(c.run("goguest", mount, "/goguest.wasm", "write", "/out/f.txt", "hi"), 0, "wrote /out/f.txt")
		if b, err := os.ReadFile(filepath.Join(dir, "f.txt")); err != nil || string(b) != "hi" {
			c.Errorf("host file: want %q, got %q (%v)", "hi", b, err)
		}
	})
}

func TestBindMountRO(t *testing.T) {
	each(t, func(c *tc) {
		dir := c.TempDir()
		mount := []string{"--mount", "type=bind,src=" + dir + ",dst=/out,options=rbind:ro"}
		// The guest itself must fail (its error on stderr), not the container's start.
		c.expectFail(c.run("goguest", mount, "/goguest.wasm", "write", "/out/f.txt", "hi"), "goguest write: ")
		if _, err := os.Stat(filepath.Join(dir, "f.txt")); !os.IsNotExist(err) {
			c.Errorf("a read-only mount let the guest create f.txt on the host (stat: %v)", err)
		}
	})
}
