//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEarlySpawn: the shim spawns the module host of the container it was
// started for from the bundle alone, before Create arrives, and Create
// hands that host its module and stdio ("module host created" says
// spawned=early). Runtime options that name the process backend keep it
// (containerd 2.x sends them with Create only; they change the evidence's
// backend, not the host). When Create finds the container is not one for
// that host, it ends it and does what the container needs, leaving nothing
// behind (each's leak check: no process, mount or cgroup): runtime options
// that ask for sgx (`ctr run --runtime-config-path`) make it start the
// enclave instead (1.6 also gives them to shim start, which then spawns
// nothing). An image that is not wasm (busybox, whose entrypoint is not
// named ….wasm) gets no early host, and runc runs it.
func TestEarlySpawn(t *testing.T) {
	each(t, func(c *tc) {
		id := c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), id, nil, []string{"/goguest.wasm", "args", "early", "bird"})...), 0, "early", "bird")
		if got := c.hostCreated(id, "spawned"); got != "early" {
			c.Errorf("container %s: module host spawned %q, want early", id, got)
		}

		process := filepath.Join(c.TempDir(), "process.toml")
		if err := os.WriteFile(process, []byte("tee = \"process\"\n"), 0o644); err != nil {
			c.Fatal(err)
		}
		id = c.id()
		c.expect(c.ctr(runArgs(c.ref("goguest"), id, []string{"--runtime-config-path", process}, []string{"/goguest.wasm", "args", "kept"})...), 0, "kept")
		if got := c.hostCreated(id, "spawned"); got != "early" {
			c.Errorf("container %s (process backend from runtime options): module host spawned %q, want early", id, got)
		}

		if sgxHome == "" {
			c.Fatal("the Gramine test double was not set up (see the start of the run)")
		}
		c.Cleanup(func() { checkSGXLeftovers(c) })
		opts := filepath.Join(c.TempDir(), "wasmtee.toml")
		if err := os.WriteFile(opts, []byte("tee = \"require:sgx\"\n"), 0o644); err != nil {
			c.Fatal(err)
		}
		id = c.id()
		flags := []string{"--runtime-config-path", opts}
		c.expect(c.ctr(runArgs(c.ref("goguest"), id, flags, []string{"/goguest.wasm", "evidence", nonce})...), 0, `"backend":"sgx"`)
		if got := c.hostCreated(id, "spawned"); got != "create" {
			c.Errorf("container %s (sgx from runtime options): module host spawned %q, want create", id, got)
		}

		if busyboxErr != nil {
			c.Fatalf("busybox image: %v", busyboxErr)
		}
		importFlags := []string{"images", "import"}
		if c.d.version != "1.6" {
			importFlags = append(importFlags, "--local")
		}
		if r := c.ctr(append(importFlags, busyboxTar())...); r.Code != 0 {
			c.Fatalf("import busybox:\n%s", r)
		}
		r := c.ctr(runArgs(busyboxRef, c.id(), nil, []string{"/bin/echo", "not wasm"})...)
		c.expect(r, 0, "not wasm")
		if strings.Contains(r.Out, "module host") {
			c.Errorf("busybox output mentions a module host:\n%s", r)
		}
	})
}
