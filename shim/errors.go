package shim

import (
	"errors"

	"github.com/containerd/errdefs"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

var (
	errInvalid        = errdefs.ErrInvalidArgument
	errNotFound       = errdefs.ErrNotFound
	errExists         = errdefs.ErrAlreadyExists
	errPrecondition   = errdefs.ErrFailedPrecondition
	errNotImplemented = errdefs.ErrNotImplemented
)

// toStatus is the one place where errors become ttrpc status codes, the
// codes containerd turns back into its error kinds. Inside the shim errors
// wrap the errdefs sentinels, or the oci/enclave ones that classify a
// user's mistake. The message is the error's whole text, as containerd's
// own shims send it.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	return &ttrpc.Status{Code: codeOf(err), Message: err.Error()}
}

func codeOf(err error) ttrpc.Code {
	switch {
	case errors.Is(err, oci.ErrInvalidSpec), errors.Is(err, oci.ErrModuleNotFound),
		errors.Is(err, enclave.ErrInvalid), errdefs.IsInvalidArgument(err):
		return ttrpc.InvalidArgument
	case errors.Is(err, enclave.ErrUnsupported), errdefs.IsNotImplemented(err):
		return ttrpc.Unimplemented
	case errors.Is(err, enclave.ErrNotInstalled), errors.Is(err, enclave.ErrGramineNotInstalled),
		errdefs.IsFailedPrecondition(err):
		return ttrpc.FailedPrecondition
	case errdefs.IsNotFound(err):
		return ttrpc.NotFound
	case errdefs.IsAlreadyExists(err):
		return ttrpc.AlreadyExists
	case errdefs.IsUnavailable(err):
		return ttrpc.Unavailable
	case errdefs.IsPermissionDenied(err):
		return ttrpc.PermissionDenied
	case errdefs.IsResourceExhausted(err):
		return ttrpc.ResourceExhausted
	case errdefs.IsCanceled(err): // context.Canceled too
		return ttrpc.Canceled
	case errdefs.IsDeadlineExceeded(err): // context.DeadlineExceeded too
		return ttrpc.DeadlineExceeded
	}
	return ttrpc.Unknown
}

// wrapKeep makes err match kind with errors.Is while keeping err's text.
func wrapKeep(kind, err error) error { return &classified{kind: kind, err: err} }

type classified struct{ kind, err error }

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.kind, c.err} }
