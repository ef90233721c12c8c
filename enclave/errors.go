package enclave

import "errors"

var (
	// ErrInvalid marks a module or workload the host refused to load.
	ErrInvalid = errors.New("invalid module")
	// ErrUnsupported marks a module that needs what the host lacks.
	ErrUnsupported = errors.New("unsupported module")
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

func replyErr(r reply) error {
	if r.Error == "" {
		return nil
	}
	e := &hostError{msg: r.Error}
	switch r.Kind {
	case kindInvalid:
		e.kind = ErrInvalid
	case kindUnsupported:
		e.kind = ErrUnsupported
	}
	return e
}

const (
	kindInvalid     = "invalid"
	kindUnsupported = "unsupported"
)
