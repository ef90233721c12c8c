package shim

import (
	"io"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Version is the wasmtee version, set at build time with -ldflags -X.
var Version = "dev"

// writeInfo prints the RuntimeInfo protobuf that containerd 2.x reads.
func writeInfo(w io.Writer) error {
	_, err := w.Write(taskapi.MarshalRuntimeInfo(RuntimeName, Version))
	return err
}
