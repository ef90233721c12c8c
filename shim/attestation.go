package shim

import (
	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// attestation is what a container's evidence is made from.
type attestation struct {
	launch      measure.Launch
	measurement measure.Measurement
	producer    evidence.Producer
}
