// Command wasmtee builds and manages WebAssembly images for the wasmtee
// containerd shim. Run 'wasmtee help' for usage.
package main

import (
	"os"

	"github.com/wasmtee/wasmtee/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
