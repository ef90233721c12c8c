package cli

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// signingNode is the process backend: it signs report data with a node key.
type signingNode struct{ key ed25519.PrivateKey }

func (n signingNode) Backend() string { return evidence.BackendProcess }
func (n signingNode) TEE() string     { return evidence.TEENone }
func (n signingNode) Quote(rd [64]byte) ([]byte, string, [][]byte, error) {
	return ed25519.Sign(n.key, evidence.SignedMessage(rd)), "", nil, nil
}
func (n signingNode) PublicKey() ed25519.PublicKey { return n.key.Public().(ed25519.PublicKey) }

// rawQuoter is a tsm backend that returns a fixed quote.
type rawQuoter struct{ quote []byte }

func (r rawQuoter) Backend() string { return evidence.BackendTSM }
func (r rawQuoter) TEE() string     { return evidence.TEETDX }
func (r rawQuoter) Quote([64]byte) ([]byte, string, [][]byte, error) {
	return r.quote, "tdx_guest", nil, nil
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("module"))
	launch := measure.Launch{Module: hex.EncodeToString(sum[:]), Entry: "_start", Args: []string{"m.wasm"}}
	nonce := []byte("challenge-1")
	nonceHex := hex.EncodeToString(nonce)
	ev, err := evidence.Make(signingNode{key}, evidence.Request{Launch: launch, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	evJSON, _ := json.Marshal(ev)
	evPath := write("evidence.json", string(evJSON))
	write("broken.json", `{"version": 1, "backend": `)

	tdxEv, err := evidence.Make(rawQuoter{testdata.RawQuote}, evidence.Request{Launch: launch, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	tdxJSON, _ := json.Marshal(tdxEv)
	tdxPath := write("tdx-evidence.json", string(tdxJSON))

	policy := write("policy.json", `{"measurements": ["`+ev.Measurement+`"], "backends": ["process"], "tees": ["none"]}`)
	policyNonce := write("policy-nonce.json", `{"measurements": ["`+ev.Measurement+`"], "backends": ["process"], "tees": ["none"], "nonce": "`+nonceHex+`"}`)
	hardwareOnly := write("policy-hw.json", `{"allowAnyMeasurement": true, "backends": ["process", "tsm"], "tees": ["tdx", "sev-snp"]}`)
	tdxPolicy := write("policy-tdx.json", `{"allowAnyMeasurement": true, "backends": ["tsm"], "tees": ["tdx"]}`)
	badPolicy := write("policy-bad.json", `{"measurements": [], "backends": ["process"], "tees": ["none"], "extra": 1}`)
	missingRoot := write("policy-root.json", `{"allowAnyMeasurement": true, "backends": ["tsm"], "tees": ["tdx"], "tdx": {"rootCert": "nope.pem"}}`)

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"verified", []string{"verify", "--policy", policy, "--nonce", nonceHex, evPath}, "", ExitOK,
			[]string{"verified: backend process, TEE none, measurement " + ev.Measurement, "node-signature", "warning: process backend"}, nil},
		{"flags after the file", []string{"verify", evPath, "--nonce", nonceHex, "--policy", policy}, "", ExitOK, []string{"verified"}, nil},
		{"policy nonce", []string{"verify", "--policy", policyNonce, evPath}, "", ExitOK, []string{"verified"}, nil},
		{"stdin", []string{"verify", "--policy", policy, "--nonce", nonceHex, "-"}, string(evJSON), ExitOK, []string{"verified"}, nil},
		{"wrong nonce", []string{"verify", "--policy", policy, "--nonce", "00", evPath}, "", ExitError,
			nil, []string{"verification failed: nonce-mismatch: evidence answers nonce " + nonceHex}},
		{"no hardware TEE not allowed", []string{"verify", "--policy", hardwareOnly, "--nonce", nonceHex, evPath}, "", ExitError,
			nil, []string{"verification failed: tee-not-allowed: "}},
		{"real TDX quote not bound to the evidence", []string{"verify", "--policy", tdxPolicy, "--nonce", nonceHex, tdxPath}, "", ExitError,
			nil, []string{"verification failed: quote-report-data-mismatch: "}},
		{"missing evidence file", []string{"verify", "--policy", policy, "--nonce", nonceHex, filepath.Join(dir, "none.json")}, "", ExitUsage,
			nil, []string{"verify: evidence: ", "no such file"}},
		{"malformed evidence", []string{"verify", "--policy", policy, "--nonce", nonceHex, filepath.Join(dir, "broken.json")}, "", ExitUsage,
			nil, []string{"is not valid JSON"}},
		{"malformed stdin", []string{"verify", "--policy", policy, "--nonce", nonceHex, "-"}, "[]", ExitUsage, nil, []string{"evidence -: "}},
		{"malformed policy", []string{"verify", "--policy", badPolicy, "--nonce", nonceHex, evPath}, "", ExitUsage, nil, []string{"verify: policy: ", `unknown field "extra"`}},
		{"missing policy file", []string{"verify", "--policy", filepath.Join(dir, "none.json"), "--nonce", nonceHex, evPath}, "", ExitUsage, nil, []string{"no such file"}},
		{"missing root certificate", []string{"verify", "--policy", missingRoot, "--nonce", nonceHex, tdxPath}, "", ExitUsage, nil, []string{"policy-invalid", "nope.pem"}},
		{"no --policy", []string{"verify", "--nonce", nonceHex, evPath}, "", ExitUsage, nil, []string{"missing --policy"}},
		{"no nonce", []string{"verify", "--policy", policy, evPath}, "", ExitUsage, nil, []string{"no nonce", "replay protection"}},
		{"bad nonce", []string{"verify", "--policy", policy, "--nonce", "xyz", evPath}, "", ExitUsage, nil, []string{`--nonce "xyz" is not hex`}},
		{"no evidence", []string{"verify", "--policy", policy}, "", ExitUsage, nil, []string{"missing EVIDENCE.json"}},
		{"two evidence files", []string{"verify", "--policy", policy, evPath, evPath}, "", ExitUsage, nil, []string{"want one EVIDENCE.json"}},
		{"help", []string{"verify", "-h"}, "", ExitOK, []string{"Usage: wasmtee verify --policy POLICY.json", "Exit status"}, nil},
		{"listed", []string{"help"}, "", ExitOK, []string{"verify "}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.name, "TDX") && time.Now().After(time.Date(2029, 9, 20, 0, 0, 0, 0, time.UTC)) {
				t.Skip("the sample TDX quote's PCK certificate expired on 2029-09-20")
			}
			verifyStdin = strings.NewReader(tt.stdin)
			defer func() { verifyStdin = os.Stdin }()
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stdout %q, stderr %q)", code, tt.wantCode, stdout, stderr)
			}
			for _, s := range tt.wantStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout %q does not contain %q", stdout, s)
				}
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr %q does not contain %q", stderr, s)
				}
			}
			if tt.wantStderr == nil && stderr != "" {
				t.Errorf("stderr = %q, want empty", stderr)
			}
			if tt.wantCode == ExitError && stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
		})
	}
}

