package main

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/wasmtee/wasmtee/test/sgxdcap"
)

// signMain is gramine-sgx-sign.
func signMain(args []string) error {
	fl := flag.NewFlagSet("gramine-sgx-sign", flag.ContinueOnError)
	var manifestPath, output, keyPath, sigfile string
	for _, f := range []struct {
		p           *string
		long, short string
	}{{&manifestPath, "manifest", "m"}, {&output, "output", "o"}, {&keyPath, "key", "k"}, {&sigfile, "sigfile", "s"}} {
		fl.StringVar(f.p, f.long, "", "")
		fl.StringVar(f.p, f.short, "", "")
	}
	fl.String("date", "", "")
	fl.String("libpal", "", "")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if manifestPath == "" || output == "" || fl.NArg() > 0 {
		return errors.New("usage: gramine-sgx-sign --manifest MANIFEST --output MANIFEST.sgx [--key KEY] [--sigfile SIG]")
	}
	if keyPath == "" {
		cfg, err := os.UserConfigDir()
		if err != nil {
			return err
		}
		keyPath = filepath.Join(cfg, "gramine", "enclave-key.pem")
	}
	if sigfile == "" {
		sigfile = strings.TrimSuffix(manifestPath, ".manifest") + ".sig"
	}
	key, err := loadSigningKey(keyPath)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(manifestPath)
	if err != nil {
		return err
	}
	m, err := parseManifest(data)
	if err != nil {
		return err
	}
	expanded, err := expandTrusted(m.trusted)
	if err != nil {
		return err
	}
	sgxTable, _ := m.raw["sgx"].(map[string]any)
	if sgxTable == nil {
		sgxTable = map[string]any{}
		m.raw["sgx"] = sgxTable
	}
	list := make([]any, len(expanded))
	for i, t := range expanded {
		list[i] = map[string]any{"uri": t.uri, "sha256": t.sha256}
	}
	sgxTable["trusted_files"] = list
	out, err := toml.Marshal(m.raw)
	if err != nil {
		return err
	}
	if err := os.WriteFile(output, out, 0o644); err != nil {
		return err
	}
	sig, err := makeSigStruct(key, mrEnclave(out), m.debug, uint16(m.isvProdID), uint16(m.isvSvn), time.Now())
	if err != nil {
		return err
	}
	if err := os.WriteFile(sigfile, sig, 0o644); err != nil {
		return err
	}
	return tamper(expanded)
}

// loadSigningKey reads a PEM RSA key and checks what SGX needs.
func loadSigningKey(name string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, fmt.Errorf("%s: not PEM", name)
	}
	var key *rsa.PrivateKey
	switch blk.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		var k any
		if k, err = x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
			var ok bool
			if key, ok = k.(*rsa.PrivateKey); !ok {
				err = errors.New("not an RSA key")
			}
		}
	default:
		err = fmt.Errorf("PEM type %q", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if key.N.BitLen() != 3072 || key.E != 3 {
		return nil, fmt.Errorf("%s: the key must be 3072-bit RSA with public exponent 3 (it has %d bits, exponent %d)", name, key.N.BitLen(), key.E)
	}
	return key, nil
}

// expandTrusted hashes the trusted files without a sha256; a URI ending
// in "/" stands for every file below that directory.
func expandTrusted(in []trustedFile) ([]trustedFile, error) {
	var out []trustedFile
	for _, t := range in {
		if t.sha256 != "" {
			if b, err := hex.DecodeString(t.sha256); err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("trusted file %s: sha256 %q is not 64 hex digits", t.uri, t.sha256)
			}
			out = append(out, t)
			continue
		}
		p, err := uriPath(t.uri)
		if err != nil {
			return nil, err
		}
		if !strings.HasSuffix(t.uri, "/") {
			sum, err := hashFile(p)
			if err != nil {
				return nil, fmt.Errorf("trusted file %s: %w", t.uri, err)
			}
			out = append(out, trustedFile{uri: t.uri, sha256: sum})
			continue
		}
		var names []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				names = append(names, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("trusted directory %s: %w", t.uri, err)
		}
		sort.Strings(names)
		for _, n := range names {
			sum, err := hashFile(n)
			if err != nil {
				return nil, err
			}
			out = append(out, trustedFile{uri: "file:" + n, sha256: sum})
		}
	}
	return out, nil
}

func hashFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// mrEnclave is the fake's MRENCLAVE: a SHA-256 over the signed manifest.
func mrEnclave(sgxManifest []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte("wasmtee sgxfake MRENCLAVE v1\x00"))
	h.Write(sgxManifest)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// SIGSTRUCT (Intel SDM Vol. 3D, "Enclave Signature Structure"): 1808
// bytes; the signature covers bytes 0-127 and 900-1027; multi-byte
// integers, the modulus and the signature are little-endian.
const (
	sigSize          = 1808
	sigOffVendor     = 16
	sigOffDate       = 20
	sigOffHeader2    = 24
	sigOffModulus    = 128
	sigOffExponent   = 512
	sigOffSignature  = 516
	sigOffMiscSelect = 900
	sigOffMiscMask   = 904
	sigOffAttributes = 928
	sigOffAttrMask   = 944
	sigOffEnclaveHsh = 960
	sigOffIsvProdID  = 1024
	sigOffIsvSvn     = 1026
	sigOffQ1         = 1040
	sigOffQ2         = 1424
	keyBytes         = 384
)

var (
	sigHeader  = []byte{0x06, 0, 0, 0, 0xe1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0}
	sigHeader2 = []byte{0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0}
)

// xfrmLegacy is the enclave's XFRM: x87, SSE. Its attribute flags are
// sgxdcap's (INIT, DEBUG, MODE64BIT).
const xfrmLegacy = 0x3

