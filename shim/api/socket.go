// Package api is what the wasmtee CLI needs to talk to a shim: the name of a
// shim's ttrpc socket and the attestation service it serves there. It has no
// dependencies, so the CLI does not link the shim.
package api

import (
	"crypto/sha256"
	"fmt"
)

// Dir holds the shims' sockets: wasmtee's own directory, so the shim
// writes nothing under containerd's /run/containerd.
const Dir = "/run/wasmtee/s"

// GroupAnnotations put containers into one shim: the CRI pod sandbox ID.
var GroupAnnotations = []string{"io.kubernetes.cri.sandbox-id"}

// Group is the shim group of a container: its pod's sandbox ID under CRI,
// else its own ID.
func Group(id string, annotations map[string]string) string {
	for _, a := range GroupAnnotations {
		if g, ok := annotations[a]; ok && g != "" {
			return g
		}
	}
	return id
}

// Address is the shim's socket for a group of containers of a containerd
// (its gRPC address) and namespace.
func Address(containerdAddress, ns, group string) string {
	d := sha256.Sum256([]byte(containerdAddress + "\x00" + ns + "\x00" + group))
	return fmt.Sprintf("unix://%s/%x", Dir, d[:16])
}
