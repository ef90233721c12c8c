//go:build e2e

package e2e

import "testing"

// A module that cannot load fails `ctr run` at task create, naming the cause, and
// leaves nothing behind (the leak check after each subtest).
func TestBrokenModules(t *testing.T) {
	each(t, func(c *tc) {
		c.expectFail(c.run("broken", nil, "/bad.wasm"), "magic")
		c.expectFail(c.run("broken", nil, "/truncated.wasm"), "unexpected end")
		c.expectFail(c.run("broken", nil, "/unknown_import.wasm"), "unknown import")
		// The same through the image's entrypoint.
		c.expectFail(c.run("unknown-import", nil), "unknown import")
	})
}
