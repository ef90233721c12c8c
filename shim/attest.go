package shim

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/shim/api"
	"github.com/wasmtee/wasmtee/shim/taskapi"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// registerAttest serves api.AttestService (`wasmtee attest` calls it).
// Its request and answer are JSON in a google.protobuf.BytesValue.
func (s *service) registerAttest(server *ttrpc.Server) {
	server.Register(api.AttestService, map[string]ttrpc.Method{
		api.AttestMethod: func(ctx context.Context, b []byte) ([]byte, error) {
			in, err := taskapi.UnmarshalBytesValue(b)
			if err != nil {
				return nil, toStatus(fmt.Errorf("%w: malformed request: %v", errInvalid, err))
			}
			var req api.AttestRequest
			resp := api.AttestResponse{}
			if err := json.Unmarshal(in, &req); err != nil {
				resp.Error = "bad request: " + err.Error()
			} else if c, err := s.get(req.ContainerID); err != nil || c.ns != req.Namespace {
				resp.NotHere = true
				resp.Error = fmt.Sprintf("container %s in namespace %s is not served by this shim", req.ContainerID, req.Namespace)
			} else if ev, err := c.evidence(req.Nonce, req.PublicKey); err != nil {
				resp.Error = err.Error()
			} else {
				resp.Evidence = ev
			}
			out, err := json.Marshal(resp)
			if err != nil {
				return nil, toStatus(err)
			}
			return taskapi.MarshalBytesValue(out), nil
		},
	})
}

// evidenceFor makes evidence about container id's module (evidence).
func (s *service) evidenceFor(id string, nonce, publicKey []byte) ([]byte, error) {
	c, err := s.get(id)
	if err != nil {
		return nil, err
	}
	return c.evidence(nonce, publicKey)
}

// evidence makes evidence about the running container's module: its
// launch measurement, the nonce and key, signed or quoted by the
// container's TEE backend.
func (c *container) evidence(nonce, publicKey []byte) ([]byte, error) {
	id := c.id
	if c.attest == nil {
		return nil, fmt.Errorf("container %s has no attestation (it is not a wasm module): %w", id, errPrecondition)
	}
	if c.attest.remote != nil {
		return c.attest.fromHost(id, nonce, publicKey)
	}
	ev, err := evidence.Make(c.attest.producer, evidence.Request{Launch: c.attest.launch, Nonce: nonce, PublicKey: publicKey})
	if err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}

// remoteTimeout bounds an evidence request to a module host.
const remoteTimeout = time.Minute

// fromHost asks the module host for evidence (sgx: made in its enclave)
// and checks that it is about this container's launch and nonce before
// passing it on; the verifier checks the rest.
func (a *attestation) fromHost(id string, nonce, publicKey []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	data, err := a.remote(ctx, nonce, publicKey)
	if err != nil {
		return nil, fmt.Errorf("container %s: evidence: %w", id, err)
	}
	ev, err := evidence.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("container %s: the module host's evidence: %w", id, err)
	}
	if ev.Measurement != a.measurement.String() || ev.Nonce != hex.EncodeToString(nonce) || ev.Backend != a.launch.Backend {
		return nil, fmt.Errorf("container %s: the module host's evidence is about measurement %s, backend %s, nonce %s; want %s, %s, %x",
			id, ev.Measurement, ev.Backend, ev.Nonce, a.measurement, a.launch.Backend, nonce)
	}
	return data, nil
}
