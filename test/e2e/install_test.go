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

// TestModuleHostMissing: a node where only the shim binary was installed (no
// wasmtee-module-host beside it) refuses the container at create with an error that
// names the missing binary, and leaves nothing behind: no shim of that copy keeps
// running, and the leak check after the subtest finds no mount, state or FIFO.
func TestModuleHostMissing(t *testing.T) {
	dir := t.TempDir()
	lone := filepath.Join(dir, "containerd-shim-wasmtee-v1")
	copyFile(t, env.shim, lone)
	each(t, func(c *tc) {
		// ctr takes an absolute shim path as the runtime; the last --runtime wins.
		r := c.run("hello", []string{"--runtime", lone})
		c.expectFail(r, "wasmtee-module-host", "install wasmtee-module-host beside the shim binary")
		deadline := time.Now().Add(leakGrace)
		for {
			var alive []string
			for _, pid := range pidsOf(lone) {
				alive = append(alive, "pid "+itoa(pid))
			}
			if len(alive) == 0 {
				break
			}
			if time.Now().After(deadline) {
				c.Fatalf("shims of %s still running %v after the failed create:\n  %s", lone, leakGrace, strings.Join(alive, "\n  "))
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// pidsOf lists the live processes whose executable is exe.
func pidsOf(exe string) []int {
	var out []int
	for _, p := range procfs.All(func(_ int, x string) bool { return x == exe }) {
		if !p.Zombie {
			out = append(out, p.PID)
		}
	}
	return out
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
