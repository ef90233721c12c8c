// Package oci maps an OCI runtime-spec bundle onto what wasmtee runs: one
// WebAssembly module, its WASI view of the world and its limits.
package oci

// DefaultEntry is the function a module runs when args[0] names no other.
const DefaultEntry = "_start"

// Workload is what a container asks wasmtee to run. It is derived from the
// bundle's config.json by Load and travels to the module host unchanged.
type Workload struct {
	// ModulePath is the module's path inside the container rootfs
	// (process.args[0] without a "#function" suffix).
	ModulePath string `json:"modulePath"`
	// Entry is the exported function to call; DefaultEntry unless args[0]
	// ends in "#function".
	Entry string `json:"entry"`
	// Args is the WASI argv; Args[0] is the module path as the user wrote it.
	Args []string `json:"args"`
	// Env is the WASI environment, KEY=VALUE, exactly as the spec sets it.
	Env []string `json:"env"`
	// Preopens are the only host directories the module can reach.
	Preopens []Preopen `json:"preopens"`
	// MemoryLimit bounds the module's linear memory in bytes; 0 means the
	// wasm32 maximum (4 GiB).
	MemoryLimit int64 `json:"memoryLimit,omitempty"`
	// UID and GID are the credentials of the module's host process.
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	// Origin is the image layer file the module was opened from, if it is
	// one (OpenModuleOrigin); not part of the launch measurement.
	Origin *ModuleOrigin `json:"origin,omitempty"`
}

// Preopen is one host directory made visible to the module through WASI.
type Preopen struct {
	Host     string `json:"host"`
	Guest    string `json:"guest"`
	ReadOnly bool   `json:"readOnly"`
}
