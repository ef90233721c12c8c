// Package control is the control channel between the shim and a module
// host: the messages both sides exchange over the host's fd 3 (one JSON
// value per message), and the host's file descriptors.
package control

import "github.com/wasmtee/wasmtee/oci"

// Arg0 is argv[0] of a module host process (argv[1] is its container ID).
const Arg0 = "wasmtee-module-host"

// File descriptors of a module host, besides stdio.
const (
	// FD is the host's end of the control socket.
	FD = 3
	// ModuleFD is the module file, open read-only.
	ModuleFD = 4
)

// Request is a message from the shim to the module host ("load",
// "start"), or, once the module runs, from the module host to the shim
// ("evidence", for the module's wasmtee.get_evidence calls).
type Request struct {
	Op       string        `json:"op"`
	Workload *oci.Workload `json:"workload,omitempty"`
	CacheDir string        `json:"cacheDir,omitempty"`
	CacheMax int64         `json:"cacheMax,omitempty"`
	// Nonce and PublicKey of an "evidence" request.
	Nonce     []byte `json:"nonce,omitempty"`
	PublicKey []byte `json:"publicKey,omitempty"`
}

// Operations.
const (
	OpLoad     = "load"
	OpStart    = "start"
	OpEvidence = "evidence"
)

// Reply is the answer to one Request.
type Reply struct {
	Error string `json:"error,omitempty"`
	// Kind classifies Error: KindInvalid (the module or spec is wrong),
	// KindUnsupported, or "" (a runtime failure).
	Kind string `json:"kind,omitempty"`
	// Source says whether load compiled the module or hit the cache.
	Source string `json:"source,omitempty"`
	// Warnings are logged by the shim (e.g. the cache is unwritable).
	Warnings []string `json:"warnings,omitempty"`
	// Digest is the hex SHA-256 of the loaded module (load).
	Digest string `json:"digest,omitempty"`
	// Evidence answers an "evidence" request (JSON).
	Evidence []byte `json:"evidence,omitempty"`
}

// Kinds of Reply.Error.
const (
	KindInvalid     = "invalid"
	KindUnsupported = "unsupported"
)
