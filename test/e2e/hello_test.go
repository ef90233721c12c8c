//go:build e2e

package e2e

import "testing"

func TestHello(t *testing.T) {
	each(t, func(c *tc) {
		c.expect(c.run("goguest", nil, "/goguest.wasm", "hello"), 0, "hello from wasm")
		// No args: the image's entrypoint (/hello.wasm) runs.
		c.expect(c.run("hello", nil), 0, "hello from wat")
	})
}
