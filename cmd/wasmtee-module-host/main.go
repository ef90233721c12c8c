// Command wasmtee-module-host hosts one container's WebAssembly module in
// a hardened process. containerd-shim-wasmtee-v1 starts it (from the same
// directory) for every wasm container; it is not meant to be run by hand.
package main

import "github.com/wasmtee/wasmtee/enclave/host"

func main() { host.Main() }
