//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCompileCache: the first start of a module compiles it, the next
// starts load the compiled artifact from the node's cache; a damaged entry
// is detected, discarded and compiled again.
func TestCompileCache(t *testing.T) {
	each(t, func(c *tc) {
		cache := filepath.Join(c.d.dir, "cache")
		c.clearCache()
		first := c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), first, nil, []string{"/goguest.wasm", "hello"})...), 0, "hello from wasm")
		second := c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), second, nil, []string{"/goguest.wasm", "hello"})...), 0, "hello from wasm")
		c.expectSource(first, "compile")
		c.expectSource(second, "cache")

		entries, _ := filepath.Glob(filepath.Join(cache, "*.cwasm"))
		if len(entries) != 1 {
			c.Fatalf("want 1 cache entry, have %v", entries)
		}
		data, err := os.ReadFile(entries[0])
		if err != nil {
			c.Fatal(err)
		}
		data[len(data)/2] ^= 0xff
		if err := os.WriteFile(entries[0], data, 0o600); err != nil {
			c.Fatal(err)
		}
		third := c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), third, nil, []string{"/goguest.wasm", "hello"})...), 0, "hello from wasm")
		c.expectSource(third, "compile")
	})
}

// expectSource checks where the module host got the compiled module from.
func (c *tc) expectSource(id, source string) {
	c.Helper()
	if got := c.hostCreated(id, "source"); got != source {
		c.Errorf("container %s: module loaded from %s, want %s", id, got, source)
	}
}

// hostCreated is the value of field key in the shim's "module host
// created" log line for id. The line must name the runtime, as every line
// a shim logs into containerd's log does (operators find a runtime's lines
// by it).
func (c *tc) hostCreated(id, key string) string {
	c.Helper()
	log, err := os.ReadFile(filepath.Join(c.d.dir, "containerd.log"))
	if err != nil {
		c.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^.*module host created" container_id=` + regexp.QuoteMeta(id) + ` .*\b` + key + `=(\w+).*$`).FindSubmatch(log)
	if m == nil {
		c.Fatalf("no 'module host created' log line with %s for %s", key, id)
	}
	if !strings.Contains(string(m[0]), " runtime="+runtimeType) {
		c.Fatalf("the shim's log line does not name the runtime: %s", m[0])
	}
	return string(m[1])
}

// clearCache empties the daemon's compile cache.
func (c *tc) clearCache() { emptyCache(filepath.Join(c.d.dir, "cache")) }

// emptyCache empties the compile cache in dir (artifacts, MACs, stamps and
// filed digests), keeping its node key.
func emptyCache(dir string) {
	for _, pattern := range []string{"*.cwasm", "*.mac", "*.stamp", "*.digest"} {
		old, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, f := range old {
			os.Remove(f)
		}
	}
}
