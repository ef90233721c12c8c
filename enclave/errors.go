package enclave

import (
	"errors"

	"github.com/wasmtee/wasmtee/enclave/control"
)

var (
	// ErrInvalid marks a module or workload the host refused to load.
	ErrInvalid = errors.New("invalid module")
	// ErrUnsupported marks a module that needs what the host lacks.
	ErrUnsupported = errors.New("unsupported module")
	// ErrNotInstalled marks a node where the module host binary is
	// missing.
	ErrNotInstalled = errors.New("wasmtee is not installed completely")
	// ErrGramineNotInstalled marks a node where the sgx backend cannot
	// start enclaves because Gramine's tools are missing: Gramine is not
	// wasmtee's to install.
	ErrGramineNotInstalled = errors.New("the sgx backend cannot start enclaves on this node")
	// ErrHostDied marks a module host that exited while the shim waited
	// for an answer.
	ErrHostDied = errors.New("module host exited")
)

// hostError is an error reported by the module host: its text as the host
// wrote it, classified by one of the sentinels above (or none).
type hostError struct {
	kind error
	msg  string
}

func (e *hostError) Error() string { return e.msg }
func (e *hostError) Unwrap() error { return e.kind }

func replyErr(r control.Reply) error {
	if r.Error == "" {
		return nil
	}
	e := &hostError{msg: r.Error}
	switch r.Kind {
	case control.KindInvalid:
		e.kind = ErrInvalid
	case control.KindUnsupported:
		e.kind = ErrUnsupported
	}
	return e
}
