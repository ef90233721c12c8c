package enclave

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/wasmtee/wasmtee/enclave/control"
)

// HostBinary is where the module host binary is installed: beside the
// shim binary shim (the path of the running shim).
func HostBinary(shim string) string {
	return filepath.Join(filepath.Dir(shim), control.Arg0)
}

// checkHostBinary explains why a module host binary could not be started
// (missing, not executable), where exec says only "no such file or
// directory"; nil if the binary looks fine.
func checkHostBinary(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: module host binary: %w (install %s beside the shim binary)", ErrNotInstalled, err, control.Arg0)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%w: module host binary %s is not an executable file", ErrNotInstalled, path)
	}
	return nil
}
