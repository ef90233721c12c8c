package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// An SGX DCAP quote, version 3 (Intel SGX ECDSA Quote Library API,
// "Quote Format"), all integers little-endian:
//
//	  0  header (48): version u16 = 3, attestation key type u16 = 2
//	     (ECDSA-256-with-P-256), reserved u32 = 0, QE SVN u16, PCE SVN u16,
//	     QE vendor ID (16), user data (20)
//	 48  ISV enclave report body (384), the SGX REPORT body:
//	     +0 CPUSVN (16), +16 MISCSELECT u32, +48 ATTRIBUTES (flags u64,
//	     XFRM u64), +64 MRENCLAVE (32), +128 MRSIGNER (32), +256
//	     ISVPRODID u16, +258 ISVSVN u16, +320 REPORTDATA (64)
//	432  signature data length u32
//	436  signature data:
//	     +0   ISV report signature (64: r || s, big-endian) by the
//	          attestation key over SHA-256(quote[0:432])
//	     +64  ECDSA attestation key (64: x || y)
//	     +128 QE report body (384), whose REPORTDATA is
//	          SHA-256(attestation key || QE authentication data) || 32 zeros
//	     +512 QE report signature (64) by the PCK key over SHA-256(QE report)
//	     +576 QE authentication data: size u16, data
//	     then QE certification data: type u16, size u32, data; type 5 is
//	     the PCK certificate chain, PEM (PCK leaf, intermediate CA, root)
const (
	sgxHeaderSize      = 48
	sgxReportBodySize  = 384
	sgxSignedSize      = sgxHeaderSize + sgxReportBodySize // 432
	sgxSigDataOffset   = sgxSignedSize + 4                 // 436
	sgxSigSize         = 64
	sgxKeySize         = 64
	sgxQuoteVersion    = 3
	sgxKeyTypeP256     = 2
	sgxCertTypePCKPEM  = 5
	sgxAttributesDebug = 0x2 // ATTRIBUTES.DEBUG (flags bit 1)

	sgxOffAttributes = 48
	sgxOffMrEnclave  = 64
	sgxOffMrSigner   = 128
	sgxOffIsvProdID  = 256
	sgxOffIsvSvn     = 258
	sgxOffReportData = 320
)

// sgxQuote is a parsed DCAP quote v3; slices point into the raw quote.
type sgxQuote struct {
	signed      []byte // header || ISV report body: what the attestation key signs
	body        []byte // ISV enclave report body
	signature   []byte
	attestKey   []byte
	qeReport    []byte
	qeReportSig []byte
	qeAuthData  []byte
	certType    uint16
	certData    []byte
}

func (q *sgxQuote) mrEnclave() []byte  { return q.body[sgxOffMrEnclave : sgxOffMrEnclave+32] }
func (q *sgxQuote) mrSigner() []byte   { return q.body[sgxOffMrSigner : sgxOffMrSigner+32] }
func (q *sgxQuote) reportData() []byte { return q.body[sgxOffReportData : sgxOffReportData+64] }
func (q *sgxQuote) isvProdID() uint16 {
	return binary.LittleEndian.Uint16(q.body[sgxOffIsvProdID:])
}
func (q *sgxQuote) isvSvn() uint16 { return binary.LittleEndian.Uint16(q.body[sgxOffIsvSvn:]) }
func (q *sgxQuote) debug() bool {
	return binary.LittleEndian.Uint64(q.body[sgxOffAttributes:])&sgxAttributesDebug != 0
}

