//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const nonce = "5eed0f1a2b3c4d5e6f708192a3b4c5d6"

// wasmteeCLI runs bin/wasmtee.
func wasmteeCLI(args ...string) result { return runBin(time.Minute, env.wasmtee, args...) }

// policyFile writes a verification policy and returns its path.
func policyFile(c *tc, pol map[string]any) string {
	c.Helper()
	p := filepath.Join(c.TempDir(), "policy.json")
	b, _ := json.Marshal(pol)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		c.Fatal(err)
	}
	return p
}

// runDetached starts the idle image detached (ctr run -d --null-io) with
// flags on a fresh container ID, waits up to max for its task to run, and
// has it killed and removed when the test ends.
func (c *tc) runDetached(flags []string, max time.Duration) string {
	c.Helper()
	id := c.id()
	args := append(append([]string{"run", "-d", "--null-io", "--runtime", runtimeType}, flags...), c.ref("sleep"), id)
	if r := c.ctr(args...); r.Code != 0 {
		c.Fatalf("ctr run -d:\n%s", r)
	}
	c.Cleanup(func() {
		c.ctr("task", "kill", "-s", "SIGKILL", id)
		c.waitStatus(id, "STOPPED", 10*time.Second)
		c.ctr("task", "delete", id)
		c.ctr("containers", "delete", id)
	})
	c.waitStatus(id, "RUNNING", max)
	return id
}

// attested is what the tests read of evidence.
type attested struct {
	Backend, TEE, Measurement, Nonce string
}

// attest fetches the running container id's evidence with `wasmtee attest`
// and the test nonce; it returns the evidence file and what it says.
func (c *tc) attest(id string) (string, attested) {
	c.Helper()
	ev := filepath.Join(c.TempDir(), "evidence.json")
	if r := wasmteeCLI("attest", "--address", c.d.sock, "-n", namespace, "--nonce", nonce, "-o", ev, id); r.Code != 0 {
		c.Fatalf("wasmtee attest:\n%s", cmdString(r))
	}
	var got attested
	data, _ := os.ReadFile(ev)
	if err := json.Unmarshal(data, &got); err != nil {
		c.Fatalf("evidence is not JSON: %v\n%s", err, data)
	}
	return ev, got
}

// TestAttest: a running container's evidence, fetched from its shim with
// `wasmtee attest`, carries the measurement that `wasmtee measure` computes
// offline from the image, and `wasmtee verify` accepts it only under a
// policy that allows the process backend's "tee: none" and with the right
// nonce.
func TestAttest(t *testing.T) {
	each(t, func(c *tc) {
		id := c.runDetached(nil, 20*time.Second)
		ev, got := c.attest(id)
		if got.Backend != "process" || got.TEE != "none" || got.Nonce != nonce {
			c.Errorf("evidence backend %q tee %q nonce %q", got.Backend, got.TEE, got.Nonce)
		}
		m := wasmteeCLI("measure", imageTar("sleep"))
		if m.Code != 0 || strings.TrimSpace(m.Stdout) != got.Measurement {
			c.Errorf("offline measurement %q, the shim's %q:\n%s", strings.TrimSpace(m.Stdout), got.Measurement, cmdString(m))
		}
		allow := policyFile(c, map[string]any{"measurements": []string{got.Measurement}, "backends": []string{"process"}, "tees": []string{"none"}})
		if r := wasmteeCLI("verify", "--policy", allow, "--nonce", nonce, ev); r.Code != 0 {
			c.Errorf("verify with a policy that allows tee none: want 0:\n%s", cmdString(r))
		}
		strict := policyFile(c, map[string]any{"measurements": []string{got.Measurement}, "backends": []string{"tsm", "sgx"}, "tees": []string{"tdx", "sev-snp", "sgx"}})
		if r := wasmteeCLI("verify", "--policy", strict, "--nonce", nonce, ev); r.Code != 1 {
			c.Errorf("verify with a TEE-only policy: want exit 1:\n%s", cmdString(r))
		}
		if r := wasmteeCLI("verify", "--policy", allow, "--nonce", "00"+nonce, ev); r.Code != 1 || !strings.Contains(r.Out, "nonce") {
			c.Errorf("verify with another nonce: want exit 1 naming the nonce:\n%s", cmdString(r))
		}
	})
}

// TestGuestEvidence: a Go guest fetches its own evidence through the
// wasmtee.get_evidence host call; it verifies.
func TestGuestEvidence(t *testing.T) {
	each(t, func(c *tc) {
		r := c.run("goguest", nil, "/goguest.wasm", "evidence", nonce)
		c.expect(r, 0, `"tee":"none"`)
		ev := filepath.Join(c.TempDir(), "evidence.json")
		os.WriteFile(ev, []byte(strings.TrimSpace(r.Stdout)), 0o644)
		pol := policyFile(c, map[string]any{"allowAnyMeasurement": true, "backends": []string{"process"}, "tees": []string{"none"}})
		if v := wasmteeCLI("verify", "--policy", pol, "--nonce", nonce, ev); v.Code != 0 {
			c.Errorf("verify the guest's own evidence:\n%s", cmdString(v))
		}
	})
}

// TestTEERequired: a container that requires a TEE this node lacks is
// refused at create, with an error that names it, and leaves nothing.
func TestTEERequired(t *testing.T) {
	each(t, func(c *tc) {
		r := c.run("sleep", []string{"--annotation", "wasmtee.io/tee=require:tsm"})
		c.expectFail(r, "tee tsm required but", "configfs-tsm")
		r = c.run("hello", []string{"--annotation", "wasmtee.io/tee=tdx-please"})
		c.expectFail(r, "wasmtee.io/tee")
		// Not required: falls back to the process backend and runs.
		c.expect(c.run("hello", []string{"--annotation", "wasmtee.io/tee=tsm"}), 0, "hello from wat")
	})
}
