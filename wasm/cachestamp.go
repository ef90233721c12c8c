package wasm

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

const stampSuffix = ".stamp"

func (c *Cache) stampPath(key string) string { return filepath.Join(c.Dir, key+stampSuffix) }

// stamp authenticates the identity of an entry's file as it was when its
// content last verified: inode, size, mtime and ctime. Any write to the
// file, or its replacement, changes the ctime (which no one can set back),
// so a matching stamp lets a load skip re-hashing a large artifact. What it
// does not catch is a change that bypasses the file system (a disk that
// silently corrupts data); the full MAC still guards every entry whose
// stamp is missing or stale.
func (c *Cache) stamp(key string, st fs.FileInfo) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("stamp\x00" + key + "\x00"))
	var b [8]byte
	put := func(v uint64) { binary.LittleEndian.PutUint64(b[:], v); m.Write(b[:]) }
	put(uint64(st.Size()))
	put(uint64(st.ModTime().UnixNano()))
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		put(sys.Ino)
		put(sys.Dev)
		put(uint64(sys.Ctim.Sec))
		put(uint64(sys.Ctim.Nsec))
	}
	return m.Sum(nil)
}

func (c *Cache) stampValid(key string, st fs.FileInfo) bool {
	got, err := os.ReadFile(c.stampPath(key))
	return err == nil && hmac.Equal(got, c.stamp(key, st))
}

func (c *Cache) writeStamp(key string, st fs.FileInfo) error {
	return writeAtomic(c.stampPath(key), c.stamp(key, st))
}
