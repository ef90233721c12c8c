//go:build e2e

package e2e

import "testing"

func TestExitCode(t *testing.T) {
	each(t, func(c *tc) {
		c.expect(c.run("exit42", nil), 42)
		c.expect(c.run("goguest", nil, "/goguest.wasm", "exit", "3"), 3)
	})
}

func TestTrap(t *testing.T) {
	each(t, func(c *tc) {
		// A trap ends the task like an abort: 128 + SIGABRT.
		c.expect(c.run("trap", nil), 134, "unreachable")
	})
}
