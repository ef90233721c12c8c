// Command containerd-shim-wasmtee-v1 is the containerd runtime v2 shim for
// the runtime type io.containerd.wasmtee.v1.
package main

import "github.com/wasmtee/wasmtee/shim"

func main() { shim.Main() }