func attributes(debug bool) uint64 {
	f := uint64(sgxdcap.AttrInit | sgxdcap.AttrMode64Bit)
	if debug {
		f |= sgxdcap.AttrDebug
	}
	return f
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[len(b)-1-i] = c
	}
	return out
}

// makeSigStruct builds and signs a SIGSTRUCT for the enclave hash.
func makeSigStruct(key *rsa.PrivateKey, hash [32]byte, debug bool, prodID, svn uint16, now time.Time) ([]byte, error) {
	s := make([]byte, sigSize)
	copy(s, sigHeader)
	y, mo, d := now.Date()
	// DATE is BCD yyyymmdd.
	bcd := func(v, digits int) uint32 {
		var out uint32
		for i := 0; i < digits; i++ {
			out |= uint32(v%10) << (4 * i)
			v /= 10
		}
		return out
	}
	binary.LittleEndian.PutUint32(s[sigOffDate:], bcd(y, 4)<<16|bcd(int(mo), 2)<<8|bcd(d, 2))
	copy(s[sigOffHeader2:], sigHeader2)
	copy(s[sigOffModulus:], reverse(key.N.FillBytes(make([]byte, keyBytes))))
	binary.LittleEndian.PutUint32(s[sigOffExponent:], uint32(key.E))
	binary.LittleEndian.PutUint64(s[sigOffAttributes:], attributes(debug))
	binary.LittleEndian.PutUint64(s[sigOffAttributes+8:], xfrmLegacy)
	// Every attribute bit must be as given.
	binary.LittleEndian.PutUint64(s[sigOffAttrMask:], ^uint64(0))
	binary.LittleEndian.PutUint64(s[sigOffAttrMask+8:], ^uint64(0))
	copy(s[sigOffEnclaveHsh:], hash[:])
	binary.LittleEndian.PutUint16(s[sigOffIsvProdID:], prodID)
	binary.LittleEndian.PutUint16(s[sigOffIsvSvn:], svn)
	digest := sha256.Sum256(signedPart(s))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return nil, err
	}
	copy(s[sigOffSignature:], reverse(sig))
	// Q1 = floor(sig^2 / N), Q2 = floor((sig^3 - Q1*sig*N) / N), which the
	// processor uses to check the signature quickly.
	sv := new(big.Int).SetBytes(sig)
	q1 := new(big.Int).Div(new(big.Int).Mul(sv, sv), key.N)
	cube := new(big.Int).Mul(new(big.Int).Mul(sv, sv), sv)
	q2 := new(big.Int).Div(new(big.Int).Sub(cube, new(big.Int).Mul(new(big.Int).Mul(q1, sv), key.N)), key.N)
	copy(s[sigOffQ1:], reverse(q1.FillBytes(make([]byte, keyBytes))))
	copy(s[sigOffQ2:], reverse(q2.FillBytes(make([]byte, keyBytes))))
	return s, nil
}

func signedPart(s []byte) []byte {
	return append(append([]byte{}, s[:128]...), s[900:1028]...)
}

// sigStruct is what gramine-sgx takes from a checked SIGSTRUCT.
type sigStruct struct {
	hash      [32]byte
	mrSigner  [32]byte
	debug     bool
	prodID    uint16
	svn       uint16
	attrFlags uint64
	xfrm      uint64
}

// checkSigStruct checks the layout and the signature.
func checkSigStruct(s []byte) (*sigStruct, error) {
	if len(s) != sigSize {
		return nil, fmt.Errorf("SIGSTRUCT is %d bytes, not %d", len(s), sigSize)
	}
	if !bytes.Equal(s[:16], sigHeader) || !bytes.Equal(s[sigOffHeader2:sigOffHeader2+16], sigHeader2) {
		return nil, errors.New("SIGSTRUCT headers are wrong")
	}
	if e := binary.LittleEndian.Uint32(s[sigOffExponent:]); e != 3 {
		return nil, fmt.Errorf("SIGSTRUCT exponent %d is not 3", e)
	}
	mod := s[sigOffModulus : sigOffModulus+keyBytes]
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(reverse(mod)), E: 3}
	digest := sha256.Sum256(signedPart(s))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], reverse(s[sigOffSignature:sigOffSignature+keyBytes])); err != nil {
		return nil, fmt.Errorf("SIGSTRUCT signature: %w", err)
	}
	out := &sigStruct{
		mrSigner:  sha256.Sum256(mod),
		prodID:    binary.LittleEndian.Uint16(s[sigOffIsvProdID:]),
		svn:       binary.LittleEndian.Uint16(s[sigOffIsvSvn:]),
		attrFlags: binary.LittleEndian.Uint64(s[sigOffAttributes:]),
		xfrm:      binary.LittleEndian.Uint64(s[sigOffAttributes+8:]),
	}
	out.debug = out.attrFlags&sgxdcap.AttrDebug != 0
	copy(out.hash[:], s[sigOffEnclaveHsh:])
	return out, nil
}

// tamper changes, once, the trusted file named in HOME/tamper-next: the
// untrusted host changing a file after it was signed.
func tamper(trusted []trustedFile) error {
	h, err := home()
	if err != nil {
		return err
	}
	suffix, err := os.ReadFile(tamperSwitch(h))
	if err != nil {
		return nil
	}
	os.Remove(tamperSwitch(h))
	want := strings.TrimSpace(string(suffix))
	for _, t := range trusted {
		if want != "" && strings.HasSuffix(t.uri, want) {
			p, err := uriPath(t.uri)
			if err != nil {
				return err
			}
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return err
			}
			_, err = f.Write([]byte{0})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
	}
	return fmt.Errorf("tamper-next: no trusted file ends with %q", want)
}
