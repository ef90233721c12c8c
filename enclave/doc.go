// Package enclave runs one WebAssembly module in a protected process.
//
// This package is the shim's side: Launch starts a module host (the
// wasmtee-module-host binary, package enclave/host) from a thread with no
// privileges and drives it over a control socket (package enclave/control):
// the host loads the module during container create and runs it on start.
// The "process" backend is that hardened Linux process; TEE backends (SGX
// through Gramine, confidential VMs through configfs-tsm) plug in at the
// same two points: how the host is launched, and what evidence it can
// produce.
package enclave
