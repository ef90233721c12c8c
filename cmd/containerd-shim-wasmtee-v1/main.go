// Command containerd-shim-wasmtee-v1 is the containerd runtime v2 shim for
// the runtime type io.containerd.wasmtee.v1: the small entry binary that
// containerd runs to start a shim ("start") and to clean up after one
// ("delete"). It starts the serving shim, wasmtee-shim, installed beside it.
package main

import "github.com/wasmtee/wasmtee/shim/bootstrap"

func main() { bootstrap.Main() }
