//go:build e2e

package e2e

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/test/internal/procfs"
)

// The sgx backend runs against test/sgxfake, a test double of Gramine's
// gramine-manifest, gramine-sgx-sign and gramine-sgx (this machine has no
// SGX and no Gramine). setupSGXFake puts its tools first on the daemons'
// PATH (and so the shims') and points the shim's SGX probe at a node root
// that has /dev/sgx_enclave and /dev/sgx_provision (WASMTEE_SGX_ROOT). Only
// containers that ask for sgx use it: auto never starts enclaves.
var sgxHome string

// sgxRoot is where the shim keeps enclave directories (enclave.DefaultSGXDir).
const sgxRoot = "/run/wasmtee-sgx"

// sgxDir is where the shim keeps an sgx container's enclave directory.
func sgxDir(id string) string { return filepath.Join(sgxRoot, namespace, id) }

// setupSGXFake builds and initializes the fake; TestMain calls it before
// the daemons start.
func setupSGXFake() error {
	h := filepath.Join(env.work, "sgxfake")
	exe := filepath.Join(h, "bin", "sgxfake")
	if err := command(5*time.Minute, env.repo, nil, "go", "build", "-o", exe, "./test/sgxfake"); err != nil {
		return err
	}
	if err := command(time.Minute, env.repo, nil, exe, "init", h); err != nil {
		return err
	}
	os.Setenv("PATH", filepath.Join(h, "bin")+":"+os.Getenv("PATH"))
	os.Setenv("WASMTEE_SGX_ROOT", filepath.Join(h, "root"))
	sgxHome = h
	return nil
}

var sgxAnnotation = []string{"--annotation", "wasmtee.io/tee=require:sgx"}

// sgxPolicy writes a policy that accepts only the sgx backend, quotes
// chained to the fake's test root CA, and enclaves signed with the
// daemon's enclave signing key (its MRSIGNER).
func sgxPolicy(c *tc, measurements []string, mrSigner string) string {
	c.Helper()
	pol := map[string]any{
		"backends": []string{"sgx"}, "tees": []string{"sgx"},
		"sgx": map[string]any{"rootCert": filepath.Join(sgxHome, "pki", "root.pem"), "mrSigner": []string{mrSigner}},
	}
	if measurements == nil {
		pol["allowAnyMeasurement"] = true
	} else {
		pol["measurements"] = measurements
	}
	return policyFile(c, pol)
}

// daemonMRSigner is the MRSIGNER of the daemon's shims' enclaves: the
// shim keeps the signing key beside the node key (WASMTEE_NODE_KEY, in the
// daemon's directory).
func daemonMRSigner(c *tc) string {
	c.Helper()
	k, err := sgx.LoadSigningKey(filepath.Join(c.d.dir, sgx.SigningKeyName))
	if err != nil {
		c.Fatalf("the shim's enclave signing key: %v", err)
	}
	s := sgx.MRSigner(&k.PublicKey)
	return hex.EncodeToString(s[:])
}

// sgxLeftovers lists what an sgx container may leave: its enclave
// directory, and processes of the fake (its quote server) or rooted in
// an enclave directory. Its clean function kills those processes and
// removes those directories.
func sgxLeftovers(ids []string) (found []string, clean func() error) {
	var dirs []string
	for _, id := range ids {
		if _, err := os.Stat(sgxDir(id)); err == nil {
			dirs = append(dirs, sgxDir(id))
			found = append(found, "enclave directory "+sgxDir(id))
		}
	}
	fake := filepath.Join(sgxHome, "bin", "sgxfake")
	var pids []int
	for _, p := range procfs.All(nil) {
		if p.Zombie {
			continue
		}
		if p.Exe == fake || strings.HasPrefix(p.Root, sgxRoot+"/") || strings.HasPrefix(p.Cwd, sgxRoot+"/") {
			pids = append(pids, p.PID)
			found = append(found, fmt.Sprintf("process %d: exe %s root %s cwd %s", p.PID, p.Exe, p.Root, p.Cwd))
		}
	}
	return found, func() error {
		killAll(pids)
		var errs []error
		for _, d := range dirs {
			errs = append(errs, removeTree(d))
		}
		return errors.Join(errs...)
	}
}

// checkSGXLeftovers fails c if an sgx container left anything after a
// grace period, then removes it.
func checkSGXLeftovers(c *tc) {
	c.Helper()
	pollLeftovers(c, "sgx containers of containerd "+c.d.version, func() ([]string, func() error) { return sgxLeftovers(c.ids) })
}

