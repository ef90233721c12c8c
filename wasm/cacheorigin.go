package wasm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

const originSuffix = ".digest"

// maxOriginEntries bounds the filed digests the cache keeps (see trim).
const maxOriginEntries = 4096

// The digest of a module file, filed under the file's identity (an image
// layer file's path, inode, size, mtime and ctime: oci.ModuleOrigin.Key).
// Like the artifacts' stamps, an entry is only as good as that identity:
// any write to the file or its replacement changes its ctime, which no one
// can set back, and so its key. Each entry is the 32-byte digest and its
// HMAC under the node key, bound to the identity.

func (c *Cache) originPath(origin string) string {
	k := sha256.Sum256([]byte(origin))
	return filepath.Join(c.Dir, hex.EncodeToString(k[:])+originSuffix)
}

func (c *Cache) originMAC(origin string, digest []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("origin\x00" + origin + "\x00"))
	m.Write(digest)
	return m.Sum(nil)
}

// OriginDigest is the module digest filed under origin, if an entry
// exists and verifies; one that does not verify is removed.
func (c *Cache) OriginDigest(origin string) ([32]byte, bool) {
	var d [32]byte
	b, err := os.ReadFile(c.originPath(origin))
	if err != nil {
		return d, false
	}
	if len(b) != 64 || !hmac.Equal(b[32:], c.originMAC(origin, b[:32])) {
		c.RemoveOriginDigest(origin)
		return d, false
	}
	copy(d[:], b[:32])
	return d, true
}

// StoreOriginDigest files digest under origin.
func (c *Cache) StoreOriginDigest(origin string, digest [32]byte) error {
	return writeAtomic(c.originPath(origin), append(digest[:], c.originMAC(origin, digest[:])...))
}

// RemoveOriginDigest drops the entry for origin.
func (c *Cache) RemoveOriginDigest(origin string) { os.Remove(c.originPath(origin)) }
