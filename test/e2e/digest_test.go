//go:build e2e

package e2e

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// TestModuleDigestCache: a module in an image layer is hashed at its first
// start, and later starts take its digest from the compile cache, filed under
// the layer file's identity. Rewriting the layer file in place, keeping its
// inode, size and mtime (only the ctime then tells), makes the next start
// hash it again and run the new module, not the artifact of the old one.
func TestModuleDigestCache(t *testing.T) {
	each(t, func(c *tc) {
		ref := c.ref("digest")
		first, second := c.id(), c.id()
		c.expect(c.ctr(runArgs(ref, first, nil, []string{"/hello.wasm"})...), 0, "hello from wat")
		c.expect(c.ctr(runArgs(ref, second, nil, []string{"/hello.wasm"})...), 0, "hello from wat")
		c.expectDigest(first, "hashed")
		c.expectDigest(second, "cached")
		c.expectSource(second, "cache")

		layer := digestLayer(c)
		module := filepath.Join(layer, "hello.wasm")
		old, err := os.ReadFile(module)
		if err != nil {
			c.Fatal(err)
		}
		st, err := os.Stat(module)
		if err != nil {
			c.Fatal(err)
		}
		// Put the layer back for whatever runs after this test on the daemon.
		defer os.WriteFile(module, old, st.Mode().Perm())
		exit42, err := os.ReadFile(filepath.Join(env.work, "exit42.wasm"))
		if err != nil {
			c.Fatal(err)
		}
		f, err := os.OpenFile(module, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			c.Fatal(err)
		}
		_, werr := f.Write(padModule(c, exit42, len(old)))
		if cerr := f.Close(); werr != nil || cerr != nil {
			c.Fatal(werr, cerr)
		}
		if err := os.Chtimes(module, st.ModTime(), st.ModTime()); err != nil {
			c.Fatal(err)
		}
		if now, err := os.Stat(module); err != nil || now.Size() != st.Size() || !now.ModTime().Equal(st.ModTime()) || !os.SameFile(now, st) {
			c.Fatalf("rewritten module: not the same inode, size and mtime (%v)", err)
		}
		third := c.id()
		c.expect(c.ctr(runArgs(ref, third, nil, []string{"/hello.wasm"})...), 42)
		c.expectDigest(third, "hashed")
		c.expectSource(third, "compile")
	})
}

// digestLayer is the snapshot directory of the "digest" image's layer in
// the daemon: the one with /digest-layer.txt.
func digestLayer(c *tc) string {
	c.Helper()
	m, _ := filepath.Glob(filepath.Join(c.d.dir, "root", "io.containerd.snapshotter.v1.overlayfs", "snapshots", "*", "fs", "digest-layer.txt"))
	if len(m) != 1 {
		c.Fatalf("want one snapshot with digest-layer.txt, found %v", m)
	}
	return filepath.Dir(m[0])
}

// padModule appends a custom section to module so that it is n bytes long.
func padModule(c *tc, module []byte, n int) []byte {
	c.Helper()
	for payload := 0; payload < n; payload++ {
		body := append([]byte{3, 'p', 'a', 'd'}, bytes.Repeat([]byte{0}, payload)...)
		sec := append([]byte{0}, binary.AppendUvarint(nil, uint64(len(body)))...)
		sec = append(sec, body...)
		if len(module)+len(sec) == n {
			return append(append([]byte{}, module...), sec...)
		}
	}
	c.Fatalf("cannot pad a %d-byte module to %d bytes", len(module), n)
	return nil
}

// expectDigest checks where the module host got the module's digest from.
func (c *tc) expectDigest(id, from string) {
	c.Helper()
	if got := c.hostCreated(id, "digest"); got != from {
		c.Errorf("container %s: digest %s, want %s", id, got, from)
	}
}
