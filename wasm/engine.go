// Package wasm runs one WebAssembly module through wasmtime-go: it compiles
// (or loads from the node's compile cache), checks, instantiates and runs it
// with the WASI view that the container's spec grants.
package wasm

import (
	"crypto/sha256"
	"encoding/hex"
	"runtime"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// wasmtimeVersion must match go.mod (a unit test checks it): it keys the
// compile cache, so a wasmtime upgrade never loads an old artifact.
const wasmtimeVersion = "v39.0.1"

// engineSettings names every engine setting that changes generated code. Bump
// it whenever NewEngine's configuration changes, so old cache entries miss.
const engineSettings = "wasmtee-engine-1;cranelift;opt=speed;defaults"

// Engine is a wasmtime engine plus the fingerprint of its code generation.
type Engine struct {
	*wasmtime.Engine
	fingerprint string
}

// NewEngine returns the one engine configuration wasmtee uses.
func NewEngine() *Engine {
	cfg := wasmtime.NewConfig()
	cfg.SetCraneliftOptLevel(wasmtime.OptLevelSpeed)
	return &Engine{
		Engine:      wasmtime.NewEngineWithConfig(cfg),
		fingerprint: WasmtimeVersion() + ";" + runtime.GOARCH + ";" + engineSettings,
	}
}

// Fingerprint identifies the code this engine generates: the wasmtime
// version, the target and every code-changing setting.
func (e *Engine) Fingerprint() string { return e.fingerprint }

// WasmtimeVersion is the version of the linked wasmtime-go module.
func WasmtimeVersion() string { return "wasmtime-go@" + wasmtimeVersion }

// CacheKey is the compile-cache key of a module's bytes on this engine.
func (e *Engine) CacheKey(moduleDigest [32]byte) string {
	h := sha256.New()
	h.Write([]byte(e.fingerprint))
	h.Write([]byte{0})
	h.Write(moduleDigest[:])
	return hex.EncodeToString(h.Sum(nil))
}
