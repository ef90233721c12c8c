package sgx

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSigningKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state", SigningKeyName)
	k, created, err := EnsureSigningKey(path)
	if err != nil || !created {
		t.Fatalf("EnsureSigningKey: %v %v", created, err)
	}
	if k.N.BitLen() != 3072 || k.E != 3 {
		t.Errorf("key of %d bits, exponent %d", k.N.BitLen(), k.E)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	if st, _ := os.Stat(filepath.Dir(path)); st.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %v", st.Mode())
	}
	// It signs and verifies (crypto/rsa accepts exponent 3).
	d := sha256.Sum256([]byte("sigstruct"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, 5 /* crypto.SHA256 */, d[:])
	if err != nil || rsa.VerifyPKCS1v15(&k.PublicKey, 5, d[:], sig) != nil {
		t.Errorf("sign/verify: %v", err)
	}
	again, created, err := EnsureSigningKey(path)
	if err != nil || created || again.N.Cmp(k.N) != 0 {
		t.Errorf("second EnsureSigningKey: %v %v", created, err)
	}
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	// MRSIGNER: SHA-256 of the little-endian modulus.
	be := k.N.FillBytes(make([]byte, 384))
	le := make([]byte, 384)
	for i := range be {
		le[i] = be[383-i]
	}
	if MRSigner(&k.PublicKey) != sha256.Sum256(le) {
		t.Error("MRSigner")
	}
}

func TestSigningKeyConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), SigningKeyName)
	var wg sync.WaitGroup
	keys := make([]*rsa.PrivateKey, 4)
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, _, err := EnsureSigningKey(path)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		}()
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k == nil || keys[0] == nil || k.N.Cmp(keys[0].N) != 0 {
			t.Fatal("concurrent creators ended with different keys")
		}
	}
}

func TestSigningKeyRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, k *rsa.PrivateKey, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}), mode)
		os.Chmod(p, mode)
		return p
	}
	std, err := rsa.GenerateKey(rand.Reader, 3072) // exponent 65537
	if err != nil {
		t.Fatal(err)
	}
	good, _ := GenerateSigningKey(nil)
	link := filepath.Join(dir, "link.pem")
	os.Symlink(write("good.pem", good, 0o600), link)
	for _, tc := range []struct{ path, want string }{
		{write("e65537.pem", std, 0o600), "exponent 3"},
		{write("open.pem", good, 0o644), "accessible by group or others"},
		{filepath.Join(dir, "open.pem") + ".missing", "does not exist"},
		{link, "is a symbolic link"},
	} {
		if _, err := LoadSigningKey(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
	}
	if _, _, err := EnsureSigningKey(filepath.Join(dir, "e65537.pem")); err == nil {
		t.Error("EnsureSigningKey accepted an exponent-65537 key")
	}
}
