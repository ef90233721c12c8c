package verify

import (
	"crypto/ed25519"
	"encoding/base64"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// verifyProcess checks the process backend's node-key signature.
func verifyProcess(ev *evidence.Evidence, rd [64]byte, pc *compiled, res *Result) error {
	if len(ev.NodeKey) != ed25519.PublicKeySize {
		return fail(ReasonSignatureInvalid, nil, "process evidence has no Ed25519 node key (got %d bytes)", len(ev.NodeKey))
	}
	if len(ev.Quote) != ed25519.SignatureSize || !ed25519.Verify(ed25519.PublicKey(ev.NodeKey), evidence.SignedMessage(rd), ev.Quote) {
		return fail(ReasonSignatureInvalid, nil, "the quote is not the node key's Ed25519 signature over the report data")
	}
	res.pass("node-signature")
	if len(pc.nodeKeys) > 0 {
		if !containsBytes(pc.nodeKeys, ev.NodeKey) {
			return fail(ReasonNodeKeyNotAllowed, nil, "node key %s is not one the policy pins", base64.StdEncoding.EncodeToString(ev.NodeKey))
		}
		res.pass("node-key-pinned")
	} else {
		res.warn("the policy pins no node key: any holder of an Ed25519 key could have signed this evidence")
	}
	res.warn("process backend: no hardware TEE; the node's signature says who made the evidence, not that the module is protected from the node")
	return nil
}
