package wasm

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// DefaultCacheMaxBytes bounds the compile cache when no limit is configured.
const DefaultCacheMaxBytes = 4 << 30

const cacheSuffix = ".cwasm"

// Cache stores compiled modules on the node, one file per key. Writes are
// atomic (temp file + rename). Every entry carries an HMAC-SHA256 under a
// node key kept in the (owner-only) directory, and is verified before it
// reaches wasmtime's deserializer: a damaged or planted entry is discarded
// and the module compiled again, never loaded.
type Cache struct {
	Dir      string
	MaxBytes int64
	key      []byte
}

// OpenCache creates dir (mode 0700) if needed and refuses a directory that
// others could write to.
func OpenCache(dir string, maxBytes int64) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("compile cache: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("compile cache: %w", err)
	}
	if st.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("compile cache %s: writable by group or others (mode %v); refusing to load native code from it", dir, st.Mode().Perm())
	}
	if maxBytes <= 0 {
		maxBytes = DefaultCacheMaxBytes
	}
	key, err := nodeKey(dir)
	if err != nil {
		return nil, fmt.Errorf("compile cache %s: %w", dir, err)
	}
	return &Cache{Dir: dir, MaxBytes: maxBytes, key: key}, nil
}

// Path is where the entry for key lives.
func (c *Cache) Path(key string) string { return filepath.Join(c.Dir, key+cacheSuffix) }

// Lookup returns the path of the entry for key if it exists and its MAC
// verifies, and marks it as recently used. An entry that fails
// verification is removed.
func (c *Cache) Lookup(key string) (string, bool) {
	p := c.Path(key)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() {
		return "", false
	}
	if !c.stampValid(key, st) {
		if err := c.verify(key); err != nil {
			c.Remove(key)
			return "", false
		}
		_ = c.writeStamp(key, st)
	}
	// The stamp's mtime is the entry's last use; the artifact itself is
	// never touched, so that its ctime stays what the stamp recorded.
	now := time.Now()
	_ = os.Chtimes(c.stampPath(key), now, now)
	return p, true
}

// Store writes data as the entry for key, atomically, then trims the cache
// to its size bound (least recently used first).
func (c *Cache) Store(key string, data []byte) error {
	if err := writeAtomic(c.Path(key), data); err != nil {
		return fmt.Errorf("compile cache: write %s: %w", key, err)
	}
	if err := writeAtomic(c.macPath(key), c.mac(key, data)); err != nil {
		c.Remove(key)
		return fmt.Errorf("compile cache: %w", err)
	}
	if st, err := os.Stat(c.Path(key)); err == nil {
		_ = c.writeStamp(key, st)
	}
	return c.trim()
}

// Remove drops the entry for key.
func (c *Cache) Remove(key string) {
	os.Remove(c.Path(key))
	os.Remove(c.macPath(key))
	os.Remove(c.stampPath(key))
}

func (c *Cache) trim() error {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return fmt.Errorf("compile cache: %w", err)
	}
	type file struct {
		path  string
		size  int64
		mtime time.Time
	}
	var files []file
	var digests []os.DirEntry
	var total int64
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), originSuffix) {
			digests = append(digests, e)
			continue
		}
		if !strings.HasSuffix(e.Name(), cacheSuffix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		used := info.ModTime()
		if st, err := os.Stat(c.stampPath(strings.TrimSuffix(e.Name(), cacheSuffix))); err == nil {
			used = st.ModTime()
		}
		files = append(files, file{filepath.Join(c.Dir, e.Name()), info.Size(), used})
		total += info.Size()
	}
	sort.Slice(files, func(i, j int) bool { return files[i].mtime.Before(files[j].mtime) })
	for i := 0; total > c.MaxBytes && i < len(files)-1; i++ {
		if os.Remove(files[i].path) == nil {
			c.Remove(strings.TrimSuffix(filepath.Base(files[i].path), cacheSuffix))
			total -= files[i].size
		}
	}
	c.trimOriginDigests(digests)
	return nil
}

// trimOriginDigests keeps the newest maxOriginEntries of the filed module
// digests (cacheorigin.go), one small file per image layer file seen. A
// dropped one costs its module one hash at its next start, which files it
// again. Within the bound, nothing is stat'ed.
func (c *Cache) trimOriginDigests(digests []os.DirEntry) {
	if len(digests) <= maxOriginEntries {
		return
	}
	mtime := make(map[string]time.Time, len(digests))
	for _, e := range digests {
		if info, err := e.Info(); err == nil {
			mtime[e.Name()] = info.ModTime()
		}
	}
	sort.Slice(digests, func(i, j int) bool { return mtime[digests[i].Name()].After(mtime[digests[j].Name()]) })
	for _, e := range digests[maxOriginEntries:] {
		os.Remove(filepath.Join(c.Dir, e.Name()))
	}
}
