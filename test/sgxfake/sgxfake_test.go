package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/enclave/verify"
	"github.com/wasmtee/wasmtee/test/sgxfakebin"
)

// helperEnv makes the test binary, run as the fake enclave's entrypoint,
// report what it sees instead of running tests.
const helperEnv = "SGXFAKE_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helper())
	}
	code := m.Run()
	sgxfakebin.Cleanup()
	os.Exit(code)
}

// helperReport is what the entrypoint saw.
type helperReport struct {
	Args     []string `json:"args"`
	Env      []string `json:"env"`
	FDs      []string `json:"fds"`
	Files    []string `json:"files"` // below /wasmtee
	Evidence []byte   `json:"evidence"`
	Error    string   `json:"error,omitempty"`
}

var testNonce = []byte("sgxfake test nonce")

var testLaunch = measure.Launch{Module: strings.Repeat("ab", 32), Entry: "_start", Args: []string{"/app.wasm"}}

// helper runs inside the fake enclave: it lists its file descriptors and
// its view of /wasmtee, and makes evidence through /dev/attestation with
// the sgx backend's producer.
func helper() int {
	var r helperReport
	r.Args, r.Env = os.Args, os.Environ()
	sort.Strings(r.Env)
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		// Not the Go runtime's own poller, nor the directory just read.
		l, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || l == "anon_inode:[eventpoll]" || l == "anon_inode:[eventfd]" {
			continue
		}
		r.FDs = append(r.FDs, e.Name())
	}
	filepath.WalkDir("/wasmtee", func(p string, d os.DirEntry, err error) error {
		if err == nil {
			r.Files = append(r.Files, p)
		}
		return nil
	})
	p, err := sgx.New("")
	if err == nil {
		var ev *evidence.Evidence
		if ev, err = evidence.Make(p, evidence.Request{Launch: testLaunch, Nonce: testNonce}); err == nil {
			// Twice: the second quote must carry its own report data.
			if _, err = evidence.Make(p, evidence.Request{Launch: testLaunch, Nonce: []byte("other")}); err == nil {
				r.Evidence, err = json.Marshal(ev)
			}
		}
	}
	if err != nil {
		r.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

// fakeHome installs the fake (built once) in a new home and initializes
// it: the fake's home is the parent of its binary's directory, so each
// test has its own copy (a hard link).
func fakeHome(t *testing.T) string {
	t.Helper()
	h := t.TempDir()
	exe := filepath.Join(h, "bin", "sgxfake")
	if err := sgxfakebin.Install(exe); err != nil {
		t.Fatalf("installing the fake in its home: %v", err)
	}
	if out, err := exec.Command(exe, "init", h).CombinedOutput(); err != nil {
		t.Fatalf("sgxfake init: %v\n%s", err, out)
	}
	// A user namespace is needed to run enclaves.
	if err := exec.Command("unshare", "--user", "true").Run(); err != nil {
		t.Skipf("no unprivileged user namespaces here: %v", err)
	}
	return h
}

type enclaveFixture struct {
	home, dir, key string
	entry          string
	opts           sgx.ManifestOptions
	files          sgx.Files
}

func newEnclave(t *testing.T) *enclaveFixture {
	t.Helper()
	f := &enclaveFixture{home: fakeHome(t), dir: t.TempDir()}
	f.key = filepath.Join(t.TempDir(), "key.pem")
	if _, _, err := sgx.EnsureSigningKey(f.key); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(f.dir, "module.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(filepath.Join(data, "sub"), 0o755)
	os.Symlink(data, filepath.Join(f.dir, "data-link"))
	f.files = sgx.Files{Dir: f.dir, Name: "module-host"}
	f.opts = sgx.ManifestOptions{
		HostBinary:  self,
		Argv:        []string{"wasmtee-module-host", "-test.run=^$"},
		Module:      "module.wasm",
		Dir:         f.dir,
		Preopens:    []sgx.Preopen{{Host: "data-link", Guest: "/data"}},
		Libraries:   []string{},
		Passthrough: []string{"PASSED"},
		LogFile:     "gramine.log",
	}
	return f
}

// tool runs one of the fake's tools in the enclave directory.
func (f *enclaveFixture) tool(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(f.home, "bin", args[0]), args[1:]...)
	cmd.Dir = f.dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (f *enclaveFixture) build(t *testing.T) {
	t.Helper()
	if err := f.files.WriteTemplate(f.opts); err != nil {
		t.Fatal(err)
	}
	// The helper's environment variable, as a fixed value in the manifest.
	tmpl, _ := os.ReadFile(f.files.Template())
	os.WriteFile(f.files.Template(), append(tmpl, []byte("\nloader.env."+helperEnv+" = \"1\"\n")...), 0o644)
	if out, err := f.tool(t, nil, "gramine-manifest", f.files.Template(), f.files.Manifest()); err != nil {
		t.Fatalf("gramine-manifest: %v\n%s", err, out)
	}
	if out, err := f.tool(t, nil, "gramine-sgx-sign", "--manifest", f.files.Manifest(), "--output", f.files.SGXManifest(), "--key", f.key); err != nil {
		t.Fatalf("gramine-sgx-sign: %v\n%s", err, out)
	}
}

func TestEnclave(t *testing.T) {
	f := newEnclave(t)
	f.build(t)
	out, err := f.tool(t, []string{"PASSED=through", "NOTDECLARED=x"}, "gramine-sgx", "module-host")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(f.dir, "gramine.log"))
		t.Fatalf("gramine-sgx: %v\n%s\nlog:\n%s", err, out, log)
	}
	var r helperReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("helper output: %v\n%s", err, out)
	}
	if r.Error != "" {
		t.Fatalf("helper: %s", r.Error)
	}
	if want := []string{sgx.DefaultHostPath, "-test.run=^$"}; fmt.Sprint(r.Args) != fmt.Sprint(want) {
		t.Errorf("args %q, want %q", r.Args, want)
	}
	wantEnv := []string{"LD_LIBRARY_PATH=/lib", "PASSED=through", "RUST_BACKTRACE=0", helperEnv + "=1"}
	sort.Strings(wantEnv)
	if fmt.Sprint(r.Env) != fmt.Sprint(wantEnv) {
		t.Errorf("env %q, want %q", r.Env, wantEnv)
	}
	if fmt.Sprint(r.FDs) != "[0 1 2]" {
		t.Errorf("open fds %q: only 0-2 may reach the entrypoint", r.FDs)
	}
	for _, want := range []string{sgx.DefaultHostPath, sgx.DefaultModulePath, "/wasmtee/preopens/data/sub"} {
		found := false
		for _, p := range r.Files {
			found = found || p == want
		}
		if !found {
			t.Errorf("%s is not in the enclave: %q", want, r.Files)
		}
	}

	ev, err := evidence.Parse(r.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.ReadFile(rootCertPath(f.home))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(root)
	key, err := sgx.LoadSigningKey(f.key)
	if err != nil {
		t.Fatal(err)
	}
	signer := sgx.MRSigner(&key.PublicKey)
	sgxManifest, _ := os.ReadFile(f.files.SGXManifest())
	mre := mrEnclave(sgxManifest)
	pol := &verify.Policy{AllowAnyMeasurement: true, Backends: []string{"sgx"}, TEEs: []string{"sgx"},
		SGX: &verify.SGXPolicy{MrSigner: []string{hex.EncodeToString(signer[:])}, MrEnclave: []string{hex.EncodeToString(mre[:])}}}
	res, err := verify.Evidence(ev, pol, verify.Options{Nonce: testNonce, SGXRoots: roots})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !res.HardwareSignatureChecked {
		t.Errorf("result %+v", res)
	}
	// The module is in MRENCLAVE: its hash is in the signed manifest.
	sum := sha256.Sum256([]byte("\x00asm\x01\x00\x00\x00"))
	if !bytes.Contains(sgxManifest, []byte(hex.EncodeToString(sum[:]))) {
		t.Error("the signed manifest does not pin the module")
	}
	if _, err := os.Stat(filepath.Join(f.dir, "module-host.sig")); err != nil {
		t.Error(err)
	}
}

