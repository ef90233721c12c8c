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

var (
	causedBy = regexp.MustCompile(`\s*\n\s*Caused by:\s*`)
	blankRun = regexp.MustCompile(`\s*\n\s*`)
)

// oneLine flattens wasmtime's multi-line error text ("...\n\nCaused by:\n
// ...") into one line that fits a log entry and ctr's output.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = causedBy.ReplaceAllString(s, ": ")
	return blankRun.ReplaceAllString(s, "; ")
}

// formatTrap puts wasmtime's trap cause first and its wasm backtrace after,
// for the container's stderr.
func formatTrap(s string) string {
	head, cause, ok := strings.Cut(strings.TrimSpace(s), "Caused by:")
	if !ok {
		return strings.TrimPrefix(s, "wasm trap: ")
	}
	cause = strings.TrimPrefix(strings.TrimSpace(cause), "wasm trap: ")
	head = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(head), "error while executing at "))
	if head == "" {
		return cause
	}
	return cause + "\n" + head
}
