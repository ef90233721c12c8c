package wasm

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A module's digest filed under its file's identity spares the hash of a
// later load; an entry that does not verify, or a digest that does not
// match the bytes when they are compiled anyway, is not used.
func TestLoadOrigin(t *testing.T) {
	a := wat(t, `(module (func (export "_start")))`)
	b := wat(t, `(module (memory 1) (func (export "_start")))`)
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine()
	const origin = "/layers/1/fs\x00m.wasm\x0042\x00100\x001\x002"

	l, err := Load(e, a, c, LoadOptions{Origin: origin})
	if err != nil || l.Source != FromCompile || l.DigestKnown || l.Digest != sha256.Sum256(a) {
		t.Fatalf("first load: %+v, %v", l, err)
	}
	l, err = Load(e, a, c, LoadOptions{Origin: origin})
	if err != nil || l.Source != FromCache || !l.DigestKnown || l.Digest != sha256.Sum256(a) {
		t.Fatalf("second load: %+v, %v", l, err)
	}
	if l, err = Load(e, a, c, LoadOptions{}); err != nil || l.DigestKnown {
		t.Fatalf("load without an origin: %+v, %v", l, err)
	}

	// A damaged entry is dropped and the module hashed.
	p := c.originPath(origin)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	data[0] ^= 1
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if l, err = Load(e, a, c, LoadOptions{Origin: origin}); err != nil || l.DigestKnown || l.Digest != sha256.Sum256(a) {
		t.Fatalf("damaged entry: %+v, %v", l, err)
	}

	// An entry filed under another module's key (a MAC from elsewhere
	// does not verify here).
	const other = "/layers/2/fs\x00m.wasm\x0043\x00100\x001\x002"
	if err := c.StoreOriginDigest(other, sha256.Sum256(b)); err != nil {
		t.Fatal(err)
	}
	moved, _ := os.ReadFile(c.originPath(other))
	if err := os.WriteFile(c.originPath(origin), moved, 0o600); err != nil {
		t.Fatal(err)
	}
	if d, ok := c.OriginDigest(origin); ok {
		t.Fatalf("an entry copied from another key verified: %x", d)
	}

	// A verified digest that is not the bytes' (the file changed without
	// its identity changing) is caught when the module is compiled.
	if err := c.StoreOriginDigest(origin, sha256.Sum256(b)); err != nil {
		t.Fatal(err)
	}
	ents, _ := filepath.Glob(filepath.Join(c.Dir, "*"+cacheSuffix))
	for _, f := range ents {
		c.Remove(filepath.Base(f[:len(f)-len(cacheSuffix)]))
	}
	l, err = Load(e, a, c, LoadOptions{Origin: origin})
	if err != nil || l.Source != FromCompile || l.DigestKnown || l.Digest != sha256.Sum256(a) {
		t.Fatalf("stale filed digest: %+v, %v", l, err)
	}
	if d, ok := c.OriginDigest(origin); !ok || d != sha256.Sum256(a) {
		t.Errorf("after the compile, the filed digest is %x (%v), want the module's", d, ok)
	}
}

// Filed digests are bounded: a trim keeps the newest maxOriginEntries.
func TestOriginDigestsTrimmed(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Hour)
	n := maxOriginEntries + 3
	for i := 0; i < n; i++ {
		o := fmt.Sprintf("layer-file-%d", i)
		if err := c.StoreOriginDigest(o, [32]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		ts := base.Add(time.Duration(i) * time.Second)
		os.Chtimes(c.originPath(o), ts, ts)
	}
	if err := c.Store("k", []byte("artifact")); err != nil { // trims
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, ok := c.OriginDigest(fmt.Sprintf("layer-file-%d", i)); ok {
			t.Errorf("oldest digest %d kept past the bound", i)
		}
	}
	for _, i := range []int{3, n - 1} {
		if _, ok := c.OriginDigest(fmt.Sprintf("layer-file-%d", i)); !ok {
			t.Errorf("digest %d dropped within the bound", i)
		}
	}
	if _, ok := c.Lookup("k"); !ok {
		t.Error("the artifact was dropped")
	}
}
