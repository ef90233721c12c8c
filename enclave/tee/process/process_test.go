package process

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

func testLaunch() measure.Launch {
	return measure.Launch{
		Module: strings.Repeat("ab", 32),
		Entry:  "_start",
		Args:   []string{"app.wasm"},
	}
}

func TestCreateThenLoad(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "var", "lib", "wasmtee")
	path := filepath.Join(dir, "node.key")
	p1, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %04o, want 0600", st.Mode().Perm())
	}
	dst, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %04o, want 0700", dst.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("key file is not PEM PKCS #8:\n%s", data)
	}
	p2, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	if !p1.PublicKey().Equal(p2.PublicKey()) {
		t.Error("second New made a different key")
	}
	// No temporary files are left behind.
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only node.key", len(ents))
	}
}

func TestQuoteAndEvidence(t *testing.T) {
	p, err := New(filepath.Join(t.TempDir(), "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Backend() != "process" || p.TEE() != "none" {
		t.Errorf("backend %q tee %q", p.Backend(), p.TEE())
	}
	e, err := evidence.Make(p, evidence.Request{Launch: testLaunch(), Nonce: []byte("nonce")})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.NodeKey, p.PublicKey()) {
		t.Error("evidence nodeKey is not the producer's public key")
	}
	if e.Provider != "" || e.Certificates != nil {
		t.Errorf("provider %q certificates %v, want none", e.Provider, e.Certificates)
	}
	m, _ := measure.Measure(e.Launch)
	rd := measure.ReportData(m, []byte("nonce"), nil)
	if !ed25519.Verify(p.PublicKey(), evidence.SignedMessage(rd), e.Quote) {
		t.Error("quote does not verify against the node key")
	}
	rd[0] ^= 1
	if ed25519.Verify(p.PublicKey(), evidence.SignedMessage(rd), e.Quote) {
		t.Error("quote verifies for other report data")
	}
}

func TestConcurrentCreateAgrees(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "node.key")
	const n = 16
	keys := make([]ed25519.PublicKey, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := New(path)
			errs[i] = err
			if err == nil {
				keys[i] = p.PublicKey()
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("New %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("New %d got a different key", i)
		}
	}
}

func TestRawSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := New(path)
	if err != nil {
		t.Fatal(err)
	}
	want := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if !p.PublicKey().Equal(want) {
		t.Error("raw seed loaded as a different key")
	}
}

func TestRefusals(t *testing.T) {
	good, err := MarshalKey(ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(path string)
		want  string
	}{
		// The file checks are keyfile's, whose tests have every case; a
		// mode and a symlink refusal show that the node key goes through
		// them.
		{"world readable", func(p string) { os.WriteFile(p, good, 0o600); os.Chmod(p, 0o604) }, "accessible by group or others (mode 0604)"},
		{"symlink", func(p string) {
			os.WriteFile(p+".real", good, 0o600)
			os.Symlink(p+".real", p)
		}, "symbolic link"},
		{"garbage", func(p string) { os.WriteFile(p, []byte("hello"), 0o600) }, "neither PEM nor a raw 32-byte Ed25519 seed"},
		{"wrong PEM type", func(p string) {
			os.WriteFile(p, bytes.Replace(good, []byte("PRIVATE KEY"), []byte("PUBLIC KEY"), 2), 0o600)
		}, `PEM block is "PUBLIC KEY"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "node.key")
			tt.setup(path)
			_, err := New(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(tt.name, "readable") || tt.name == "symlink" {
				if err := CheckKeyFile(path); err == nil {
					t.Error("CheckKeyFile accepted the file")
				}
			}
		})
	}
}

func TestCheckKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.key")
	if err := CheckKeyFile(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing key: %v, want fs.ErrNotExist", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Error("CheckKeyFile created the key")
	}
	if _, err := New(path); err != nil {
		t.Fatal(err)
	}
	if err := CheckKeyFile(path); err != nil {
		t.Errorf("fresh key: %v", err)
	}
}

// ParseKey reads the seed out of PKCS #8 itself (so that a producer can
// expand the key only when it signs): the same key as the standard
// library's parser, and other algorithms refused.
func TestParseKeyPKCS8(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKey(data)
	if err != nil || !got.Equal(key) {
		t.Fatalf("ParseKey(MarshalKey(k)) = %x, %v", got, err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKey(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err == nil || !strings.Contains(err.Error(), "not Ed25519") {
		t.Errorf("an RSA key: %v", err)
	}
}
