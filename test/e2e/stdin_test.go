//go:build e2e

package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestStdin: what ctr run reads on its stdin reaches the module's stdin,
// and the module sees end-of-file when it ends.
func TestStdin(t *testing.T) {
	each(t, func(c *tc) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		args := append([]string{"-a", c.d.sock, "-n", namespace}, runArgs(c.ref("goguest"), c.id(), nil, []string{"/goguest.wasm", "stdin"})...)
		cmd := exec.CommandContext(ctx, c.d.ctrBin, args...)
		cmd.Stdin = strings.NewReader("line one\nline two\n")
		out, err := cmd.CombinedOutput()
		if err != nil {
			c.Fatalf("ctr run with stdin: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "line one\nline two\n") || !strings.Contains(string(out), "stdin: 18 bytes") {
			c.Errorf("module did not echo its stdin:\n%s", out)
		}
	})
}
