package verify

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// testLaunch is a launch configuration with every measured field set.
func testLaunch() measure.Launch {
	sum := sha256.Sum256([]byte("\x00asm\x01\x00\x00\x00"))
	return measure.Launch{
		Module:      hex.EncodeToString(sum[:]),
		Entry:       "_start",
		Args:        []string{"hello.wasm", "--greeting", "hi"},
		Env:         []string{"LANG=C"},
		Preopens:    []measure.Preopen{{Guest: "/data", ReadOnly: true}},
		MemoryLimit: 64 << 20,
	}
}

var testNonce = []byte("verifier challenge 0123456789abcdef")

// nodeProducer is the process backend as the shim would be: it signs the
// report data with a node key.
type nodeProducer struct{ key ed25519.PrivateKey }

func newNodeProducer(t *testing.T) *nodeProducer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &nodeProducer{key: priv}
}

func (p *nodeProducer) Backend() string { return evidence.BackendProcess }
func (p *nodeProducer) TEE() string     { return evidence.TEENone }
func (p *nodeProducer) Quote(rd [64]byte) ([]byte, string, [][]byte, error) {
	return ed25519.Sign(p.key, evidence.SignedMessage(rd)), "", nil, nil
}
func (p *nodeProducer) PublicKey() ed25519.PublicKey { return p.key.Public().(ed25519.PublicKey) }

// fakeProducer returns whatever quote its function makes from the report
// data, as a hardware backend.
type fakeProducer struct {
	backend, tee, provider string
	quote                  func(rd [64]byte) []byte
	certs                  [][]byte
}

func (p *fakeProducer) Backend() string { return p.backend }
func (p *fakeProducer) TEE() string     { return p.tee }
func (p *fakeProducer) Quote(rd [64]byte) ([]byte, string, [][]byte, error) {
	return p.quote(rd), p.provider, p.certs, nil
}

// makeEvidence makes evidence for testLaunch with testNonce and a module
// public key.
func makeEvidence(t *testing.T, p evidence.Producer) *evidence.Evidence {
	t.Helper()
	ev, err := evidence.Make(p, evidence.Request{Launch: testLaunch(), Nonce: testNonce, PublicKey: []byte("module public key")})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func mustReportData(t *testing.T, ev *evidence.Evidence) [64]byte {
	t.Helper()
	b, err := hex.DecodeString(ev.ReportData)
	if err != nil || len(b) != 64 {
		t.Fatalf("report data %q", ev.ReportData)
	}
	return [64]byte(b)
}

// checkOutcome fails t unless err has reason want ("" for success), and
// on success that res is complete.
func checkOutcome(t *testing.T, res *Result, err error, want Reason) {
	t.Helper()
	if res == nil {
		t.Fatal("nil result")
	}
	if got := ReasonOf(err); got != want {
		t.Fatalf("reason %q (error %v), want %q", got, err, want)
	}
	if err != nil && want != "" && !errors.Is(err, &Error{Reason: want}) {
		t.Errorf("errors.Is(%v, %s) is false", err, want)
	}
}
