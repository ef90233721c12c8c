//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestNoOutputLost: 20000 lines of 100 bytes (2 MB) all reach ctr, in order, before "done".
func TestNoOutputLost(t *testing.T) {
	each(t, func(c *tc) {
		const n = 20000
		r := c.run("goguest", nil, "/goguest.wasm", "big", fmt.Sprint(n))
		c.expect(r, 0)
		lines := stdoutLines(r)
		if len(lines) == 0 || lines[len(lines)-1] != "done" {
			c.Fatalf("stdout does not end with done: %d lines, %d bytes, exit %d", len(lines), len(r.Stdout), r.Code)
		}
		lines = lines[:len(lines)-1]
		if len(lines) != n {
			c.Errorf("want %d lines before done, got %d (%d bytes of stdout)", n, len(lines), len(r.Stdout))
		}
		pad := strings.Repeat("x", 90)
		for i, l := range lines {
			if want := fmt.Sprintf("%08d %s", i, pad); l != want {
				c.Fatalf("line %d: want %.20q..., got %.40q (lost or mangled output)", i, want, l)
			}
		}
	})
}
