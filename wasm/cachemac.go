package wasm

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

const (
	macSuffix   = ".mac"
	nodeKeyFile = "node.key"
	nodeKeySize = 32
)

func (c *Cache) macPath(key string) string { return filepath.Join(c.Dir, key+macSuffix) }

// mac authenticates an entry's bytes and the key they are filed under, so
// an entry copied to another key does not verify either.
func (c *Cache) mac(key string, data []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(key))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum(nil)
}

// verify checks the entry for key against its MAC, streaming the file.
func (c *Cache) verify(key string) error {
	want, err := os.ReadFile(c.macPath(key))
	if err != nil {
		return err
	}
	f, err := os.Open(c.Path(key))
	if err != nil {
		return err
	}
	defer f.Close()
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(key))
	m.Write([]byte{0})
	if _, err := io.Copy(m, f); err != nil {
		return err
	}
	if !hmac.Equal(m.Sum(nil), want) {
		return errors.New("cache entry does not match its MAC")
	}
	return nil
}

// nodeKey reads the cache's MAC key, creating it on first use.
func nodeKey(dir string) ([]byte, error) {
	p := filepath.Join(dir, nodeKeyFile)
	key, err := os.ReadFile(p)
	if err == nil && len(key) == nodeKeySize {
		return key, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	key = make([]byte, nodeKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	tmp := p + fmt.Sprintf(".%d", os.Getpid())
	if err := os.WriteFile(tmp, key, 0o600); err != nil {
		return nil, fmt.Errorf("write node key: %w", err)
	}
	defer os.Remove(tmp)
	// Link, not rename: if another process created the key first, keep
	// theirs, since entries may already be signed with it.
	if err := os.Link(tmp, p); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("write node key: %w", err)
	}
	return os.ReadFile(p)
}

// writeAtomic writes data to path (mode 0600) through a temp file + rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
