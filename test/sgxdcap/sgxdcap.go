// Package sgxdcap makes Intel SGX DCAP quotes (version 3, ECDSA-256 with
// P-256) and the test PKI that signs them, for tests only: the SGX test
// double (test/sgxfake) and the verifier's tests (enclave/verify). Its
// keys and certificates are nobody's; a quote it makes verifies only
// against its own test root.
//
// It is not under test/internal because enclave/verify's tests import it.
package sgxdcap

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"math/big"
	"slices"
	"time"
)

// A DCAP quote, version 3 (Intel SGX ECDSA Quote Library API, "Quote
// Format"), as a quoting enclave makes it: a 48-byte header, the enclave's
// 384-byte report body, then the signature data: the quote signature by a
// fresh attestation key, that key, the QE's report (binding the key in its
// report data), the QE report's signature by the PCK key, QE
// authentication data, and the certification data (type 5: the PCK
// certificate chain in PEM).
const (
	headerSize      = 48
	bodySize        = 384
	offAttributes   = 48
	offMrEnclave    = 64
	offMrSigner     = 128
	offIsvProdID    = 256
	offIsvSvn       = 258
	offReportData   = 320
	certTypePCKPEM  = 5
	attestKeyTypeEC = 2
)

// Enclave attribute flags.
const (
	AttrInit      = 0x1
	AttrDebug     = 0x2
	AttrMode64Bit = 0x4
)

// intelQEVendorID is the QE vendor ID of Intel's quoting enclave.
var intelQEVendorID = []byte{0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07}

// Quote is what a quote says, and how it is made.
type Quote struct {
	MrEnclave, MrSigner [32]byte
	Attributes, XFRM    uint64 // the enclave's attribute flags (AttrInit, ...) and XFRM
	IsvProdID, IsvSvn   uint16
	ReportData          [64]byte

	// AttestationKey signs the quote; nil: a fresh key.
	AttestationKey *ecdsa.PrivateKey
	// AuthData is the QE authentication data; nil: 32 random bytes.
	AuthData []byte
	// CertType is the certification data type; 0: 5, the PCK chain.
	CertType uint16
	// UnbindQE makes a broken quote: the QE report's data does not bind
	// the attestation key.
	UnbindQE bool
}

// Build makes the quote: the QE report is signed by pck, and chainPEM (the
// PCK chain, leaf first) is the certification data.
func (q Quote) Build(pck *ecdsa.PrivateKey, chainPEM []byte) ([]byte, error) {
	le16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

	header := make([]byte, headerSize)
	copy(header[0:], le16(3))
	copy(header[2:], le16(attestKeyTypeEC))
	// +4 TEE type 0 (SGX), +8 QE SVN, +10 PCE SVN, +12 QE vendor ID,
	// +28 user data.
	copy(header[8:], le16(8))
	copy(header[10:], le16(13))
	copy(header[12:], intelQEVendorID)

	body := make([]byte, bodySize)
	binary.LittleEndian.PutUint64(body[offAttributes:], q.Attributes)
	binary.LittleEndian.PutUint64(body[offAttributes+8:], q.XFRM)
	copy(body[offMrEnclave:], q.MrEnclave[:])
	copy(body[offMrSigner:], q.MrSigner[:])
	binary.LittleEndian.PutUint16(body[offIsvProdID:], q.IsvProdID)
	binary.LittleEndian.PutUint16(body[offIsvSvn:], q.IsvSvn)
	copy(body[offReportData:], q.ReportData[:])

	ak := q.AttestationKey
	if ak == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		ak = k
	}
	akUncompressed, err := ak.PublicKey.Bytes() // 0x04 || x || y
	if err != nil {
		return nil, err
	}
	akRaw := akUncompressed[1:]
	authData := q.AuthData
	if authData == nil {
		authData = make([]byte, 32)
		if _, err := rand.Read(authData); err != nil {
			return nil, err
		}
	}
	qeReport := make([]byte, bodySize)
	binary.LittleEndian.PutUint64(qeReport[offAttributes:], AttrInit|AttrMode64Bit)
	bind := sha256.Sum256(slices.Concat(akRaw, authData))
	if q.UnbindQE {
		bind[0] ^= 1
	}
	copy(qeReport[offReportData:], bind[:])

	certType := q.CertType
	if certType == 0 {
		certType = certTypePCKPEM
	}
	signed := slices.Concat(header, body)
	quoteSig, err := sign(ak, signed)
	if err != nil {
		return nil, err
	}
	qeSig, err := sign(pck, qeReport)
	if err != nil {
		return nil, err
	}
	sigData := slices.Concat(
		quoteSig, akRaw, qeReport, qeSig,
		le16(uint16(len(authData))), authData,
		le16(certType), le32(uint32(len(chainPEM))), chainPEM,
	)
	return slices.Concat(signed, le32(uint32(len(sigData))), sigData), nil
}

// sign is an ECDSA signature of SHA-256(msg) as a quote holds it: r || s,
// 32 bytes each.
func sign(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
	d := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, key, d[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	s.FillBytes(out[32:])
	return out, nil
}

// PKIOptions say how NewPKI makes the test PKI.
type PKIOptions struct {
	// Name starts the common names: "NAME SGX Root CA", "NAME SGX PCK
	// Platform CA", "NAME SGX PCK Certificate".
	Name string
	// Organization, if not empty, is every certificate's organization.
	Organization        string
	NotBefore, NotAfter time.Time
	// Keys are the root's, the intermediate's and the PCK's keys; nil:
	// a fresh ECDSA P-256 key.
	Keys [3]*ecdsa.PrivateKey
}

// PKI is a test root CA, a PCK platform CA and a PCK leaf (ECDSA P-256,
// like Intel's).
type PKI struct {
	Root, Intermediate, Leaf *x509.Certificate
	PCKKey                   *ecdsa.PrivateKey
}

// NewPKI makes a test PKI; the certificates have serial numbers 1, 2, 3.
func NewPKI(o PKIOptions) (*PKI, error) {
	keys := o.Keys
	for i := range keys {
		if keys[i] == nil {
			k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				return nil, err
			}
			keys[i] = k
		}
	}
	issue := func(serial int64, cn string, ca bool, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, error) {
		subject := pkix.Name{CommonName: o.Name + " " + cn}
		if o.Organization != "" {
			subject.Organization = []string{o.Organization}
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: subject,
			NotBefore: o.NotBefore, NotAfter: o.NotAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, BasicConstraintsValid: true, IsCA: ca,
		}
		if ca {
			tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			return nil, err
		}
		return x509.ParseCertificate(der)
	}
	root, err := issue(1, "SGX Root CA", true, keys[0], nil, nil)
	if err != nil {
		return nil, err
	}
	inter, err := issue(2, "SGX PCK Platform CA", true, keys[1], root, keys[0])
	if err != nil {
		return nil, err
	}
	leaf, err := issue(3, "SGX PCK Certificate", false, keys[2], inter, keys[1])
	if err != nil {
		return nil, err
	}
	return &PKI{Root: root, Intermediate: inter, Leaf: leaf, PCKKey: keys[2]}, nil
}

// ChainPEM is the PCK chain as a quote's certification data holds it:
// leaf, intermediate, root.
func (p *PKI) ChainPEM() []byte {
	return slices.Concat(certPEM(p.Leaf), certPEM(p.Intermediate), certPEM(p.Root))
}

// RootPEM is the root certificate in PEM.
func (p *PKI) RootPEM() []byte { return certPEM(p.Root) }

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
