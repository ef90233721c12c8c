//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// MODULE#FUNCTION as args[0] runs the exported FUNCTION instead of _start.
func TestEntryFunction(t *testing.T) {
	each(t, func(c *tc) {
		r := c.run("entry", nil, "/entry.wasm#other")
		c.expect(r, 0, "other")
		if strings.Contains(r.Stdout, "start") {
			c.Errorf("_start ran too:\n%s", r)
		}
		c.expect(c.run("entry", nil), 0, "start")
	})
}
