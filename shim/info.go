package shim

import (
	"io"
	"slices"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Version is the wasmtee version, set at build time with -ldflags -X.
var Version = "dev"

// isInfoRequest reports whether containerd 2.x asks for the shim's runtime
// info ("-info"), a flag bootstrap.ParseFlags refuses so that the entry
// binary execs this one for it.
func isInfoRequest(args []string) bool {
	return slices.Contains(args, "-info") || slices.Contains(args, "--info")
}

// writeInfo prints the RuntimeInfo protobuf that containerd 2.x reads.
func writeInfo(w io.Writer) error {
	_, err := w.Write(taskapi.MarshalRuntimeInfo(RuntimeName, Version))
	return err
}
