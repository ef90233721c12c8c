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
	// Exactly one of producer and remote makes the evidence: producer in
	// the shim, or remote, which asks the module host, for a host that
	// makes it in its SGX enclave (tee.HostSGXEnclave).
	producer evidence.Producer
	remote   func(ctx context.Context, nonce, publicKey []byte) ([]byte, error)
}

// measured is the launch measurement in hex, for the log; "" for a
// container without attestation (a nil a).
func (a *attestation) measured() string {
	if a == nil {
		return ""
	}
	return a.measurement.String()
}
