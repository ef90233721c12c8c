//go:build e2e

package e2e

import (
	"slices"
	"testing"
)

func TestArgs(t *testing.T) {
	each(t, func(c *tc) {
		r := c.run("goguest", nil, "/goguest.wasm", "args", "a", "b c")
		c.expect(r, 0)
		if want := []string{"/goguest.wasm", "args", "a", "b c"}; !slices.Equal(stdoutLines(r), want) {
			c.Errorf("want stdout lines %q:\n%s", want, r)
		}
	})
}

func TestEnv(t *testing.T) {
	each(t, func(c *tc) {
		// secretEnv is in the daemons' and shims' environment, never in the guest's.
		r := c.run("goguest", []string{"--env", "FOO=bar"}, "/goguest.wasm", "env", "FOO", secretEnv)
		c.expect(r, 0, "FOO=bar\n", secretEnv+" unset\n")
	})
}