func TestEnclaveRefusals(t *testing.T) {
	f := newEnclave(t)
	run := func() string {
		t.Helper()
		os.Remove(filepath.Join(f.dir, "gramine.log"))
		out, err := f.tool(t, nil, "gramine-sgx", "module-host")
		if err == nil {
			t.Fatalf("gramine-sgx ran:\n%s", out)
		}
		log, _ := os.ReadFile(filepath.Join(f.dir, "gramine.log"))
		return string(log)
	}

	t.Run("trusted file changed after signing", func(t *testing.T) {
		f.build(t)
		os.WriteFile(filepath.Join(f.dir, "module.wasm"), []byte("\x00asm\x01\x00\x00\x00\x01"), 0o644)
		if log := run(); !strings.Contains(log, "trusted file file:module.wasm: hash mismatch") {
			t.Errorf("log: %s", log)
		}
		os.WriteFile(filepath.Join(f.dir, "module.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	})
	t.Run("tamper switch", func(t *testing.T) {
		os.WriteFile(tamperSwitch(f.home), []byte("module.wasm"), 0o644)
		f.build(t)
		if _, err := os.Stat(tamperSwitch(f.home)); err == nil {
			t.Error("the switch was not consumed")
		}
		if log := run(); !strings.Contains(log, "hash mismatch") {
			t.Errorf("log: %s", log)
		}
		os.WriteFile(filepath.Join(f.dir, "module.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	})
	t.Run("manifest changed after signing", func(t *testing.T) {
		f.build(t)
		m, _ := os.ReadFile(f.files.SGXManifest())
		os.WriteFile(f.files.SGXManifest(), append(m, []byte("\n# changed\n")...), 0o644)
		if log := run(); !strings.Contains(log, "the manifest changed after signing") {
			t.Errorf("log: %s", log)
		}
	})
	t.Run("signature", func(t *testing.T) {
		f.build(t)
		sig, _ := os.ReadFile(f.files.Sig())
		sig[sigOffEnclaveHsh] ^= 1
		os.WriteFile(f.files.Sig(), sig, 0o644)
		if log := run(); !strings.Contains(log, "SIGSTRUCT signature") {
			t.Errorf("log: %s", log)
		}
	})
}

func TestSignRefusesKeys(t *testing.T) {
	f := newEnclave(t)
	if err := f.files.WriteTemplate(f.opts); err != nil {
		t.Fatal(err)
	}
	if out, err := f.tool(t, nil, "gramine-manifest", f.files.Template(), f.files.Manifest()); err != nil {
		t.Fatalf("gramine-manifest: %v\n%s", err, out)
	}
	// An RSA-3072 key with exponent 65537, as openssl or crypto/rsa make.
	other := filepath.Join(t.TempDir(), "other.pem")
	out, err := exec.Command("openssl", "genrsa", "-out", other, "3072").CombinedOutput()
	if err != nil {
		t.Skipf("openssl: %v %s", err, out)
	}
	out2, err := f.tool(t, nil, "gramine-sgx-sign", "--manifest", f.files.Manifest(), "--output", f.files.SGXManifest(), "--key", other)
	if err == nil || !strings.Contains(out2, "exponent 3") {
		t.Errorf("sign with exponent 65537: %v\n%s", err, out2)
	}
}

func TestRenderRefusesUnknownJinja(t *testing.T) {
	if _, err := render("a = \"{{ gramine.libos }}\"\nb = \"{{ env.HOME }}\"\n", "/h"); err == nil || !strings.Contains(err.Error(), "env.HOME") {
		t.Errorf("render: %v", err)
	}
	out, err := render("a = \"{{ gramine.libos }}\"\n", "/h")
	if err != nil || out != "a = \"/h/runtime/libsysdb.so\"\n" {
		t.Errorf("render: %q %v", out, err)
	}
}

func TestSigStruct(t *testing.T) {
	k, err := sgx.GenerateSigningKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.Sum256([]byte("enclave"))
	s, err := makeSigStruct(k, hash, true, 7, 9, mustDate(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := checkSigStruct(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.hash != hash || got.mrSigner != sgx.MRSigner(&k.PublicKey) || !got.debug || got.prodID != 7 || got.svn != 9 {
		t.Errorf("%+v", got)
	}
	// DATE is BCD.
	if d := s[sigOffDate : sigOffDate+4]; d[0] != 0x29 || d[1] != 0x02 || d[2] != 0x24 || d[3] != 0x20 {
		t.Errorf("date % x", d)
	}
}

func mustDate(t *testing.T) time.Time {
	t.Helper()
	return time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
}
