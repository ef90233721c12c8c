package shim

import (
	"context"
	"fmt"

	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// taskService is the ttrpc service name of containerd's task API v2.
const taskService = "containerd.task.v2.Task"

// register serves the task API and the attestation service on server.
// Requests without a namespace get the shim's, ns.
func (s *service) register(server *ttrpc.Server, ns string) {
	m := methods{ns: ns}
	server.Register(taskService, map[string]ttrpc.Method{
		"State":      unary(m, s.State),
		"Create":     unary(m, s.Create),
		"Start":      unary(m, s.Start),
		"Delete":     unary(m, s.Delete),
		"Pids":       unary(m, s.Pids),
		"Kill":       noReply(m, s.Kill),
		"CloseIO":    noReply(m, s.CloseIO),
		"Update":     noReply(m, s.Update),
		"Wait":       unary(m, s.Wait),
		"Stats":      unary(m, s.Stats),
		"Connect":    unary(m, s.Connect),
		"Shutdown":   noReply(m, s.Shutdown),
		"Exec":       refuse(errExec),
		"ResizePty":  refuse(errResizePty),
		"Pause":      refuse(errPause),
		"Resume":     refuse(errResume),
		"Checkpoint": refuse(errCheckpoint),
	})
	s.registerAttest(server)
}

// methods adapts the task service's typed methods to ttrpc: it decodes the
// request, gives the context the request's namespace, encodes the reply,
// and turns errors into status codes (toStatus, the one error boundary).
type methods struct{ ns string }

func (m methods) context(ctx context.Context) context.Context {
	if ns, ok := ttrpc.Metadata(ctx).Get(nsMetadataKey); ok && ns != "" {
		return withNamespace(ctx, ns)
	}
	return withNamespace(ctx, m.ns)
}

// request is a decodable request message (a pointer to R).
type request[R any] interface {
	*R
	Unmarshal([]byte) error
}

func decode[R any, P request[R]](b []byte) (P, error) {
	r := P(new(R))
	if err := r.Unmarshal(b); err != nil {
		return nil, toStatus(fmt.Errorf("%w: malformed request: %v", errInvalid, err))
	}
	return r, nil
}

func unary[R any, P request[R], A interface{ Marshal() []byte }](m methods, h func(context.Context, P) (A, error)) ttrpc.Method {
	return func(ctx context.Context, b []byte) ([]byte, error) {
		r, err := decode[R, P](b)
		if err != nil {
			return nil, err
		}
		a, err := h(m.context(ctx), r)
		if err != nil {
			return nil, toStatus(err)
		}
		return a.Marshal(), nil
	}
}

// noReply adapts a method whose reply is google.protobuf.Empty.
func noReply[R any, P request[R]](m methods, h func(context.Context, P) error) ttrpc.Method {
	return func(ctx context.Context, b []byte) ([]byte, error) {
		r, err := decode[R, P](b)
		if err != nil {
			return nil, err
		}
		return nil, toStatus(h(m.context(ctx), r))
	}
}

// refuse answers a method this shim does not support with err.
func refuse(err error) ttrpc.Method {
	return func(context.Context, []byte) ([]byte, error) { return nil, toStatus(err) }
}
