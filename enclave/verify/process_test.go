package verify

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

func TestProcessEvidence(t *testing.T) {
	node := newNodeProducer(t)
	otherKey, _, _ := ed25519.GenerateKey(rand.Reader)
	m, err := measure.Measure(func() measure.Launch { l := testLaunch(); l.Backend = evidence.BackendProcess; return l }())
	if err != nil {
		t.Fatal(err)
	}
	basePolicy := func() *Policy {
		return &Policy{
			Measurements: []string{m.String()},
			Backends:     []string{evidence.BackendProcess},
			TEEs:         []string{evidence.TEENone},
		}
	}
	tests := []struct {
		name   string
		mutate func(ev *evidence.Evidence, pol *Policy, opts *Options)
		want   Reason
		checks []string // must be among the passed checks
	}{
		{"verified", nil, "", []string{"measurement", "nonce", "report-data", "backend", "tee", "measurement-allowed", "node-signature"}},
		{"policy nonce", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			opts.Nonce = nil
			pol.Nonce = hex.EncodeToString(testNonce)
		}, "", []string{"nonce"}},
		{"pinned node key", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.NodeKeys = []string{base64.StdEncoding.EncodeToString(otherKey), base64.StdEncoding.EncodeToString(node.PublicKey())}
		}, "", []string{"node-key-pinned"}},
		{"any measurement", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.Measurements, pol.AllowAnyMeasurement = nil, true
		}, "", []string{"node-signature"}},

		{"policy without none", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.TEEs = []string{evidence.TEETDX, evidence.TEESNP}
		}, ReasonTEENotAllowed, nil},
		{"backend not allowed", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.Backends = []string{evidence.BackendTSM}
		}, ReasonBackendNotAllowed, nil},
		{"flipped signature byte", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Quote[10] ^= 1
		}, ReasonSignatureInvalid, nil},
		{"truncated signature", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Quote = ev.Quote[:63]
		}, ReasonSignatureInvalid, nil},
		{"signature by another key", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.NodeKey = otherKey
		}, ReasonSignatureInvalid, nil},
		{"no node key", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.NodeKey = nil
		}, ReasonSignatureInvalid, nil},
		{"wrong nonce", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			opts.Nonce = []byte("another challenge")
		}, ReasonNonceMismatch, nil},
		{"no expected nonce", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			opts.Nonce = nil
		}, ReasonNonceRequired, nil},
		{"nonce in evidence replaced", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Nonce = hex.EncodeToString([]byte("another challenge"))
			opts.Nonce = []byte("another challenge")
		}, ReasonReportDataMismatch, nil},
		{"tampered launch arg", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Launch.Args[1] = "--evil"
		}, ReasonMeasurementMismatch, nil},
		{"tampered preopen mode", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Launch.Preopens[0].ReadOnly = false
		}, ReasonMeasurementMismatch, nil},
		{"launch measured for another backend", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Launch.Backend = evidence.BackendTSM
		}, ReasonMeasurementMismatch, nil},
		{"tampered launch and measurement", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Launch.Env = append(ev.Launch.Env, "DEBUG=1")
			m2, _ := measure.Measure(ev.Launch)
			ev.Measurement = m2.String()
		}, ReasonReportDataMismatch, nil},
		{"measurement not allowed", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.Measurements = []string{strings.Repeat("ab", 32)}
		}, ReasonMeasurementNotAllowed, nil},
		{"wrong pinned node key", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.NodeKeys = []string{base64.StdEncoding.EncodeToString(otherKey)}
		}, ReasonNodeKeyNotAllowed, []string{"node-signature"}},
		{"report data edited", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			rd := mustReportData(t, ev)
			rd[0] ^= 0x80
			ev.ReportData = hex.EncodeToString(rd[:])
		}, ReasonReportDataMismatch, nil},
		{"report data edited and re-signed by another node", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pub, priv, _ := ed25519.GenerateKey(rand.Reader)
			ev.PublicKey = []byte("attacker key")
			rd := measure.ReportData(m, testNonce, ev.PublicKey)
			ev.ReportData = hex.EncodeToString(rd[:])
			ev.Quote = ed25519.Sign(priv, evidence.SignedMessage(rd))
			ev.NodeKey = pub
			pol.NodeKeys = []string{base64.StdEncoding.EncodeToString(node.PublicKey())}
		}, ReasonNodeKeyNotAllowed, nil},
		{"public key swapped", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.PublicKey = []byte("attacker key")
		}, ReasonReportDataMismatch, nil},
		{"process backend claiming tdx", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.TEE = evidence.TEETDX
			pol.TEEs = []string{evidence.TEENone, evidence.TEETDX}
		}, ReasonEvidenceInvalid, nil},
		{"unknown version", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.Version = 2
		}, ReasonEvidenceInvalid, nil},
		{"malformed report data", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			ev.ReportData = "zz"
		}, ReasonEvidenceInvalid, nil},
		{"invalid policy", func(ev *evidence.Evidence, pol *Policy, opts *Options) {
			pol.Measurements = nil
		}, ReasonPolicyInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := makeEvidence(t, node)
			pol := basePolicy()
			opts := Options{Nonce: testNonce}
			if tt.mutate != nil {
				tt.mutate(ev, pol, &opts)
			}
			res, err := Evidence(ev, pol, opts)
			checkOutcome(t, res, err, tt.want)
			t.Logf("error: %v", err)
			for _, c := range tt.checks {
				if !slices.Contains(res.Checks, c) {
					t.Errorf("checks %v lack %q", res.Checks, c)
				}
			}
			if tt.want == "" {
				if res.HardwareSignatureChecked {
					t.Error("process evidence reported a hardware signature")
				}
				if res.Backend != evidence.BackendProcess || res.TEE != evidence.TEENone || res.Measurement != m.String() {
					t.Errorf("result %+v", res)
				}
				if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "no hardware TEE") }) {
					t.Errorf("warnings %q lack the no-hardware warning", res.Warnings)
				}
			}
		})
	}
}

func TestErrorsIs(t *testing.T) {
	err := error(fail(ReasonNonceMismatch, nil, "x"))
	if !errors.Is(err, ErrNonceMismatch) || errors.Is(err, ErrMeasurementMismatch) {
		t.Error("errors.Is does not match on the reason")
	}
	if ReasonOf(errors.New("other")) != "" || ReasonOf(nil) != "" {
		t.Error("ReasonOf of a non-verification error")
	}
	if got := err.Error(); got != "nonce-mismatch: x" {
		t.Errorf("Error() = %q", got)
	}
}

func TestNilInputs(t *testing.T) {
	res, err := Evidence(nil, &Policy{}, Options{})
	checkOutcome(t, res, err, ReasonEvidenceInvalid)
	res, err = Evidence(makeEvidence(t, newNodeProducer(t)), nil, Options{Nonce: testNonce})
	checkOutcome(t, res, err, ReasonPolicyInvalid)
}

func TestUnsupportedCCA(t *testing.T) {
	p := &fakeProducer{backend: evidence.BackendTSM, tee: evidence.TEECCA, provider: "arm_cca_guest", quote: func(rd [64]byte) []byte { return rd[:] }}
	ev := makeEvidence(t, p)
	pol := &Policy{AllowAnyMeasurement: true, Backends: []string{"tsm"}, TEEs: []string{"arm-cca"}}
	res, err := Evidence(ev, pol, Options{Nonce: testNonce})
	checkOutcome(t, res, err, ReasonUnsupportedTEE)
	if !strings.Contains(err.Error(), "Arm CCA") {
		t.Errorf("message %q does not say Arm CCA", err)
	}
}
