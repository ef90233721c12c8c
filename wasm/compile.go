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

// Load returns the compiled form of wasm: from cache when an entry exists
// and loads, otherwise by compiling (and then caching). cache may be nil.
func Load(e *Engine, wasm []byte, cache *Cache) (*Loaded, error) {
	if err := CheckHeader(wasm); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(wasm)
	key := e.CacheKey(digest)
	if cache != nil {
		if path, ok := cache.Lookup(key); ok {
			m, err := wasmtime.NewModuleDeserializeFile(e.Engine, path)
			if err == nil {
				return &Loaded{Module: m, Digest: digest, Source: FromCache}, nil
			}
			cache.Remove(key)
		}
	}
	m, err := wasmtime.NewModule(e.Engine, wasm)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidModule, oneLine(err.Error()))
	}
	l := &Loaded{Module: m, Digest: digest, Source: FromCompile}
	if cache != nil {
		l.CacheErr = storeCompiled(cache, key, m)
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
