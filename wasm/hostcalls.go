package wasm

import (
	"github.com/bytecodealliance/wasmtime-go/v39"
)

// HostModule is the import module of wasmtee's host functions.
const HostModule = "wasmtee"

// EvidenceFunc returns attestation evidence (JSON) for the running module,
// binding nonce and, if given, a public key the module holds.
type EvidenceFunc func(nonce, publicKey []byte) ([]byte, error)

// Results of the evidence host calls besides a length.
const (
	// EvidenceUnavailable: no evidence could be made (see the container's
	// stderr for why).
	EvidenceUnavailable int32 = -1
	// EvidenceBadArgs: a pointer or length is outside the module's memory.
	EvidenceBadArgs int32 = -2
)

// defineHostCalls adds wasmtee's host functions to the linker:
//
//	wasmtee.get_evidence(nonce_ptr, nonce_len, out_ptr, out_cap) -> i32
//	wasmtee.get_evidence_with_key(nonce_ptr, nonce_len, key_ptr, key_len, out_ptr, out_cap) -> i32
//
// They write the evidence JSON to out and return its length. If out_cap is
// too small nothing is written and the length needed is returned (call
// again with a bigger buffer). Negative results: EvidenceUnavailable,
// EvidenceBadArgs. The nonce should be fresh for every verifier challenge.
func defineHostCalls(l *wasmtime.Linker, get EvidenceFunc, warn func(error)) error {
	call := func(c *wasmtime.Caller, nonce, key []int32, out, outCap int32) int32 {
		mem := c.GetExport("memory")
		if mem == nil || mem.Memory() == nil {
			return EvidenceBadArgs
		}
		data := mem.Memory().UnsafeData(c)
		n, ok1 := slice(data, nonce[0], nonce[1])
		var k []byte
		ok2 := true
		if key != nil {
			k, ok2 = slice(data, key[0], key[1])
		}
		if _, ok3 := slice(data, out, outCap); !ok1 || !ok2 || !ok3 {
			return EvidenceBadArgs
		}
		if get == nil {
			return EvidenceUnavailable
		}
		// Copy the inputs: the host call may outlive this view of memory.
		ev, err := get(append([]byte(nil), n...), append([]byte(nil), k...))
		if err != nil {
			warn(err)
			return EvidenceUnavailable
		}
		if int64(len(ev)) > int64(outCap) {
			return int32(len(ev))
		}
		// Memory may have moved while the evidence was made: look again.
		data = mem.Memory().UnsafeData(c)
		copy(data[out:], ev)
		return int32(len(ev))
	}
	if err := l.FuncWrap(HostModule, "get_evidence", func(c *wasmtime.Caller, np, nl, op, oc int32) int32 {
		return call(c, []int32{np, nl}, nil, op, oc)
	}); err != nil {
		return err
	}
	return l.FuncWrap(HostModule, "get_evidence_with_key", func(c *wasmtime.Caller, np, nl, kp, kl, op, oc int32) int32 {
		return call(c, []int32{np, nl}, []int32{kp, kl}, op, oc)
	})
}

// slice is data[ptr:ptr+n] if it lies inside data.
func slice(data []byte, ptr, n int32) ([]byte, bool) {
	if ptr < 0 || n < 0 || int64(ptr)+int64(n) > int64(len(data)) {
		return nil, false
	}
	return data[ptr : ptr+n], true
}
