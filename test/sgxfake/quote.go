package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// A DCAP quote, version 3, ECDSA-256-with-P-256 (Intel SGX ECDSA Quote
// Library API, "Quote Format"), as a quoting enclave makes it: a 48-byte
// header, the enclave's 384-byte report body, then the signature data:
// the quote signature by a fresh attestation key, that key, the QE's
// report (binding the key in its report data), the QE report's signature
// by the PCK key, QE authentication data, and the PCK certificate chain
// (certification data type 5).
const (
	qHeaderSize      = 48
	qBodySize        = 384
	qOffAttributes   = 48
	qOffMrEnclave    = 64
	qOffMrSigner     = 128
	qOffIsvProdID    = 256
	qOffIsvSvn       = 258
	qOffReportData   = 320
	qCertTypePCKPEM  = 5
	qAttestKeyTypeEC = 2
)

// quoteParams are what the enclave's report says.
type quoteParams struct {
	mrEnclave, mrSigner [32]byte
	attrFlags, xfrm     uint64
	prodID, svn         uint16
}

// buildQuote makes and signs a DCAP v3 quote for reportData.
func buildQuote(p quoteParams, reportData [64]byte, pck *ecdsa.PrivateKey, chainPEM []byte) ([]byte, error) {
	le16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	le32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	sign := func(key *ecdsa.PrivateKey, msg []byte) ([]byte, error) {
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

	header := make([]byte, qHeaderSize)
	copy(header[0:], le16(3))
	copy(header[2:], le16(qAttestKeyTypeEC))
	// +4 TEE type 0 (SGX), +8 QE SVN, +10 PCE SVN, +12 QE vendor ID
	// (Intel's), +28 user data.
	copy(header[8:], le16(8))
	copy(header[10:], le16(13))
	copy(header[12:], []byte{0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9, 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07})

	body := make([]byte, qBodySize)
	binary.LittleEndian.PutUint64(body[qOffAttributes:], p.attrFlags)
	binary.LittleEndian.PutUint64(body[qOffAttributes+8:], p.xfrm)
	copy(body[qOffMrEnclave:], p.mrEnclave[:])
	copy(body[qOffMrSigner:], p.mrSigner[:])
	binary.LittleEndian.PutUint16(body[qOffIsvProdID:], p.prodID)
	binary.LittleEndian.PutUint16(body[qOffIsvSvn:], p.svn)
	copy(body[qOffReportData:], reportData[:])

	ak, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	akUncompressed, err := ak.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	akRaw := akUncompressed[1:] // x || y
	authData := make([]byte, 32)
	if _, err := rand.Read(authData); err != nil {
		return nil, err
	}
	qeReport := make([]byte, qBodySize)
	binary.LittleEndian.PutUint64(qeReport[qOffAttributes:], attrInit|attrMode64Bit)
	bind := sha256.Sum256(slices.Concat(akRaw, authData))
	copy(qeReport[qOffReportData:], bind[:])

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
		le16(qCertTypePCKPEM), le32(uint32(len(chainPEM))), chainPEM,
	)
	return slices.Concat(signed, le32(uint32(len(sigData))), sigData), nil
}
