//go:build e2e

package e2e

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// TestModuleHostMissing: a node where the shim's two binaries were installed
// without wasmtee-module-host beside them refuses the container at create with
// an error that names the missing binary, and leaves nothing behind: no shim of
// that copy keeps running, and the leak check after the subtest finds no mount,
// state or FIFO.
func TestModuleHostMissing(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "containerd-shim-wasmtee-v1")
	copyFile(t, env.entry, entry)
	copyFile(t, env.shim, filepath.Join(dir, "wasmtee-shim"))
	each(t, func(c *tc) {
		// ctr takes an absolute shim path as the runtime; the last --runtime wins.
		r := c.run("hello", []string{"--runtime", entry})
		c.expectFail(r, "wasmtee-module-host", "install wasmtee-module-host beside the shim binary")
		waitGone(c, filepath.Join(dir, "wasmtee-shim"))
	})
}

// TestShimServerMissing: only the entry binary containerd runs was installed,
// without the serving shim (wasmtee-shim) beside it: the start fails with an
// error that names the missing binary, and nothing is left.
func TestShimServerMissing(t *testing.T) {
	dir := t.TempDir()
	entry := filepath.Join(dir, "containerd-shim-wasmtee-v1")
	copyFile(t, env.entry, entry)
	each(t, func(c *tc) {
		r := c.run("hello", []string{"--runtime", entry})
		c.expectFail(r, "wasmtee-shim", "install wasmtee-shim beside "+entry)
		waitGone(c, entry)
	})
}

// waitGone waits for the processes of exe to end.
func waitGone(c *tc, exe string) {
	deadline := time.Now().Add(leakGrace)
	for {
		var alive []string
		for _, p := range procfs.Running(exe) {
			alive = append(alive, "pid "+itoa(p.PID))
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.Fatalf("processes of %s still running %v after the failed create:\n  %s", exe, leakGrace, strings.Join(alive, "\n  "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
