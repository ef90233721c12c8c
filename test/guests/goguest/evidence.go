//go:build wasip1

package main

import (
	"encoding/hex"
	"fmt"
	"unsafe"
)

// getEvidence is wasmtee's host call: it writes attestation evidence (JSON)
// for this module, bound to nonce, into out and returns its length (or the
// length needed, if out is too small; negative on error).
//
//go:wasmimport wasmtee get_evidence
func getEvidence(nonce unsafe.Pointer, nonceLen uint32, out unsafe.Pointer, outCap uint32) int32

// evidence fetches this module's own evidence for a nonce given in hex and
// prints it: what a module does to prove itself to a peer (RA-TLS).
func evidence(nonceHex string) {
	nonce, err := hex.DecodeString(nonceHex)
	check(err)
	buf := make([]byte, 4096)
	for {
		n := getEvidence(unsafe.Pointer(&nonce[0]), uint32(len(nonce)), unsafe.Pointer(&buf[0]), uint32(len(buf)))
		switch {
		case n < 0:
			fail(1, fmt.Sprintf("goguest evidence: get_evidence failed (%d)", n))
		case int(n) > len(buf):
			buf = make([]byte, n)
			continue
		}
		fmt.Println(string(buf[:n]))
		return
	}
}
