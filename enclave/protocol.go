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

// request is a message from the shim to the module host.
type request struct {
	Op       string        `json:"op"` // "load" or "start"
	Workload *oci.Workload `json:"workload,omitempty"`
	CacheDir string        `json:"cacheDir,omitempty"`
	CacheMax int64         `json:"cacheMax,omitempty"`
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
}
