package sgx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// fakeGramine makes root/dev/attestation like Gramine's pseudo-file system,
// with regular files. quote may be nil (no quote file).
func fakeGramine(t *testing.T, attestationType string, quote []byte) (root, dir string) {
	t.Helper()
	root = t.TempDir()
	dir = filepath.Join(root, "dev", "attestation")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("attestation_type", []byte(attestationType))
	write("user_report_data", make([]byte, 64))
	if quote != nil {
		write("quote", quote)
	}
	return root, dir
}

// fakeQuote is a DCAP quote of the given version carrying rd, followed by
// some signature bytes.
func fakeQuote(version uint16, rd [64]byte) []byte {
	start := 48
	if version == 5 {
		start += 6
	}
	q := make([]byte, start+384+100)
	binary.LittleEndian.PutUint16(q, version)
	copy(q[start+320:], rd[:])
	for i := start + 384; i < len(q); i++ {
		q[i] = 0xee
	}
	return q
}

func testRD() [64]byte {
	var rd [64]byte
	for i := range rd {
		rd[i] = byte(200 - i)
	}
	return rd
}

func TestProducerQuote(t *testing.T) {
	rd := testRD()
	for _, v := range []uint16{3, 4, 5} {
		want := fakeQuote(v, rd)
		root, dir := fakeGramine(t, "dcap", want)
		p, err := New(root)
		if err != nil {
			t.Fatal(err)
		}
		if p.Backend() != "sgx" || p.TEE() != "sgx" {
			t.Errorf("backend %q tee %q", p.Backend(), p.TEE())
		}
		quote, provider, certs, err := p.Quote(rd)
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if !bytes.Equal(quote, want) || provider != "" || certs != nil {
			t.Errorf("v%d: Quote = %d bytes, %q, %v", v, len(quote), provider, certs)
		}
		written, _ := os.ReadFile(filepath.Join(dir, "user_report_data"))
		if !bytes.Equal(written, rd[:]) {
			t.Errorf("v%d: user_report_data holds %x, want %x", v, written, rd)
		}
	}
}

