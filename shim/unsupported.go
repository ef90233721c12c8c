package shim

import "fmt"

// errExec answers any request about an exec'd process: wasm containers
// have one process, the module.
var errExec = fmt.Errorf("exec processes are not supported yet for wasm containers: %w", errNotImplemented)

// The task API's methods that wasm containers do not support yet, with the
// error each answers (the requests are not decoded).
var (
	errPause      = fmt.Errorf("pause is not supported yet for wasm containers: %w", errNotImplemented)
	errResume     = fmt.Errorf("resume is not supported yet for wasm containers: %w", errNotImplemented)
	errCheckpoint = fmt.Errorf("checkpoint is not supported yet for wasm containers: %w", errNotImplemented)
	errResizePty  = fmt.Errorf("terminals are not supported yet for wasm containers: %w", errNotImplemented)
)
