// Package bootstrap is what containerd runs for each container as
// containerd-shim-wasmtee-v1: "start" (start the group's shim server or find
// the running one) and "delete" (clean up after a shim that is gone). Both
// are short-lived, run once or twice per container, and are on the path of
// every container start, so this package links no containerd, protobuf
// registry or ttrpc code: the serving shim (wasmtee-shim, package shim) is a
// separate binary that this one starts, or execs for anything it does not
// handle itself.
package bootstrap

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// ServerBinary is the serving shim, installed beside this binary.
const ServerBinary = "wasmtee-shim"

// OptionsFile keeps, in the bundle, the runtime options containerd wrote on
// the stdin of "shim start" (containerd 1.x passes them only there).
const OptionsFile = "wasmtee-options.pb"

// CleanupMarker is created in the bundle by "start" and removed by the
// serving shim once a Delete has released everything the container had. A
// bundle that still has it after its shim disconnected needs the full
// cleanup of the serving binary's "delete".
const CleanupMarker = "wasmtee-cleanup"

// ServerPath is where the serving shim of the entry binary at entry is.
func ServerPath(entry string) string {
	return filepath.Join(filepath.Dir(entry), ServerBinary)
}

// Flags are the ones containerd passes to a runtime v2 shim binary; both of
// wasmtee's shim binaries read them with ParseFlags.
type Flags struct {
	Namespace, ID, Address, Bundle string
	Debug, Version                 bool
	// Info is containerd 2.x's -info: print the runtime's RuntimeInfo.
	Info bool
	// Action is "start", "delete", or "" for the serving process.
	Action string
}

// ParseFlags parses a shim command line. Unknown flags are an error.
func ParseFlags(args []string) (Flags, error) {
	var f Flags
	fs := flag.NewFlagSet("containerd-shim-wasmtee-v1", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&f.Debug, "debug", false, "")
	fs.StringVar(&f.Namespace, "namespace", "", "")
	fs.StringVar(&f.ID, "id", "", "")
	fs.StringVar(&f.Address, "address", "", "")
	fs.StringVar(&f.Bundle, "bundle", "", "")
	fs.BoolVar(&f.Version, "v", false, "")
	fs.BoolVar(&f.Info, "info", false, "")
	fs.String("socket", "", "")
	fs.String("publish-binary", "", "")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	f.Action = fs.Arg(0)
	return f, nil
}

// Main is the entry binary's main: it handles start and the common case of
// delete, and execs the serving shim binary for everything else (the
// version, containerd 2.x's -info, a delete with something to clean up).
func Main() {
	f, err := ParseFlags(os.Args[1:])
	if err != nil || f.Version || f.Info {
		// -v, -info or anything else this binary does not know.
		err = execServer(os.Args[1:])
	} else {
		switch f.Action {
		case "start":
			err = runStart(f, os.Stdin, os.Stdout)
		case "delete":
			var done bool
			if done, err = fastDelete(f, os.Stdout); err == nil && !done {
				err = execServer(os.Args[1:])
			}
		default:
			err = execServer(os.Args[1:])
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", filepath.Base(os.Args[0]), err)
		os.Exit(1)
	}
}

// serverPath is the serving shim beside this executable, checked.
func serverPath() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	p := ServerPath(self)
	st, err := os.Stat(p)
	if err != nil {
		return "", fmt.Errorf("shim server binary: %w (install %s beside %s)", err, ServerBinary, self)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("shim server binary %s is not an executable file", p)
	}
	return p, nil
}

// execServer replaces this process with the serving binary, same arguments.
func execServer(args []string) error {
	p, err := serverPath()
	if err != nil {
		return err
	}
	argv := append([]string{ServerBinary}, args...)
	if err := syscall.Exec(p, argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", p, err)
	}
	return nil
}
