// Package process is wasmtee's "process" evidence backend: no hardware TEE
// (TEE "none"), the module runs in a hardened Linux process, and its
// evidence is signed by the node's Ed25519 key.
//
// Such evidence proves only what the node says: that a wasmtee node holding
// this key measured the module and launch configuration it reports. Whoever
// controls the node (root, the hypervisor, the cloud operator) can forge it.
// A verifier should pin the node keys it trusts (see Producer.PublicKey).
//
// # The node key file
//
// The key lives in one file, by default DefaultKeyPath
// (/var/lib/wasmtee/node.key), that only its owner may read: mode 0600 in
// a directory created 0700. The file holds either
//
//   - PEM, a PKCS #8 "PRIVATE KEY" block: what wasmtee writes, and what
//     `openssl genpkey -algorithm ed25519` produces; or
//   - the raw 32-byte Ed25519 seed (RFC 8032's private key), nothing else.
//
// New creates the file on first use. Creation is atomic and race-free: the
// key is written to a new temporary file (O_EXCL) in the same directory and
// then hard-linked to the final name, which fails if the name exists; so a
// reader never sees a partial file, and concurrent processes (several shims
// starting at once) all end up with the key of whichever linked first.
//
// Loading refuses a file that is not a regular file (a symlink included),
// that is readable or writable by group or others, or that is owned by
// another user than the process's effective user. Both rules are
// enclave/internal/keyfile's, which the sgx backend's signing key shares.
package process

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/internal/keyfile"
)

// DefaultKeyPath is where the node key lives unless configured otherwise.
const DefaultKeyPath = "/var/lib/wasmtee/node.key"

// pemType is the PEM block type of PKCS #8 private keys.
const pemType = "PRIVATE KEY"

// maxKeyFile bounds what is read of a key file: a PEM Ed25519 key is about
// 120 bytes.
const maxKeyFile = 64 << 10

// Producer is the process backend's evidence source. It is safe for
// concurrent use.
type Producer struct {
	// key is the node key, expanded from its seed at first use: a shim
	// makes a producer for every container, and expanding an Ed25519 key
	// (its first one in a process builds a table) costs more than the rest
	// of choosing the backend, for a key that most containers never use.
	key func() ed25519.PrivateKey
}

var _ evidence.Producer = (*Producer)(nil)

// New returns a producer signing with the node key at path (DefaultKeyPath
// if empty), creating the key file, and its directory, if they do not
// exist.
func New(path string) (*Producer, error) {
	if path == "" {
		path = DefaultKeyPath
	}
	seed, err := loadOrCreateSeed(path)
	if err != nil {
		return nil, err
	}
	return &Producer{key: sync.OnceValue(func() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(seed) })}, nil
}

// NewWithKey returns a producer signing with key.
func NewWithKey(key ed25519.PrivateKey) (*Producer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("node key has %d bytes, want %d", len(key), ed25519.PrivateKeySize)
	}
	return &Producer{key: func() ed25519.PrivateKey { return key }}, nil
}

// Backend returns "process".
func (p *Producer) Backend() string { return evidence.BackendProcess }

// TEE returns "none".
func (p *Producer) TEE() string { return evidence.TEENone }

// PublicKey returns the node key's public half; evidence.Make puts it in
// the evidence's nodeKey.
func (p *Producer) PublicKey() ed25519.PublicKey {
	return p.key().Public().(ed25519.PublicKey)
}

// Quote signs evidence.SignedMessage(reportData) with the node key. There
// is no provider and there are no certificates.
func (p *Producer) Quote(reportData [64]byte) ([]byte, string, [][]byte, error) {
	return ed25519.Sign(p.key(), evidence.SignedMessage(reportData)), "", nil, nil
}

// loadOrCreateSeed loads the node key's seed from path, or creates the key
// if the file does not exist (see the package documentation); the key is
// expanded from the seed when it is first used.
func loadOrCreateSeed(path string) ([]byte, error) {
	seed, err := loadSeed(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	return seed, err
}

// loadSeed reads the node key's seed from path, refusing a file that
// others may read (see the package documentation). A missing file gives an
// error that matches fs.ErrNotExist.
func loadSeed(path string) ([]byte, error) {
	data, err := readKey(path)
	if err != nil {
		return nil, err
	}
	seed, err := parseSeed(data)
	if err != nil {
		return nil, fmt.Errorf("node key %s: %w", path, err)
	}
	return seed, nil
}

// keyWhat names the node key in errors.
const keyWhat = "node key"

// readKey reads the node key file at path, refusing one that others may
// read (keyfile.Read).
func readKey(path string) ([]byte, error) {
	return keyfile.Read(path, keyWhat, maxKeyFile)
}

// CheckKeyFile reports whether the node key file at path exists and is
// safe to use, without reading the key: nil if it is, an error matching
// fs.ErrNotExist if there is no file, otherwise an error saying what is
// wrong.
func CheckKeyFile(path string) error {
	f, err := keyfile.Open(path, keyWhat)
	if err != nil {
		return err
	}
	return f.Close()
}

// ParseKey decodes a key file's content: PEM (PKCS #8) or a raw 32-byte
// seed.
func ParseKey(data []byte) (ed25519.PrivateKey, error) {
	seed, err := parseSeed(data)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// pkcs8 is PKCS #8's PrivateKeyInfo (RFC 5208) up to the key; the optional
// attributes and public key that may follow are not read.
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// oidEd25519 is the algorithm of Ed25519 keys (RFC 8410).
var oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}

// parseSeed is ParseKey's seed, before the key is expanded from it (which
// is the costly part). A PKCS #8 Ed25519 key holds its seed as an OCTET
// STRING inside the privateKey OCTET STRING (RFC 8410).
func parseSeed(data []byte) ([]byte, error) {
	if len(data) == ed25519.SeedSize {
		return data, nil
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("neither PEM nor a raw %d-byte Ed25519 seed (%d bytes)", ed25519.SeedSize, len(data))
	}
	if block.Type != pemType {
		return nil, fmt.Errorf("PEM block is %q, want %q (PKCS #8)", block.Type, pemType)
	}
	if next, _ := pem.Decode(rest); next != nil {
		return nil, errors.New("more than one PEM block")
	}
	var p pkcs8
	if _, err := asn1.Unmarshal(block.Bytes, &p); err != nil {
		return nil, fmt.Errorf("PKCS #8: %w", err)
	}
	if !p.Algo.Algorithm.Equal(oidEd25519) {
		return nil, fmt.Errorf("the key's algorithm is %v, not Ed25519 (%v)", p.Algo.Algorithm, oidEd25519)
	}
	var seed []byte
	if rest, err := asn1.Unmarshal(p.PrivateKey, &seed); err != nil || len(rest) != 0 || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("PKCS #8: not a %d-byte Ed25519 seed", ed25519.SeedSize)
	}
	return seed, nil
}

// MarshalKey encodes key as wasmtee writes it: PEM, PKCS #8.
func MarshalKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der}), nil
}

// createKey generates a key, publishes it at path (keyfile.Publish) and
// returns its seed. Of concurrent creators exactly one wins; the others
// load its key.
func createKey(path string) ([]byte, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate node key: %w", err)
	}
	data, err := MarshalKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode node key: %w", err)
	}
	if err := keyfile.Publish(path, keyWhat, data); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first: use its key.
			return loadSeed(path)
		}
		return nil, err
	}
	return key.Seed(), nil
}