// TestSGX: a container that requires sgx runs its module host in an
// "enclave" started by (the fake) gramine-sgx: the module runs, reads its
// rootfs, and its evidence, made inside the enclave with a DCAP quote,
// verifies under an SGX-only policy, both when fetched with `wasmtee
// attest` and when the module asks for its own.
func TestSGX(t *testing.T) {
	if sgxHome == "" {
		t.Fatal("the Gramine test double was not set up (see the start of the run)")
	}
	each(t, func(c *tc) {
		c.Cleanup(func() { checkSGXLeftovers(c) })
		r := c.run("goguest", sgxAnnotation, "/goguest.wasm", "cat", "/data/msg.txt")
		c.expect(r, 0, strings.TrimSpace(imageMsg))
		r = c.run("goguest", sgxAnnotation, "/goguest.wasm", "args", "one", "two")
		c.expect(r, 0, "one", "two")
		mrSigner := daemonMRSigner(c)

		// The module's own evidence: made in the enclave.
		r = c.run("goguest", sgxAnnotation, "/goguest.wasm", "evidence", nonce)
		c.expect(r, 0, `"backend":"sgx"`, `"tee":"sgx"`)
		ev := filepath.Join(c.TempDir(), "guest-evidence.json")
		os.WriteFile(ev, []byte(strings.TrimSpace(r.Stdout)), 0o644)
		if v := wasmteeCLI("verify", "--policy", sgxPolicy(c, nil, mrSigner), "--nonce", nonce, ev); v.Code != 0 {
			c.Errorf("verify the guest's own sgx evidence:\n%s", cmdString(v))
		}

		// `wasmtee attest` of a running container: the shim asks the
		// enclave over the control channel.
		id := c.runDetached(sgxAnnotation, 30*time.Second)
		for _, f := range []string{"module-host.manifest.sgx", "module-host.sig", "module.wasm"} {
			if _, err := os.Stat(filepath.Join(sgxDir(id), f)); err != nil {
				c.Errorf("the running container's enclave directory: %v", err)
			}
		}
		out, got := c.attest(id)
		if got.Backend != "sgx" || got.TEE != "sgx" || got.Nonce != nonce {
			c.Errorf("evidence backend %q tee %q nonce %q", got.Backend, got.TEE, got.Nonce)
		}
		m := wasmteeCLI("measure", "--backend", "sgx", imageTar("sleep"))
		if m.Code != 0 || strings.TrimSpace(m.Stdout) != got.Measurement {
			c.Errorf("offline measurement %q, the enclave's %q:\n%s", strings.TrimSpace(m.Stdout), got.Measurement, cmdString(m))
		}
		if v := wasmteeCLI("verify", "--policy", sgxPolicy(c, []string{got.Measurement}, mrSigner), "--nonce", nonce, out); v.Code != 0 {
			c.Errorf("verify with an sgx policy and the test root CA: want 0:\n%s", cmdString(v))
		}
		other := strings.Repeat("ee", 32)
		if v := wasmteeCLI("verify", "--policy", sgxPolicy(c, []string{got.Measurement}, other), "--nonce", nonce, out); v.Code != 1 || !strings.Contains(v.Out, "MRSIGNER") {
			c.Errorf("verify with another MRSIGNER: want exit 1 naming MRSIGNER:\n%s", cmdString(v))
		}
		processOnly := policyFile(c, map[string]any{"allowAnyMeasurement": true, "backends": []string{"process"}, "tees": []string{"none"}})
		if v := wasmteeCLI("verify", "--policy", processOnly, "--nonce", nonce, out); v.Code != 1 {
			c.Errorf("verify under a process-only policy: want exit 1:\n%s", cmdString(v))
		}
	})
}

// TestSGXTrustedFileMismatch: a trusted file (the module's copy) changed
// after the manifest was signed, as an untrusted host could: the enclave
// refuses to start, create fails with an error that says so, and nothing
// is left.
func TestSGXTrustedFileMismatch(t *testing.T) {
	if sgxHome == "" {
		t.Fatal("the Gramine test double was not set up (see the start of the run)")
	}
	each(t, func(c *tc) {
		c.Cleanup(func() { checkSGXLeftovers(c) })
		sw := filepath.Join(sgxHome, "tamper-next")
		if err := os.WriteFile(sw, []byte("module.wasm"), 0o644); err != nil {
			c.Fatal(err)
		}
		defer os.Remove(sw)
		r := c.run("hello", sgxAnnotation)
		c.expectFail(r, "trusted file file:module.wasm: hash mismatch", "refusing to start the enclave")
		if _, err := os.Stat(sw); err == nil {
			c.Error("the fake's tamper switch was not used")
		}
		// Without tampering the same image runs.
		c.expect(c.run("hello", sgxAnnotation), 0, "hello from wat")
	})
}

// TestSGXShimKilled: when the shim of an sgx container dies, the enclave's
// process dies with it (PDEATHSIG), and containerd's "shim delete"
// removes the enclave directory too.
func TestSGXShimKilled(t *testing.T) {
	if sgxHome == "" {
		t.Fatal("the Gramine test double was not set up (see the start of the run)")
	}
	each(t, func(c *tc) {
		c.Cleanup(func() { checkSGXLeftovers(c) })
		killShim(c, shimKill{flags: sgxAnnotation, start: 30 * time.Second, child: "the enclave's process", running: func(c *tc, id string) {
			if _, err := os.Stat(sgxDir(id)); err != nil {
				c.Fatalf("enclave directory of the running container: %v", err)
			}
		}})
	})
}
