package image

import "errors"

// Errors returned (wrapped, with details) by Build, Open and the Parse
// functions.
// Test for them with errors.Is.
var (
	// ErrInvalidReference means the image reference is malformed.
	ErrInvalidReference = errors.New("invalid image reference")
	// ErrInvalidFileSpec means a HOST:GUEST file specification is malformed.
	ErrInvalidFileSpec = errors.New("invalid file spec")
	// ErrInvalidGuestPath means a path inside the image is not absolute,
	// not clean, or contains "..".
	ErrInvalidGuestPath = errors.New("invalid guest path")
	// ErrDuplicatePath means two files would land on the same guest path,
	// or one file's path is used as another file's parent directory.
	ErrDuplicatePath = errors.New("duplicate guest path")
	// ErrInvalidEnv means an environment entry is not KEY=VALUE.
	ErrInvalidEnv = errors.New("invalid environment variable")
	// ErrInvalidEntrypoint means the entrypoint does not name a file in
	// the image, or has an empty function name after '#'.
	ErrInvalidEntrypoint = errors.New("invalid entrypoint")
	// ErrNotWasm means the module file is not a binary WebAssembly module.
	ErrNotWasm = errors.New("not a WebAssembly module")
	// ErrComponent means the module is a WebAssembly component, which is
	// not supported yet.
	ErrComponent = errors.New("WebAssembly components are not supported yet")
	// ErrNotRegular means a host path is not a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge means an entry of an image tar, or a file of one of its
	// layers, is larger than Open reads (1 GiB), or the layers' files are
	// larger in all.
	ErrTooLarge = errors.New("too large")
)
