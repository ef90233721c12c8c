package wasm

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

var (
	wasmMagic      = []byte("\x00asm")
	coreVersion    = []byte{1, 0, 0, 0}
	componentLayer = []byte{0x0d, 0x00, 0x01, 0x00}
)

// Source says where a loaded module came from.
type Source string

const (
	FromCache   Source = "cache"
	FromCompile Source = "compile"
)

// Loaded is a compiled module ready to instantiate.
type Loaded struct {
	Module *wasmtime.Module
	Digest [32]byte
	Source Source
	// DigestKnown is set when Digest came from the cache, filed under the
	// module file's identity, instead of from hashing the module.
	DigestKnown bool
	// CacheErr is set when the module compiled but could not be cached.
	CacheErr error
}

// CheckHeader rejects bytes that are not a core WebAssembly module with an
// error that says what they are instead.
func CheckHeader(b []byte) error {
	switch {
	case len(b) == 0:
		return fmt.Errorf("%w: empty file", ErrInvalidModule)
	case len(b) < 8:
		if bytes.HasPrefix(wasmMagic, b) || bytes.HasPrefix(b, wasmMagic) {
			return fmt.Errorf("%w: truncated header: unexpected end of file after %d bytes", ErrInvalidModule, len(b))
		}
		return fmt.Errorf("%w: bad magic number (not a .wasm file)", ErrInvalidModule)
	case !bytes.Equal(b[:4], wasmMagic):
		return fmt.Errorf("%w: bad magic number %q (not a .wasm file)", ErrInvalidModule, b[:4])
	case bytes.Equal(b[4:8], componentLayer):
		return fmt.Errorf("%w: this is a WebAssembly component; components (WASI 0.2) are not supported yet, only core modules (WASI preview1)", ErrUnsupported)
	case !bytes.Equal(b[4:8], coreVersion):
		return fmt.Errorf("%w: unknown binary version % x", ErrInvalidModule, b[4:8])
	}
	return nil
}

// LoadOptions are Load's.
type LoadOptions struct {
	// Origin is the module file's identity (oci.ModuleOrigin.Key; "" for
	// none): when the cache holds the digest of that file, the module is
	// not hashed again, and when it does not, the digest is filed under
	// origin for the next start. Hashing is most of a cached start of a
	// large module (20 ms for 30 MB).
	Origin string
	// BeforeCompile, if set, is called before the module is compiled (not
	// before a load from the cache); an error ends the load.
	BeforeCompile func() error
}

// Load returns the compiled form of wasm: from cache when an entry exists
// and loads, otherwise by compiling (and then caching). cache may be nil;
// o may be the zero LoadOptions.
func Load(e *Engine, wasm []byte, cache *Cache, o LoadOptions) (*Loaded, error) {
	if err := CheckHeader(wasm); err != nil {
		return nil, err
	}
	var digest [32]byte
	known := false
	if cache != nil && o.Origin != "" {
		digest, known = cache.OriginDigest(o.Origin)
	}
	if !known {
		digest = sha256.Sum256(wasm)
	}
	key := e.CacheKey(digest)
	if cache != nil {
		if path, ok := cache.Lookup(key); ok {
			m, err := wasmtime.NewModuleDeserializeFile(e.Engine, path)
			if err == nil {
				if !known && o.Origin != "" {
					_ = cache.StoreOriginDigest(o.Origin, digest)
				}
				return &Loaded{Module: m, Digest: digest, Source: FromCache, DigestKnown: known}, nil
			}
			cache.Remove(key)
		}
	}
	if known {
		// Compiling reads every byte anyway: hash them rather than trust
		// the filed digest (a wrong entry is overwritten below).
		if d := sha256.Sum256(wasm); d != digest {
			cache.RemoveOriginDigest(o.Origin)
			digest = d
		}
	}
	if o.BeforeCompile != nil {
		if err := o.BeforeCompile(); err != nil {
			return nil, err
		}
	}
	m, err := wasmtime.NewModule(e.Engine, wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidModule, oneLine(err.Error()))
	}
	l := &Loaded{Module: m, Digest: digest, Source: FromCompile}
	if cache != nil {
		l.CacheErr = storeCompiled(cache, e.CacheKey(digest), m)
		if l.CacheErr == nil && o.Origin != "" {
			_ = cache.StoreOriginDigest(o.Origin, digest)
		}
	}
	return l, nil
}

func storeCompiled(cache *Cache, key string, m *wasmtime.Module) error {
	data, err := m.Serialize()
	if err != nil {
		return fmt.Errorf("serialize compiled module: %w", err)
	}
	return cache.Store(key, data)
}
