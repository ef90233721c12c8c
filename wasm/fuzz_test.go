package wasm

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzCheckHeader: CheckHeader never panics, accepts exactly what starts
// with the wasm magic and binary version 1 (a core module), and classifies
// what it refuses: a component is unsupported, anything else invalid.
// (It does not fuzz wasmtime's compiler: slow, and not ours.)
func FuzzCheckHeader(f *testing.F) {
	for _, s := range []string{
		"", "\x00", "\x00as", "\x00asm", "\x00asm\x01\x00\x00", "\x00asm\x01\x00\x00\x00",
		"\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00", "\x00asm\x0d\x00\x01\x00", "\x00asm\x0d\x00\x01\x00\x00",
		"\x00asm\x02\x00\x00\x00", "\x00ASM\x01\x00\x00\x00", "\x7fELF\x02\x01\x01\x00", "#!/bin/sh\necho hi\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := bytes.Clone(b)
		err := CheckHeader(b)
		if !bytes.Equal(in, b) {
			t.Fatal("CheckHeader changed its input")
		}
		core := len(b) >= 8 && bytes.Equal(b[:4], wasmMagic) && bytes.Equal(b[4:8], coreVersion)
		if core != (err == nil) {
			t.Fatalf("%q: error %v, but core module header %v", b, err, core)
		}
		if err == nil {
			return
		}
		component := len(b) >= 8 && bytes.Equal(b[:4], wasmMagic) && bytes.Equal(b[4:8], componentLayer)
		switch {
		case component && !errors.Is(err, ErrUnsupported):
			t.Fatalf("%q: component refused as %v, want ErrUnsupported", b, err)
		case !component && !errors.Is(err, ErrInvalidModule):
			t.Fatalf("%q: refused as %v, want ErrInvalidModule", b, err)
		}
	})
}
