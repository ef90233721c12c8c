package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/test/sgxdcap"
)

// testPKI makes a test root CA, an intermediate CA and a PCK leaf
// (ECDSA P-256, like Intel's), valid for a day around now. It returns the
// PCK key, the PEM chain leaf-intermediate-root (as in a quote's
// certification data) and the root's PEM.
func testPKI(t *testing.T, now time.Time) (*ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	pki, err := sgxdcap.NewPKI(sgxdcap.PKIOptions{Name: "Test", NotBefore: now.Add(-12 * time.Hour), NotAfter: now.Add(12 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return pki.PCKKey, pki.ChainPEM(), pki.RootPEM()
}

// sgxQuoteSpec is what a test quote holds: the quote (its attributes
// aside), whether the enclave is a debug one, and the PCK key and chain
// that sign and certify it.
type sgxQuoteSpec struct {
	sgxdcap.Quote
	debug    bool
	pckKey   *ecdsa.PrivateKey
	chainPEM []byte
}

// buildSGXQuote assembles and signs a DCAP quote v3 as a quoting enclave
// would (see the layout in sgx.go), with a fresh attestation key.
func buildSGXQuote(t *testing.T, s sgxQuoteSpec) []byte {
	t.Helper()
	q := s.Quote
	q.Attributes = sgxdcap.AttrInit | sgxdcap.AttrMode64Bit
	if s.debug {
		q.Attributes |= sgxAttributesDebug
	}
	raw, err := q.Build(s.pckKey, s.chainPEM)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSGXEvidence(t *testing.T) {
	now := time.Now()
	pckKey, chainPEM, rootPEM := testPKI(t, now)
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(rootPEM) {
		t.Fatal("root")
	}
	mrEnclave := [32]byte{1, 2, 3, 4}
	mrSigner := [32]byte{9, 9, 9}
	prodID := uint16(42)

	type testCase struct {
		name    string
		spec    func(s *sgxQuoteSpec)          // before signing
		tamper  func(q []byte) []byte          // after signing
		policy  func(p *SGXPolicy, o *Options) // policy and options
		want    Reason
		message string
	}
	tests := []testCase{
		{"verified", nil, nil, nil, "", ""},
		{"MRENCLAVE not allowed", nil, nil, func(p *SGXPolicy, o *Options) {
			p.MrEnclave = []string{strings.Repeat("ee", 32)}
		}, ReasonQuotePolicyMismatch, "MRENCLAVE"},
		{"MRSIGNER not allowed", nil, nil, func(p *SGXPolicy, o *Options) {
			p.MrSigner = []string{strings.Repeat("ee", 32)}
		}, ReasonQuotePolicyMismatch, "MRSIGNER"},
		{"ISVPRODID differs", nil, nil, func(p *SGXPolicy, o *Options) {
			other := uint16(7)
			p.IsvProdID = &other
		}, ReasonQuotePolicyMismatch, "ISVPRODID"},
		{"ISVSVN too low", nil, nil, func(p *SGXPolicy, o *Options) {
			p.MinIsvSvn = 6
		}, ReasonQuotePolicyMismatch, "ISVSVN"},
		{"debug enclave", func(s *sgxQuoteSpec) { s.debug = true }, nil, nil, ReasonQuotePolicyMismatch, "debug"},
		{"debug enclave allowed", func(s *sgxQuoteSpec) { s.debug = true }, nil, func(p *SGXPolicy, o *Options) {
			p.AllowDebug = true
		}, "", ""},
		{"report data differs", func(s *sgxQuoteSpec) { s.ReportData[63] ^= 1 }, nil, nil, ReasonQuoteReportDataMismatch, "REPORTDATA"},
		{"flipped MRENCLAVE byte after signing", nil, func(q []byte) []byte {
			q[sgxHeaderSize+sgxOffMrEnclave] ^= 1
			return q
		}, nil, ReasonQuoteInvalid, "quote signature"},
		{"flipped report data byte after signing", nil, func(q []byte) []byte {
			q[sgxHeaderSize+sgxOffReportData] ^= 1
			return q
		}, nil, ReasonQuoteInvalid, "quote signature"},
		{"flipped QE report byte", nil, func(q []byte) []byte {
			q[sgxSigDataOffset+128+10] ^= 1
			return q
		}, nil, ReasonQuoteInvalid, "QE report signature"},
		{"QE report does not bind the attestation key", func(s *sgxQuoteSpec) { s.UnbindQE = true }, nil, nil, ReasonQuoteInvalid, "bind"},
		{"QE report signed by another key", func(s *sgxQuoteSpec) {
			s.pckKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}, nil, nil, ReasonQuoteInvalid, "QE report signature"},
		{"Intel root (not the test root)", nil, nil, func(p *SGXPolicy, o *Options) {
			o.SGXRoots = nil
		}, ReasonQuoteInvalid, "trusted root"},
		{"certificates not yet valid", nil, nil, func(p *SGXPolicy, o *Options) {
			o.Now = now.Add(-48 * time.Hour)
		}, ReasonQuoteInvalid, "trusted root"},
		{"unsupported certification data", func(s *sgxQuoteSpec) { s.CertType = 6 }, nil, nil, ReasonQuoteInvalid, "type 6"},
		{"version 4", nil, func(q []byte) []byte { q[0] = 4; return q }, nil, ReasonQuoteInvalid, "version"},
		{"TDX header", nil, func(q []byte) []byte { q[4] = 0x81; return q }, nil, ReasonQuoteInvalid, "TEE type"},
		{"truncated", nil, func(q []byte) []byte { return q[:sgxSigDataOffset+100] }, nil, ReasonQuoteInvalid, ""},
		{"signature length past the end", nil, func(q []byte) []byte {
			binary.LittleEndian.PutUint32(q[sgxSignedSize:], 1<<30)
			return q
		}, nil, ReasonQuoteInvalid, "past"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProducer{backend: evidence.BackendSGX, tee: evidence.TEESGX, quote: func(rd [64]byte) []byte {
				s := sgxQuoteSpec{Quote: sgxdcap.Quote{ReportData: rd, MrEnclave: mrEnclave, MrSigner: mrSigner, IsvProdID: prodID, IsvSvn: 5}, pckKey: pckKey, chainPEM: chainPEM}
				if tt.spec != nil {
					tt.spec(&s)
				}
				q := buildSGXQuote(t, s)
				if tt.tamper != nil {
					q = tt.tamper(q)
				}
				return q
			}}
			ev := makeEvidence(t, p)
			sp := &SGXPolicy{MrEnclave: []string{hex.EncodeToString(mrEnclave[:])}, MrSigner: []string{hex.EncodeToString(mrSigner[:])}, IsvProdID: &prodID, MinIsvSvn: 5}
			opts := Options{Nonce: testNonce, SGXRoots: roots}
			if tt.policy != nil {
				tt.policy(sp, &opts)
			}
			pol := &Policy{AllowAnyMeasurement: true, Backends: []string{"sgx"}, TEEs: []string{"sgx"}, SGX: sp}
			res, err := Evidence(ev, pol, opts)
			checkOutcome(t, res, err, tt.want)
			t.Logf("error: %v", err)
			if !strings.Contains(errString(err), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
			if tt.want == "" {
				if !res.HardwareSignatureChecked {
					t.Error("HardwareSignatureChecked is false")
				}
				for _, c := range []string{"sgx-quote-format", "sgx-quote-signature", "sgx-quote-report-data", "sgx-mrenclave", "sgx-mrsigner", "sgx-policy"} {
					if !slices.Contains(res.Checks, c) {
						t.Errorf("checks %v lack %q", res.Checks, c)
					}
				}
				if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "TCB status") }) {
					t.Errorf("warnings %q do not say the TCB status was not checked", res.Warnings)
				}
			}
		})
	}
}

// TestSGXQuoteLayout checks the parser's offsets against the quote
// builder and the documented absolute offsets (MRENCLAVE at 112,
// MRSIGNER at 176, REPORTDATA at 368).
func TestSGXQuoteLayout(t *testing.T) {
	pckKey, chainPEM, _ := testPKI(t, time.Now())
	s := sgxQuoteSpec{Quote: sgxdcap.Quote{MrEnclave: [32]byte{0xaa}, MrSigner: [32]byte{0xbb}, ReportData: [64]byte{0xcc}, IsvProdID: 3, IsvSvn: 4}, pckKey: pckKey, chainPEM: chainPEM}
	raw := buildSGXQuote(t, s)
	if raw[112] != 0xaa || raw[176] != 0xbb || raw[368] != 0xcc {
		t.Fatalf("absolute offsets: %x %x %x", raw[112], raw[176], raw[368])
	}
	q, err := parseSGXQuote(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.mrEnclave(), s.MrEnclave[:]) || !bytes.Equal(q.mrSigner(), s.MrSigner[:]) || !bytes.Equal(q.reportData(), s.ReportData[:]) ||
		q.isvProdID() != 3 || q.isvSvn() != 4 || q.debug() || q.certType != 5 || !bytes.Equal(q.certData, chainPEM) {
		t.Errorf("parsed %+v", q)
	}
}
