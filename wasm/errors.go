package wasm

import (
	"errors"
	"regexp"
	"strings"
)

var (
	// ErrInvalidModule marks bytes that are not a runnable core module.
	ErrInvalidModule = errors.New("invalid WebAssembly module")
	// ErrUnsupported marks a valid module that uses something wasmtee
	// cannot provide yet (components, unknown imports).
	ErrUnsupported = errors.New("unsupported WebAssembly module")
)

var blankRun = regexp.MustCompile(`\s*\n\s*`)

// oneLine flattens wasmtime's multi-line error text ("...\n\nCaused by:\n
// ...") into one line that fits a log entry and ctr's output.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\n\nCaused by:\n", ": ")
	return blankRun.ReplaceAllString(s, "; ")
}
