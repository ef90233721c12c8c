package shim

import (
	"context"
	"errors"

	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/ttrpc"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/oci"
)

var (
	errInvalid        = errdefs.ErrInvalidArgument
	errNotFound       = errdefs.ErrNotFound
	errExists         = errdefs.ErrAlreadyExists
	errPrecondition   = errdefs.ErrFailedPrecondition
	errNotImplemented = errdefs.ErrNotImplemented
)

// toGRPC is the one place where errors become ttrpc status codes. Inside
// the shim errors wrap the errdefs sentinels, or the oci/enclave ones that
// classify a user's mistake.
func toGRPC(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, oci.ErrInvalidSpec), errors.Is(err, oci.ErrModuleNotFound),
		errors.Is(err, enclave.ErrInvalid):
		err = wrapKeep(errdefs.ErrInvalidArgument, err)
	case errors.Is(err, enclave.ErrUnsupported):
		err = wrapKeep(errdefs.ErrNotImplemented, err)
	case errors.Is(err, enclave.ErrNotInstalled), errors.Is(err, enclave.ErrGramineNotInstalled):
		err = wrapKeep(errdefs.ErrFailedPrecondition, err)
	}
	return errdefs.ToGRPC(err)
}

// wrapKeep makes err match kind with errors.Is while keeping err's text.
func wrapKeep(kind, err error) error { return &classified{kind: kind, err: err} }

type classified struct{ kind, err error }

func (c *classified) Error() string   { return c.err.Error() }
func (c *classified) Unwrap() []error { return []error{c.kind, c.err} }

// errorBoundary is a ttrpc interceptor that maps every task service error.
func errorBoundary(ctx context.Context, u ttrpc.Unmarshaler, info *ttrpc.UnaryServerInfo, m ttrpc.Method) (any, error) {
	resp, err := m(ctx, u)
	return resp, toGRPC(err)
}
