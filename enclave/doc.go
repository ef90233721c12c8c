// Package enclave runs one WebAssembly module in a protected process.
//
// The shim side (Launch) starts the module host, a re-execution of the shim
// binary, over a control socket; the host side (HostMain) loads the module
// during container create and runs it on start. The "process" backend is a
// hardened Linux process; TEE backends (SGX through Gramine, confidential
// VMs through configfs-tsm) plug in at the same two points: how the host is
// launched, and what evidence it can produce.
package enclave
