package shim

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/ttrpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/shim/api"
)

// registerAttest serves api.AttestService (`wasmtee attest` calls it).
func (s *service) registerAttest(server *ttrpc.Server) {
	server.Register(api.AttestService, map[string]ttrpc.Method{
		api.AttestMethod: func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var in wrapperspb.BytesValue
			if err := unmarshal(&in); err != nil {
				return nil, err
			}
			var req api.AttestRequest
			resp := api.AttestResponse{}
			if err := json.Unmarshal(in.Value, &req); err != nil {
				resp.Error = "bad request: " + err.Error()
			} else if c, err := s.get(req.ContainerID); err != nil || c.ns != req.Namespace {
				resp.NotHere = true
				resp.Error = fmt.Sprintf("container %s in namespace %s is not served by this shim", req.ContainerID, req.Namespace)
			} else if ev, err := s.evidenceFor(req.ContainerID, req.Nonce, req.PublicKey); err != nil {
				resp.Error = err.Error()
			} else {
				resp.Evidence = ev
			}
			out, err := json.Marshal(resp)
			if err != nil {
				return nil, err
			}
			return &wrapperspb.BytesValue{Value: out}, nil
		},
	})
}

// evidenceFor makes evidence about a running container's module: its
// launch measurement, the nonce and key, signed or quoted by the
// container's TEE backend.
func (s *service) evidenceFor(id string, nonce, publicKey []byte) ([]byte, error) {
	c, err := s.get(id)
	if err != nil {
		return nil, err
	}
	if c.attest == nil {
		return nil, fmt.Errorf("container %s has no attestation (it is not a wasm module): %w", id, errdefs.ErrFailedPrecondition)
	}
	ev, err := evidence.Make(c.attest.producer, evidence.Request{Launch: c.attest.launch, Nonce: nonce, PublicKey: publicKey})
	if err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}
