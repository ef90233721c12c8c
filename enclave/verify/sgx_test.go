package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// testPKI makes a test root CA, an intermediate CA and a PCK leaf
// (ECDSA P-256, like Intel's), valid for a day around now. It returns the
// PCK key, the PEM chain leaf-intermediate-root (as in a quote's
// certification data) and the root's PEM.
func testPKI(t *testing.T, now time.Time) (*ecdsa.PrivateKey, []byte, []byte) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	serial := int64(0)
	issue := func(cn string, ca bool, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) *x509.Certificate {
		serial++
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-12 * time.Hour), NotAfter: now.Add(12 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: ca,
		}
		if ca {
			tmpl.KeyUsage |= x509.KeyUsageCertSign
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	rootKey, interKey, pckKey := newKey(), newKey(), newKey()
	root := issue("Test SGX Root CA", true, rootKey, nil, nil)
	inter := issue("Test SGX PCK Platform CA", true, interKey, root, rootKey)
	leaf := issue("Test SGX PCK Certificate", false, pckKey, inter, interKey)
	enc := func(c *x509.Certificate) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return pckKey, slices.Concat(enc(leaf), enc(inter), enc(root)), enc(root)
}

// sgxQuoteSpec is what a test quote holds.
type sgxQuoteSpec struct {
	reportData [64]byte
	mrEnclave  [32]byte
	mrSigner   [32]byte
	isvProdID  uint16
	isvSvn     uint16
	debug      bool

	pckKey   *ecdsa.PrivateKey
	chainPEM []byte
	certType uint16 // 0: 5

	// tampering after signing
	unbindQE bool // QE report data not binding the attestation key
}

// buildSGXQuote assembles and signs a DCAP quote v3 as a quoting enclave
// would (see the layout in sgx.go), with a fresh attestation key.
func buildSGXQuote(t *testing.T, s sgxQuoteSpec) []byte {
	t.Helper()
	le16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	sign := func(key *ecdsa.PrivateKey, msg []byte) []byte {
		d := sha256.Sum256(msg)
		r, ss, err := ecdsa.Sign(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 64)
		r.FillBytes(out[:32])
		ss.FillBytes(out[32:])
		return out
	}

	header := make([]byte, sgxHeaderSize)
	copy(header[0:], le16(3))
	copy(header[2:], le16(2))
	copy(header[8:], le16(7))   // QE SVN
	copy(header[10:], le16(13)) // PCE SVN
	hexVendor, _ := hex.DecodeString("939a7233f79c4ca9940a0db3957f0607")
	copy(header[12:], hexVendor)

	body := make([]byte, sgxReportBodySize)
	flags := uint64(0x1 | 0x4) // INIT, MODE64BIT
	if s.debug {
		flags |= sgxAttributesDebug
	}
	binary.LittleEndian.PutUint64(body[sgxOffAttributes:], flags)
	copy(body[sgxOffMrEnclave:], s.mrEnclave[:])
	copy(body[sgxOffMrSigner:], s.mrSigner[:])
	binary.LittleEndian.PutUint16(body[sgxOffIsvProdID:], s.isvProdID)
	binary.LittleEndian.PutUint16(body[sgxOffIsvSvn:], s.isvSvn)
	copy(body[sgxOffReportData:], s.reportData[:])

	ak, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	akBytes, err := ak.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		t.Fatal(err)
	}
	akRaw := akBytes[1:]
	authData := []byte("qe authentication data, 32 bytes")

	qeReport := make([]byte, sgxReportBodySize)
	binary.LittleEndian.PutUint64(qeReport[sgxOffAttributes:], 0x5)
	bind := sha256.Sum256(slices.Concat(akRaw, authData))
	if s.unbindQE {
		bind[0] ^= 1
	}
	copy(qeReport[sgxOffReportData:], bind[:])

	certType := s.certType
	if certType == 0 {
		certType = sgxCertTypePCKPEM
	}
	signed := slices.Concat(header, body)
	sigData := slices.Concat(
		sign(ak, signed),
		akRaw,
		qeReport,
		sign(s.pckKey, qeReport),
		le16(uint16(len(authData))), authData,
		le16(certType), binary.LittleEndian.AppendUint32(nil, uint32(len(s.chainPEM))), s.chainPEM,
	)
	return slices.Concat(signed, binary.LittleEndian.AppendUint32(nil, uint32(len(sigData))), sigData)
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
		{"report data differs", func(s *sgxQuoteSpec) { s.reportData[63] ^= 1 }, nil, nil, ReasonQuoteReportDataMismatch, "REPORTDATA"},
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
		{"QE report does not bind the attestation key", func(s *sgxQuoteSpec) { s.unbindQE = true }, nil, nil, ReasonQuoteInvalid, "bind"},
		{"QE report signed by another key", func(s *sgxQuoteSpec) {
			s.pckKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}, nil, nil, ReasonQuoteInvalid, "QE report signature"},
		{"Intel root (not the test root)", nil, nil, func(p *SGXPolicy, o *Options) {
			o.SGXRoots = nil
		}, ReasonQuoteInvalid, "trusted root"},
		{"certificates not yet valid", nil, nil, func(p *SGXPolicy, o *Options) {
			o.Now = now.Add(-48 * time.Hour)
		}, ReasonQuoteInvalid, "trusted root"},
		{"unsupported certification data", func(s *sgxQuoteSpec) { s.certType = 6 }, nil, nil, ReasonQuoteInvalid, "type 6"},
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
				s := sgxQuoteSpec{reportData: rd, mrEnclave: mrEnclave, mrSigner: mrSigner, isvProdID: prodID, isvSvn: 5, pckKey: pckKey, chainPEM: chainPEM}
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
	s := sgxQuoteSpec{mrEnclave: [32]byte{0xaa}, mrSigner: [32]byte{0xbb}, reportData: [64]byte{0xcc}, isvProdID: 3, isvSvn: 4, pckKey: pckKey, chainPEM: chainPEM}
	raw := buildSGXQuote(t, s)
	if raw[112] != 0xaa || raw[176] != 0xbb || raw[368] != 0xcc {
		t.Fatalf("absolute offsets: %x %x %x", raw[112], raw[176], raw[368])
	}
	q, err := parseSGXQuote(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.mrEnclave(), s.mrEnclave[:]) || !bytes.Equal(q.mrSigner(), s.mrSigner[:]) || !bytes.Equal(q.reportData(), s.reportData[:]) ||
		q.isvProdID() != 3 || q.isvSvn() != 4 || q.debug() || q.certType != 5 || !bytes.Equal(q.certData, chainPEM) {
		t.Errorf("parsed %+v", q)
	}
}