// parseSGXQuote checks the structure of a DCAP quote v3. Bytes after the
// signature data are ignored (nothing signs them).
func parseSGXQuote(b []byte) (*sgxQuote, error) {
	if len(b) < sgxSigDataOffset {
		return nil, fmt.Errorf("quote is %d bytes, shorter than a v3 header and report body (%d)", len(b), sgxSigDataOffset)
	}
	if v := binary.LittleEndian.Uint16(b[0:]); v != sgxQuoteVersion {
		return nil, fmt.Errorf("quote version %d is not supported (want %d)", v, sgxQuoteVersion)
	}
	if k := binary.LittleEndian.Uint16(b[2:]); k != sgxKeyTypeP256 {
		return nil, fmt.Errorf("attestation key type %d is not supported (want %d, ECDSA-256-with-P-256)", k, sgxKeyTypeP256)
	}
	if tee := binary.LittleEndian.Uint32(b[4:]); tee != 0 {
		return nil, fmt.Errorf("quote header TEE type 0x%x is not SGX (0)", tee)
	}
	q := &sgxQuote{signed: b[:sgxSignedSize], body: b[sgxHeaderSize:sgxSignedSize]}
	sigLen := binary.LittleEndian.Uint32(b[sgxSignedSize:])
	if uint64(sigLen) > uint64(len(b)-sgxSigDataOffset) {
		return nil, fmt.Errorf("signature data length %d runs past the quote's end (%d bytes left)", sigLen, len(b)-sgxSigDataOffset)
	}
	sd := b[sgxSigDataOffset : sgxSigDataOffset+int(sigLen)]
	take := func(n int, what string) ([]byte, error) {
		if len(sd) < n {
			return nil, fmt.Errorf("signature data ends inside the %s", what)
		}
		v := sd[:n]
		sd = sd[n:]
		return v, nil
	}
	var err error
	if q.signature, err = take(sgxSigSize, "quote signature"); err != nil {
		return nil, err
	}
	if q.attestKey, err = take(sgxKeySize, "attestation key"); err != nil {
		return nil, err
	}
	if q.qeReport, err = take(sgxReportBodySize, "QE report"); err != nil {
		return nil, err
	}
	if q.qeReportSig, err = take(sgxSigSize, "QE report signature"); err != nil {
		return nil, err
	}
	n, err := take(2, "QE authentication data size")
	if err != nil {
		return nil, err
	}
	if q.qeAuthData, err = take(int(binary.LittleEndian.Uint16(n)), "QE authentication data"); err != nil {
		return nil, err
	}
	hdr, err := take(6, "QE certification data header")
	if err != nil {
		return nil, err
	}
	q.certType = binary.LittleEndian.Uint16(hdr)
	size := binary.LittleEndian.Uint32(hdr[2:])
	if uint64(size) > uint64(len(sd)) {
		return nil, fmt.Errorf("QE certification data size %d runs past the signature data (%d bytes left)", size, len(sd))
	}
	q.certData = sd[:size]
	return q, nil
}

// verifySGXSignatures checks the quote's ECDSA signature chain: the PCK
// certificate chain from the certification data to a trusted root at
// time now, the QE report's signature by the PCK key, the QE report's
// binding of the attestation key, and the quote's signature by the
// attestation key over the header and ISV report body.
func verifySGXSignatures(q *sgxQuote, roots *x509.CertPool, now time.Time) error {
	if q.certType != sgxCertTypePCKPEM {
		return fmt.Errorf("QE certification data type %d is not supported (want %d, PCK certificate chain)", q.certType, sgxCertTypePCKPEM)
	}
	var chain []*x509.Certificate
	for rest := q.certData; ; {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return fmt.Errorf("PCK certificate chain: %v", err)
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 {
		return errors.New("PCK certificate chain: no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	pck := chain[0]
	if _, err := pck.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		return fmt.Errorf("PCK certificate %q does not verify to a trusted root: %v", pck.Subject.CommonName, err)
	}
	pckKey, ok := pck.PublicKey.(*ecdsa.PublicKey)
	if !ok || pckKey.Curve != elliptic.P256() {
		return errors.New("PCK certificate key is not ECDSA P-256")
	}
	if !verifyP256(pckKey, q.qeReport, q.qeReportSig) {
		return errors.New("QE report signature does not verify with the PCK key")
	}
	h := sha256.New()
	h.Write(q.attestKey)
	h.Write(q.qeAuthData)
	want := append(h.Sum(nil), make([]byte, 32)...)
	if !bytes.Equal(q.qeReport[sgxOffReportData:sgxOffReportData+64], want) {
		return errors.New("QE report data does not bind the attestation key (SHA-256(key || QE authentication data))")
	}
	ak, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, q.attestKey...))
	if err != nil {
		return fmt.Errorf("attestation key: %v", err)
	}
	if !verifyP256(ak, q.signed, q.signature) {
		return errors.New("quote signature does not verify with the attestation key")
	}
	return nil
}

