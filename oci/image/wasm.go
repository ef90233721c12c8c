package image

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

var wasmMagic = []byte{0x00, 'a', 's', 'm'}

const (
	// wasmCoreVersion is the version field of a core module (MVP and later).
	wasmCoreVersion = 0x0000_0001
	// wasmComponentVersion is the version+layer field of a component
	// binary (bytes 0d 00 01 00).
	wasmComponentVersion = 0x0001_000d
)

// checkWasm reports whether b starts with the header of a core WebAssembly
// module (magic "\0asm", version 1). label (e.g. "module hello.wasm")
// starts error messages.
func checkWasm(label string, b []byte) error {
	if len(b) < 8 || !bytes.Equal(b[:4], wasmMagic) {
		hint := ""
		if t := bytes.TrimLeft(b, " \t\r\n"); bytes.HasPrefix(t, []byte("(module")) || bytes.HasPrefix(t, []byte(";;")) {
			hint = " (it looks like the WebAssembly text format; compile it with wat2wasm first)"
		}
		return fmt.Errorf("%s: %w: missing \\0asm header%s", label, ErrNotWasm, hint)
	}
	switch v := binary.LittleEndian.Uint32(b[4:8]); v {
	case wasmCoreVersion:
		return nil
	case wasmComponentVersion:
		return fmt.Errorf("%s: %w", label, ErrComponent)
	default:
		return fmt.Errorf("%s: %w: unsupported binary version % x", label, ErrNotWasm, b[4:8])
	}
}
