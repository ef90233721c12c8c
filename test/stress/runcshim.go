package stress

import (
	"context"
	"fmt"
	"io"

	"github.com/wasmtee/wasmtee/test/internal/runcshim"
)

// runcShimMain is `wasmtee-stress runc-shim DIR`: it builds the
// containerd-shim-runc-v2 that a containerd 2.4 daemon's runc runs need
// into DIR, unless DIR has it already (scripts/stress.sh; the benchmarks
// use the same code and directory).
func runcShimMain(args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: wasmtee-stress runc-shim DIR")
		return 2
	}
	logf := func(s string) { fmt.Fprintln(stderr, "wasmtee-stress:", s) }
	if _, err := runcshim.Ensure(context.Background(), args[0], logf); err != nil {
		fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
		return 1
	}
	return 0
}