// verifyP256 checks an ECDSA P-256 signature (r || s, 32 bytes each,
// big-endian) over SHA-256(msg).
func verifyP256(key *ecdsa.PublicKey, msg, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	d := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(key, d[:], r, s)
}

// verifySGX checks an SGX DCAP quote from the sgx backend.
//
// Checked: the quote structure (v3, ECDSA P-256, SGX); the signature
// chain (verifySGXSignatures) to Intel's SGX root CA or the policy's
// root; the ISV report's REPORTDATA (all 64 bytes) equals the evidence's
// report data; MRENCLAVE, MRSIGNER, ISVPRODID, minimum ISVSVN and the
// DEBUG attribute against policy.sgx.
//
// Not checked: the platform's TCB status (Intel TCB info for the PCK
// certificate's FMSPC), the QE's identity (Intel's QE identity
// collateral: the QE's MRSIGNER, ISVPRODID and ISVSVN), and certificate
// revocation (PCK and root CRLs). Result.Warnings says so.
func verifySGX(ev *evidence.Evidence, rd [64]byte, pc *compiled, opts *Options, res *Result) error {
	sp := pc.sgx
	if sp == nil {
		sp = &compiledSGX{}
	}
	q, err := parseSGXQuote(ev.Quote)
	if err != nil {
		return fail(ReasonQuoteInvalid, err, "SGX quote: %v", err)
	}
	res.pass("sgx-quote-format")

	roots := opts.SGXRoots
	if roots == nil {
		if roots, err = rootPool(sp.p.RootCert); err != nil {
			return fail(ReasonPolicyInvalid, err, "sgx.rootCert: %v", err)
		}
	}
	if err := verifySGXSignatures(q, roots, opts.now()); err != nil {
		return fail(ReasonQuoteInvalid, err, "SGX quote does not verify: %v", err)
	}
	res.HardwareSignatureChecked = true
	res.pass("sgx-quote-signature")
	res.warn("SGX: the platform's TCB status and the quoting enclave's identity were not checked against Intel's collateral, and certificate revocation was not checked")

	if !bytes.Equal(q.reportData(), rd[:]) {
		return fail(ReasonQuoteReportDataMismatch, nil,
			"the SGX quote's REPORTDATA %s is not the evidence's report data %s: the quote was not made for this measurement, nonce and key",
			hexOf(q.reportData()), hexOf(rd[:]))
	}
	res.pass("sgx-quote-report-data")

	if len(sp.mrEnclave) > 0 {
		if !containsBytes(sp.mrEnclave, q.mrEnclave()) {
			return fail(ReasonQuotePolicyMismatch, nil, "MRENCLAVE %s is not one the policy allows", hexOf(q.mrEnclave()))
		}
		res.pass("sgx-mrenclave")
	}
	if len(sp.mrSigner) > 0 {
		if !containsBytes(sp.mrSigner, q.mrSigner()) {
			return fail(ReasonQuotePolicyMismatch, nil, "MRSIGNER %s is not one the policy allows", hexOf(q.mrSigner()))
		}
		res.pass("sgx-mrsigner")
	}
	if len(sp.mrEnclave) == 0 && len(sp.mrSigner) == 0 {
		res.warn("SGX: the policy pins neither MRENCLAVE nor MRSIGNER: any enclave on genuine hardware could have produced this evidence")
	}
	if sp.p.IsvProdID != nil && q.isvProdID() != *sp.p.IsvProdID {
		return fail(ReasonQuotePolicyMismatch, nil, "ISVPRODID %d is not %d", q.isvProdID(), *sp.p.IsvProdID)
	}
	if q.isvSvn() < sp.p.MinIsvSvn {
		return fail(ReasonQuotePolicyMismatch, nil, "ISVSVN %d is below the minimum %d", q.isvSvn(), sp.p.MinIsvSvn)
	}
	if q.debug() && !sp.p.AllowDebug {
		return fail(ReasonQuotePolicyMismatch, nil, "the enclave is a debug enclave (ATTRIBUTES.DEBUG): its memory is readable by the host")
	}
	res.pass("sgx-policy")
	return nil
}
