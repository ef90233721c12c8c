package stress

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/wasmtee/wasmtee/test/internal/runcshim"
)

// runcShimMain is `wasmtee-stress runc-shim [DIR]`: it builds the
// containerd-shim-runc-v2 that a containerd 2.4 daemon's runc runs need
// into DIR, by default the benchmarks' directory of the repository that is
// the working directory (runcshim.Dir), unless it has it already, and
// prints the directory (scripts/stress.sh).
func runcShimMain(args []string, stdout, stderr io.Writer) int {
	var dir string
	switch len(args) {
	case 0:
		wd, err := os.Getwd()
		if err != nil {
			fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
			return 1
		}
		dir = runcshim.Dir(wd)
	case 1:
		dir = args[0]
	default:
		fmt.Fprintln(stderr, "usage: wasmtee-stress runc-shim [DIR]")
		return 2
	}
	logf := func(s string) { fmt.Fprintln(stderr, "wasmtee-stress:", s) }
	if _, err := runcshim.Ensure(context.Background(), dir, logf); err != nil {
		fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, dir)
	return 0
}
