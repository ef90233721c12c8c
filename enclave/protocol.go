package enclave

import "github.com/wasmtee/wasmtee/oci"

// HostArg0 is argv[0] of a module host process; the shim binary's main
// checks it to tell a module host from a shim.
const HostArg0 = "wasmtee-module-host"

// File descriptors of a module host, besides stdio.
const (
	controlFD = 3
	moduleFD  = 4
)

// request is a message from the shim to the module host ("load",
// "start"), or, once the module runs, from the module host to the shim
// ("evidence", for the module's wasmtee.get_evidence calls).
type request struct {
	Op       string        `json:"op"`
	Workload *oci.Workload `json:"workload,omitempty"`
	CacheDir string        `json:"cacheDir,omitempty"`
	CacheMax int64         `json:"cacheMax,omitempty"`
	// Nonce and PublicKey of an "evidence" request.
	Nonce     []byte `json:"nonce,omitempty"`
	PublicKey []byte `json:"publicKey,omitempty"`
}

// reply is the module host's answer to one request.
type reply struct {
	Error string `json:"error,omitempty"`
	// Kind classifies Error: "invalid" (the module or spec is wrong),
	// "unsupported", or "" (a runtime failure).
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
