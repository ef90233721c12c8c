package shim

import (
	"context"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// attestation is what a container's evidence is made from.
type attestation struct {
	launch      measure.Launch
	measurement measure.Measurement
	producer    evidence.Producer
	// remote, if set, asks the module host for evidence: a host in an SGX
	// enclave makes it there (producer is then sgx.Enclave).
	remote func(ctx context.Context, nonce, publicKey []byte) ([]byte, error)
}
