package tee

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/faketsm"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/enclave/tee/process"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/enclave/tee/tsm"
)

func fakeTSM(provider string) configfsi.Client {
	r := faketsm.ReportV7(0)
	base := r.ReadAttr
	r.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		if attr == "provider" {
			return []byte(provider + "\n"), nil
		}
		return base(e, attr)
	}
	return &faketsm.Client{Subsystems: map[string]configfsi.Client{"report": r}}
}

// fakeGramine makes root/dev/attestation with the given attestation type.
func fakeGramine(t *testing.T, root, attestationType string) {
	t.Helper()
	dir := filepath.Join(root, "dev", "attestation")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "attestation_type"), []byte(attestationType), 0o644)
	os.WriteFile(filepath.Join(dir, "user_report_data"), nil, 0o644)
}

// sgxHost makes root/dev/sgx_enclave and root/dev/sgx_provision.
func sgxHost(t *testing.T, root string) {
	t.Helper()
	os.MkdirAll(filepath.Join(root, "dev"), 0o755)
	for _, d := range []string{"sgx_enclave", "sgx_provision"} {
		if err := os.WriteFile(filepath.Join(root, "dev", d), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func withGramineTools(name string) (string, error) { return "/opt/gramine/bin/" + name, nil }

// bareEnv is a node with no TEE at all.
func bareEnv(t *testing.T) Env {
	dir := t.TempDir()
	return Env{
		TSMRoot:         filepath.Join(dir, "sys", "kernel", "config", "tsm"),
		AttestationRoot: filepath.Join(dir, "root"),
		NodeKey:         filepath.Join(dir, "var", "lib", "wasmtee", "node.key"),
		LookPath:        func(string) (string, error) { return "", errors.New("not found") },
	}
}

const noTSM = "does not exist: this is not a confidential VM with configfs-tsm (kernel 6.7+)"

func TestParseWant(t *testing.T) {
	tests := []struct {
		in       string
		name     string
		required bool
	}{
		{"", "auto", false},
		{"auto", "auto", false},
		{" auto ", "auto", false},
		{"none", "process", false},
		{"process", "process", false},
		{"tsm", "tsm", false},
		{"sgx", "sgx", false},
		{"require:tsm", "tsm", true},
		{"require:sgx", "sgx", true},
		{"require:auto", "auto", true},
		{"require:", "auto", true},
		{"require:none", "process", true},
	}
	for _, tt := range tests {
		name, req, err := ParseWant(tt.in)
		if err != nil || name != tt.name || req != tt.required {
			t.Errorf("ParseWant(%q) = %q, %v, %v; want %q, %v", tt.in, name, req, err, tt.name, tt.required)
		}
	}
	for _, bad := range []string{"tdx", "TSM", "require:tdx", "require:require:tsm", "sev-snp"} {
		if _, _, err := ParseWant(bad); err == nil || !strings.Contains(err.Error(), "want auto, process (or none), tsm or sgx") {
			t.Errorf("ParseWant(%q): %v", bad, err)
		}
		if _, _, err := Select(bad, bareEnv(t)); err == nil {
			t.Errorf("Select(%q) succeeded", bad)
		}
	}
}

func TestAutoPrefersTSM(t *testing.T) {
	env := bareEnv(t)
	env.TSMClient = fakeTSM("tdx_guest")
	fakeGramine(t, env.AttestationRoot, "dcap") // sgx too, but tsm wins
	p, c, err := Select("auto", env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*tsm.Producer); !ok {
		t.Fatalf("producer %T, want *tsm.Producer", p)
	}
	if c.Backend != "tsm" || c.TEE != "tdx" || c.Provider != "tdx_guest" || c.Fallback || c.Want != "auto" || c.ModuleHost != HostProcess {
		t.Errorf("choice %+v", c)
	}
	if !strings.Contains(c.Reason, "configfs-tsm provider tdx_guest") {
		t.Errorf("reason %q", c.Reason)
	}
	if _, err := os.Stat(env.NodeKey); !errors.Is(err, os.ErrNotExist) {
		t.Error("choosing tsm created the node key")
	}
}

func TestAutoSGX(t *testing.T) {
	env := bareEnv(t)
	fakeGramine(t, env.AttestationRoot, "dcap")
	p, c, err := Select("", env)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*sgx.Producer); !ok {
		t.Fatalf("producer %T, want *sgx.Producer", p)
	}
	if c.Backend != "sgx" || c.TEE != "sgx" || c.Provider != "" || c.ModuleHost != HostProcess {
		t.Errorf("choice %+v", c)
	}
	if !strings.Contains(c.Unavailable["tsm"], noTSM) {
		t.Errorf("unavailable tsm: %q", c.Unavailable["tsm"])
	}
}

func TestAutoUnknownProviderFallsThrough(t *testing.T) {
	env := bareEnv(t)
	env.TSMClient = fakeTSM("future_guest")
	_, c, err := Select("auto", env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Backend != "process" || !strings.Contains(c.Unavailable["tsm"], `"future_guest"`) {
		t.Errorf("choice %+v", c)
	}
}

func TestAutoProcess(t *testing.T) {
	env := bareEnv(t)
	p, c, err := Select("auto", env)
	if err != nil {
		t.Fatal(err)
	}
	pp, ok := p.(*process.Producer)
	if !ok {
		t.Fatalf("producer %T, want *process.Producer", p)
	}
	if c.Backend != "process" || c.TEE != "none" || c.Fallback || c.Required || c.ModuleHost != HostProcess {
		t.Errorf("choice %+v", c)
	}
	if !strings.Contains(c.Reason, "no TEE is available") {
		t.Errorf("reason %q", c.Reason)
	}
	if !strings.Contains(c.Unavailable["tsm"], noTSM) || !strings.Contains(c.Unavailable["sgx"], "/dev/attestation does not exist") {
		t.Errorf("unavailable %q", c.Unavailable)
	}
	// The node key was created where Env says, and the producer works.
	if err := process.CheckKeyFile(env.NodeKey); err != nil {
		t.Fatal(err)
	}
	e, err := evidence.Make(pp, evidence.Request{Launch: measure.Launch{Module: strings.Repeat("11", 32)}, Nonce: []byte("n")})
	if err != nil || e.Backend != "process" || e.NodeKey == nil {
		t.Errorf("evidence %+v, %v", e, err)
	}
}

func TestProcess(t *testing.T) {
	for _, want := range []string{"process", "none", "require:process"} {
		env := bareEnv(t)
		env.TSMClient = fakeTSM("tdx_guest") // present, but not asked for
		p, c, err := Select(want, env)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if _, ok := p.(*process.Producer); !ok || c.Backend != "process" || c.TEE != "none" || c.Fallback {
			t.Errorf("%s: %T %+v", want, p, c)
		}
		if !strings.Contains(c.Reason, "as asked") {
			t.Errorf("%s: reason %q", want, c.Reason)
		}
	}
}

func TestNamedTEE(t *testing.T) {
	env := bareEnv(t)
	env.TSMClient = fakeTSM("sev_guest")
	for _, want := range []string{"tsm", "require:tsm"} {
		p, c, err := Select(want, env)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if _, ok := p.(*tsm.Producer); !ok || c.TEE != "sev-snp" || c.Provider != "sev_guest" {
			t.Errorf("%s: %T %+v", want, p, c)
		}
	}
	env = bareEnv(t)
	fakeGramine(t, env.AttestationRoot, "dcap")
	for _, want := range []string{"sgx", "require:sgx"} {
		p, c, err := Select(want, env)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if _, ok := p.(*sgx.Producer); !ok || c.Backend != "sgx" {
			t.Errorf("%s: %T %+v", want, p, c)
		}
	}
}

func TestNamedTEEFallsBack(t *testing.T) {
	for _, want := range []string{"tsm", "sgx"} {
		env := bareEnv(t)
		p, c, err := Select(want, env)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if _, ok := p.(*process.Producer); !ok || c.Backend != "process" || !c.Fallback || c.Want != want {
			t.Errorf("%s: %T %+v", want, p, c)
		}
		if !strings.HasPrefix(c.Reason, "tee "+want+" is not available (") {
			t.Errorf("%s: reason %q", want, c.Reason)
		}
	}
}

func TestRequiredErrors(t *testing.T) {
	tests := []struct {
		name  string
		want  string
		setup func(t *testing.T, env *Env)
		err   string // the error, with ROOT and ATT for the env's roots
	}{
		{"tsm absent", "require:tsm", nil,
			"tee tsm required but ROOT/report " + noTSM},
		{"tsm unknown provider", "require:tsm", func(t *testing.T, env *Env) { env.TSMClient = fakeTSM("quantum_guest") },
			`tee tsm required but configfs-tsm provider "quantum_guest" is not one wasmtee knows`},
		{"sgx absent", "require:sgx", nil,
			"tee sgx required but this host cannot start Gramine SGX enclaves: /dev/sgx_enclave is missing"},
		{"sgx without gramine", "require:sgx", func(t *testing.T, env *Env) { sgxHost(t, env.AttestationRoot) },
			"tee sgx required but this host cannot start Gramine SGX enclaves: gramine-manifest, gramine-sgx-sign, gramine-sgx not on PATH"},
		{"sgx without attestation", "require:sgx", func(t *testing.T, env *Env) { fakeGramine(t, env.AttestationRoot, "none") },
			`tee sgx required but inside a Gramine enclave whose attestation type is "none", not "dcap"`},
		{"any TEE", "require:auto", nil,
			"a tee is required (require:auto) but none is available: tsm: ROOT/report " + noTSM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := bareEnv(t)
			if tt.setup != nil {
				tt.setup(t, &env)
			}
			want := strings.ReplaceAll(tt.err, "ROOT", env.TSMRoot)
			p, c, err := Select(tt.want, env)
			if err == nil {
				t.Fatalf("Select(%q) = %T, %+v", tt.want, p, c)
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error\n%s\nwant prefix\n%s", err, want)
			}
			var ue *UnavailableError
			if !errors.As(err, &ue) {
				t.Errorf("error is a %T, not *UnavailableError", err)
			}
			if _, err := os.Stat(env.NodeKey); !errors.Is(err, os.ErrNotExist) {
				t.Error("a failed selection created the node key")
			}
			if _, derr := Decide(tt.want, env); derr == nil || derr.Error() != err.Error() {
				t.Errorf("Decide: %v", derr)
			}
		})
	}
	// require:auto names sgx's reason too.
	_, _, err := Select("require:auto", bareEnv(t))
	if err == nil || !strings.Contains(err.Error(), "; sgx: /dev/attestation does not exist") {
		t.Errorf("require:auto: %v", err)
	}
}

func TestRequireAutoWithTEE(t *testing.T) {
	env := bareEnv(t)
	fakeGramine(t, env.AttestationRoot, "dcap")
	_, c, err := Select("require:auto", env)
	if err != nil || c.Backend != "sgx" || !c.Required {
		t.Errorf("%+v %v", c, err)
	}
}

func TestDecideDoesNotCreateKey(t *testing.T) {
	env := bareEnv(t)
	c, err := Decide("auto", env)
	if err != nil || c.Backend != "process" {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := os.Stat(env.NodeKey); !errors.Is(err, os.ErrNotExist) {
		t.Error("Decide created the node key")
	}
}

func TestSelectUnsafeNodeKey(t *testing.T) {
	env := bareEnv(t)
	os.MkdirAll(filepath.Dir(env.NodeKey), 0o700)
	os.WriteFile(env.NodeKey, make([]byte, 32), 0o644)
	os.Chmod(env.NodeKey, 0o644)
	_, _, err := Select("process", env)
	if err == nil || !strings.Contains(err.Error(), "accessible by group or others") {
		t.Errorf("Select with a world-readable key: %v", err)
	}
}

// TestSGXQuoteThroughSelect checks the sgx producer Select returns talks
// to the attestation root it was given.
func TestSGXQuoteThroughSelect(t *testing.T) {
	env := bareEnv(t)
	fakeGramine(t, env.AttestationRoot, "dcap")
	var rd [64]byte
	rd[0] = 42
	q := make([]byte, 48+384)
	binary.LittleEndian.PutUint16(q, 3)
	copy(q[48+320:], rd[:])
	os.WriteFile(filepath.Join(env.AttestationRoot, "dev", "attestation", "quote"), q, 0o644)
	p, _, err := Select("sgx", env)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := p.Quote(rd); err != nil {
		t.Fatal(err)
	}
}

// auto never starts enclaves, so it does not look for Gramine's tools;
// asking for sgx does.
func TestAutoDoesNotLookForGramine(t *testing.T) {
	env := bareEnv(t)
	sgxHost(t, env.AttestationRoot)
	var asked []string
	env.LookPath = func(name string) (string, error) {
		asked = append(asked, name)
		return withGramineTools(name)
	}
	for _, want := range []string{"auto", "require:auto", "process"} {
		Decide(want, env)
	}
	if asked != nil {
		t.Errorf("auto and process looked up %q", asked)
	}
	c, err := Decide("auto", env)
	if err != nil || !strings.Contains(c.Unavailable["sgx"], "auto never starts enclaves") {
		t.Errorf("auto: %q %v", c.Unavailable["sgx"], err)
	}
	if c, err := Decide("sgx", env); err != nil || c.ModuleHost != HostSGXEnclave || len(asked) != 3 {
		t.Errorf("sgx: %+v %v, looked up %q", c, err, asked)
	}
}

// TestSGXHost: on a host that can start Gramine SGX enclaves, asking for
// sgx gives a choice whose module host runs in an enclave, with no
// producer in the shim (the host makes the evidence there);
// auto and require:auto never start enclaves.
func TestSGXHost(t *testing.T) {
	env := bareEnv(t)
	sgxHost(t, env.AttestationRoot)
	env.LookPath = withGramineTools
	for _, want := range []string{"sgx", "require:sgx"} {
		p, c, err := Select(want, env)
		if err != nil {
			t.Fatalf("%s: %v", want, err)
		}
		if p != nil || c.ModuleHost != HostSGXEnclave || c.Backend != "sgx" || c.TEE != "sgx" || c.Fallback {
			t.Errorf("%s: %T %+v", want, p, c)
		}
		if !strings.Contains(c.Reason, "Gramine SGX enclave of its own") {
			t.Errorf("%s: reason %q", want, c.Reason)
		}
	}
	if _, c, err := Select("auto", env); err != nil || c.Backend != "process" || c.ModuleHost != HostProcess {
		t.Errorf("auto: %+v %v", c, err)
	}
	if _, _, err := Select("require:auto", env); err == nil {
		t.Error("require:auto chose an enclave launch")
	}
	// The provisioning device is needed for quotes.
	os.Remove(filepath.Join(env.AttestationRoot, "dev", "sgx_provision"))
	if _, _, err := Select("require:sgx", env); err == nil || !strings.Contains(err.Error(), "/dev/sgx_provision is missing") {
		t.Errorf("without sgx_provision: %v", err)
	}
}