func TestVerifyCommandJSON(t *testing.T) {
	dir := t.TempDir()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	sum := sha256.Sum256([]byte("module"))
	nonce := []byte("n")
	ev, err := evidence.Make(signingNode{key}, evidence.Request{Launch: measure.Launch{Module: hex.EncodeToString(sum[:])}, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(ev)
	evPath := filepath.Join(dir, "ev.json")
	policy := filepath.Join(dir, "policy.json")
	os.WriteFile(evPath, data, 0o644)
	os.WriteFile(policy, []byte(`{"measurements": ["`+ev.Measurement+`"], "backends": ["process"], "tees": ["none"]}`), 0o644)

	decode := func(t *testing.T, stdout string) map[string]any {
		t.Helper()
		var out map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(stdout)))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			t.Fatalf("stdout %q is not JSON: %v", stdout, err)
		}
		for _, k := range []string{"verified", "reason", "message", "checks", "warnings"} {
			if _, ok := out[k]; !ok {
				t.Errorf("JSON output lacks %q: %s", k, stdout)
			}
		}
		return out
	}
	strs := func(v any) []string {
		var out []string
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	}

	code, stdout, stderr := run(t, "verify", "--json", "--policy", policy, "--nonce", hex.EncodeToString(nonce), evPath)
	if code != ExitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	out := decode(t, stdout)
	if out["verified"] != true || out["reason"] != "" || out["message"] != "" || out["backend"] != "process" || out["tee"] != "none" || out["measurement"] != ev.Measurement || out["hardwareSignatureChecked"] != false {
		t.Errorf("output %v", out)
	}
	if checks := strs(out["checks"]); !slices.Equal(checks, []string{"measurement", "nonce", "report-data", "backend", "tee", "measurement-allowed", "node-signature"}) {
		t.Errorf("checks %q", checks)
	}
	if len(strs(out["warnings"])) == 0 {
		t.Error("no warnings for process evidence")
	}

	code, stdout, stderr = run(t, "verify", "--json", "--policy", policy, "--nonce", "6f", evPath)
	if code != ExitError || !strings.Contains(stderr, "verification failed: nonce-mismatch: ") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	out = decode(t, stdout)
	if out["verified"] != false || out["reason"] != "nonce-mismatch" || !strings.Contains(out["message"].(string), "expected 6f") {
		t.Errorf("output %v", out)
	}
	if checks := strs(out["checks"]); !slices.Equal(checks, []string{"measurement"}) {
		t.Errorf("checks before the failure: %q", checks)
	}
}