func TestProducerEvidence(t *testing.T) {
	launch := measure.Launch{Module: strings.Repeat("cd", 32), Entry: "_start", Args: []string{"m.wasm"}}
	nonce := []byte("verifier nonce")
	l := launch
	l.Backend = "sgx"
	m, _ := measure.Measure(l)
	rd := measure.ReportData(m, nonce, nil)
	root, _ := fakeGramine(t, "dcap", fakeQuote(3, rd))
	p, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	e, err := evidence.Make(p, evidence.Request{Launch: launch, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	if e.Backend != "sgx" || e.TEE != "sgx" || e.Provider != "" || e.NodeKey != nil {
		t.Errorf("evidence %+v", e)
	}
}

func TestProducerErrors(t *testing.T) {
	rd := testRD()
	t.Run("attestation none", func(t *testing.T) {
		root, _ := fakeGramine(t, "none", fakeQuote(3, rd))
		_, err := New(root)
		if err == nil || !strings.Contains(err.Error(), `attestation_type is "none"`) || !strings.Contains(err.Error(), `sgx.remote_attestation = "dcap"`) {
			t.Errorf("New: %v", err)
		}
	})
	t.Run("attestation epid", func(t *testing.T) {
		root, _ := fakeGramine(t, "epid\n", fakeQuote(3, rd))
		if _, err := New(root); err == nil || !strings.Contains(err.Error(), "epid") {
			t.Errorf("New: %v", err)
		}
	})
	t.Run("not in gramine", func(t *testing.T) {
		_, err := New(t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "not running inside a Gramine SGX enclave") {
			t.Errorf("New: %v", err)
		}
	})
	t.Run("no attestation_type", func(t *testing.T) {
		root, dir := fakeGramine(t, "dcap", fakeQuote(3, rd))
		os.Remove(filepath.Join(dir, "attestation_type"))
		if _, err := New(root); err == nil || !strings.Contains(err.Error(), "attestation_type does not exist") {
			t.Errorf("New: %v", err)
		}
	})
	t.Run("no quote file", func(t *testing.T) {
		root, _ := fakeGramine(t, "dcap", nil)
		p, err := New(root)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := p.Quote(rd); err == nil || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Quote: %v", err)
		}
	})
	t.Run("no user_report_data", func(t *testing.T) {
		root, dir := fakeGramine(t, "dcap", fakeQuote(3, rd))
		os.Remove(filepath.Join(dir, "user_report_data"))
		p, err := New(root)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := p.Quote(rd); err == nil || !strings.Contains(err.Error(), "write report data") {
			t.Errorf("Quote: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "user_report_data")); err == nil {
			t.Error("Quote created user_report_data")
		}
	})
	t.Run("stale quote", func(t *testing.T) {
		other := rd
		other[5] ^= 0xff
		root, _ := fakeGramine(t, "dcap", fakeQuote(3, other))
		p, _ := New(root)
		if _, _, _, err := p.Quote(rd); err == nil || !strings.Contains(err.Error(), "does not carry the report data") {
			t.Errorf("Quote: %v", err)
		}
	})
	t.Run("short quote", func(t *testing.T) {
		root, _ := fakeGramine(t, "dcap", []byte{3, 0, 1, 2})
		p, _ := New(root)
		if _, _, _, err := p.Quote(rd); err == nil || !strings.Contains(err.Error(), "too short") {
			t.Errorf("Quote: %v", err)
		}
	})
	t.Run("not a quote", func(t *testing.T) {
		root, _ := fakeGramine(t, "dcap", []byte("this is not a quote at all, it is text"))
		p, _ := New(root)
		if _, _, _, err := p.Quote(rd); err == nil || !strings.Contains(err.Error(), "not an SGX DCAP quote") {
			t.Errorf("Quote: %v", err)
		}
	})
	t.Run("attestation disabled after New", func(t *testing.T) {
		root, dir := fakeGramine(t, "dcap", fakeQuote(3, rd))
		p, _ := New(root)
		os.WriteFile(filepath.Join(dir, "attestation_type"), []byte("none"), 0o644)
		if _, _, _, err := p.Quote(rd); err == nil || !strings.Contains(err.Error(), `"none"`) {
			t.Errorf("Quote: %v", err)
		}
	})
}

// sgxHostRoot is a node root with the SGX devices.
func sgxHostRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "dev"), 0o755)
	for _, d := range []string{"sgx_enclave", "sgx_provision"} {
		if err := os.WriteFile(filepath.Join(root, "dev", d), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestProbe(t *testing.T) {
	// A plain machine.
	s := Probe(t.TempDir())
	if s != (Status{}) {
		t.Errorf("empty root: %+v", s)
	}
	ok, why := s.Available()
	if ok || why != "/dev/attestation does not exist: this process is not running inside a Gramine SGX enclave" {
		t.Errorf("Available: %v %q", ok, why)
	}

	// An SGX host: the host's side is CanLaunch's to describe, not
	// Available's.
	s = Probe(sgxHostRoot(t))
	if !s.Enclave || !s.Provision || s.InEnclave {
		t.Errorf("SGX host: %+v", s)
	}
	if ok, why := s.Available(); ok || strings.Contains(why, "host") {
		t.Errorf("SGX host Available: %v %q", ok, why)
	}

	// Inside an enclave.
	root, _ := fakeGramine(t, "dcap", nil)
	s = Probe(root)
	if !s.InEnclave || s.AttestationType != "dcap" {
		t.Errorf("enclave: %+v", s)
	}
	if ok, _ := s.Available(); !ok {
		t.Error("enclave with dcap is not available")
	}
	root, _ = fakeGramine(t, "none", nil)
	if ok, why := Probe(root).Available(); ok || !strings.Contains(why, `"none"`) {
		t.Errorf("enclave without attestation: %v %q", ok, why)
	}
}

func TestCanLaunch(t *testing.T) {
	root := sgxHostRoot(t)
	all := func(name string) (string, error) { return "/opt/gramine/bin/" + name, nil }
	if ok, why := Probe(root).CanLaunch(FindTools(all)); !ok || !strings.Contains(why, "/opt/gramine/bin/gramine-sgx") {
		t.Errorf("CanLaunch: %v %q", ok, why)
	}
	if ok, why := Probe(root).CanLaunch(Tools{}); ok || !strings.Contains(why, "gramine-manifest, gramine-sgx-sign, gramine-sgx not on PATH (Gramine is not installed)") {
		t.Errorf("without Gramine: %v %q", ok, why)
	}
	if ok, why := Probe(t.TempDir()).CanLaunch(FindTools(all)); ok || !strings.Contains(why, "/dev/sgx_enclave is missing") || !strings.Contains(why, "/dev/sgx_provision is missing") {
		t.Errorf("without devices: %v %q", ok, why)
	}
}

// With gramine-sgx on PATH but not gramine-sgx-sign, enclaves cannot start,
// and nothing says they can (Status.Host used to, checking gramine-sgx
// only).
func TestCanLaunchWithoutSign(t *testing.T) {
	noSign := func(name string) (string, error) {
		if name == signTool {
			return "", errors.New("not found")
		}
		return "/usr/bin/" + name, nil
	}
	s := Probe(sgxHostRoot(t))
	launch, launchWhy := s.CanLaunch(FindTools(noSign))
	if launch || strings.Contains(launchWhy, "can start") || !strings.Contains(launchWhy, "gramine-sgx-sign not on PATH (Gramine is installed only in part)") {
		t.Errorf("CanLaunch: %v %q", launch, launchWhy)
	}
	if _, why := s.Available(); strings.Contains(why, "can start") {
		t.Errorf("Available says %q", why)
	}
}
