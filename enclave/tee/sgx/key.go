package sgx

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"

	"github.com/wasmtee/wasmtee/enclave/internal/keyfile"
)

// Enclave signing keys. SGX loads only signed enclaves: gramine-sgx-sign
// signs the enclave's SIGSTRUCT with an RSA key of signingKeyBits bits
// whose public exponent is 3 (gramine-sgx-gen-private-key makes such keys;
// SigningKey does the same). The key is the enclaves' MRSIGNER, the
// SHA-256 of its modulus, which a verifier's policy can pin (sgx.mrSigner)
// instead of MRENCLAVE.
const (
	signingKeyBits     = 3072
	signingKeyExponent = 3
	// SigningKeyName is the key's file name in the node's state directory,
	// beside the process backend's node key.
	SigningKeyName = "sgx-enclave-key.pem"
)

// GenerateSigningKey makes a new RSA-3072 key with public exponent 3.
// crypto/rsa.GenerateKey always uses 65537, which SGX refuses.
func GenerateSigningKey(r io.Reader) (*rsa.PrivateKey, error) {
	if r == nil {
		r = rand.Reader
	}
	e := big.NewInt(signingKeyExponent)
	one := big.NewInt(1)
	prime := func() (*big.Int, error) {
		for {
			p, err := rand.Prime(r, signingKeyBits/2)
			if err != nil {
				return nil, err
			}
			// e must be invertible modulo p-1: p mod 3 must not be 1.
			if new(big.Int).Mod(p, e).Int64() != 1 {
				return p, nil
			}
		}
	}
	for {
		p, err := prime()
		if err != nil {
			return nil, err
		}
		q, err := prime()
		if err != nil {
			return nil, err
		}
		if p.Cmp(q) == 0 {
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != signingKeyBits {
			continue
		}
		pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		gcd := new(big.Int).GCD(nil, nil, pm1, qm1)
		lambda := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), gcd)
		d := new(big.Int).ModInverse(e, lambda)
		if d == nil {
			continue
		}
		k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: signingKeyExponent}, D: d, Primes: []*big.Int{p, q}}
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("sgx signing key: %w", err)
		}
		k.Precompute()
		return k, nil
	}
}

// checkSigningKey checks that k is usable for SGX: RSA-3072, exponent 3.
func checkSigningKey(k *rsa.PublicKey) error {
	if k.N.BitLen() != signingKeyBits || k.E != signingKeyExponent {
		return fmt.Errorf("SGX needs an RSA key of %d bits with public exponent %d (this one: %d bits, exponent %d)",
			signingKeyBits, signingKeyExponent, k.N.BitLen(), k.E)
	}
	return nil
}

// MRSigner is the MRSIGNER of enclaves signed with k: the SHA-256 of the
// modulus as SIGSTRUCT stores it (little-endian, 384 bytes).
func MRSigner(k *rsa.PublicKey) [32]byte {
	be := k.N.FillBytes(make([]byte, signingKeyBits/8))
	le := make([]byte, len(be))
	for i, b := range be {
		le[len(be)-1-i] = b
	}
	return sha256.Sum256(le)
}

// keyWhat names the signing key in errors.
const keyWhat = "sgx signing key"

// maxKeyFile bounds what is read of a key file: a PEM RSA-3072 key is
// about 2.5 KB.
const maxKeyFile = 64 << 10

// LoadSigningKey reads a PEM signing key (PKCS#1 or PKCS#8) and checks it
// and its file, as the node key's (enclave/internal/keyfile: a regular
// file, not a symbolic link, owned by this process's user and not
// accessible by group or others). A missing file gives an error that
// matches fs.ErrNotExist.
func LoadSigningKey(path string) (*rsa.PrivateKey, error) {
	data, err := keyfile.Read(path, keyWhat, maxKeyFile)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, fmt.Errorf("sgx signing key %s is not PEM", path)
	}
	var k *rsa.PrivateKey
	switch blk.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	case "PRIVATE KEY":
		var any any
		if any, err = x509.ParsePKCS8PrivateKey(blk.Bytes); err == nil {
			var ok bool
			if k, ok = any.(*rsa.PrivateKey); !ok {
				err = errors.New("not an RSA key")
			}
		}
	default:
		err = fmt.Errorf("PEM block %q is not a private key", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("sgx signing key %s: %w", path, err)
	}
	if err := checkSigningKey(&k.PublicKey); err != nil {
		return nil, fmt.Errorf("sgx signing key %s: %w", path, err)
	}
	return k, nil
}

// EnsureSigningKey loads the signing key at path, or makes one there if
// there is none, published as the node key is (keyfile.Publish: the
// directory created with mode 0700 if missing, the key written with mode
// 0600 under a temporary name and linked into place), so that concurrent
// shims end up with one key. It says whether it made the key.
func EnsureSigningKey(path string) (*rsa.PrivateKey, bool, error) {
	k, err := LoadSigningKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	k, err = GenerateSigningKey(nil)
	if err != nil {
		return nil, false, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := keyfile.Publish(path, keyWhat, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another shim made one in the meantime: that one is the key.
			k, err := LoadSigningKey(path)
			return k, false, err
		}
		return nil, false, err
	}
	return k, true, nil
}
