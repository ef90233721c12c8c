// Command wasmtee-shim is the serving side of the containerd shim for
// io.containerd.wasmtee.v1: one process per container group (a CRI pod)
// serving containerd's task API over ttrpc. containerd-shim-wasmtee-v1
// starts it; it starts wasmtee-module-host, installed beside it, for every
// container.
package main

import "github.com/wasmtee/wasmtee/shim"

func main() { shim.Main() }
