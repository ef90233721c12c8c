package api

import "encoding/json"

// The attestation service a shim serves beside the task API, on the same
// socket. Requests and responses are JSON in a protobuf BytesValue.
const (
	AttestService = "wasmtee.attest.v1.Attest"
	AttestMethod  = "Evidence"
)

// AttestRequest asks for evidence about one container.
type AttestRequest struct {
	Namespace   string `json:"namespace"`
	ContainerID string `json:"containerID"`
	Nonce       []byte `json:"nonce"`
	PublicKey   []byte `json:"publicKey,omitempty"`
}

// AttestResponse carries the evidence JSON, or why there is none.
type AttestResponse struct {
	Evidence json.RawMessage `json:"evidence,omitempty"`
	Error    string          `json:"error,omitempty"`
	// NotHere is set when this shim does not serve the container.
	NotHere bool `json:"notHere,omitempty"`
}
