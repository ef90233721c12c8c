package host

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/wasm"
)

// Main is the module host: it hardens itself, takes its stdio and module
// from the shim on the control socket (fd 3), loads the module as the shim
// asks, runs it on "start" and exits with the module's exit status. It
// never returns.
//
// Started by gramine-sgx inside an SGX enclave (the sgx backend), it has
// only stdio and finds its control channel in the environment instead
// (mainSGX).
func Main() {
	if v, ok := os.LookupEnv(control.EnvControl); ok {
		os.Exit(mainSGX(v))
	}
	if err := hardenSelf(); err != nil {
		fatal(fmt.Errorf("harden module host: %w", err))
	}
	// From here on, compiling the module included, only the system calls
	// a module host needs are allowed.
	if err := applySeccomp(); err != nil {
		fatal(fmt.Errorf("harden module host: %w", err))
	}
	// Started ahead of the container's Create (enclave.Spawn), the host
	// waits here for its stdio and module.
	if err := receiveFiles(); errors.Is(err, errShimDone) {
		os.Exit(0)
	} else if err != nil {
		fatal(err)
	}
	f := os.NewFile(control.FD, "control")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fatal(fmt.Errorf("control socket: %w", err))
	}
	c := newChannel(conn)
	os.Exit(c.serve(func(req control.Request) (*wasm.Instance, control.Reply) { return load(req, c) }, nil))
}

// load compiles (or loads from cache) the module and prepares its WASI view.
func load(req control.Request, c *channel) (*wasm.Instance, control.Reply) {
	code, fi, err := mapModule(os.NewFile(control.ModuleFD, "module"))
	if err != nil {
		return nil, control.Reply{Error: fmt.Sprintf("read module %s: %v", req.Workload.ModulePath, err)}
	}
	o := wasm.LoadOptions{Origin: originKey(fi, req.Workload.Origin)}
	if req.AskBeforeCompile {
		o.BeforeCompile = c.askCompile
	}
	return loadCode(req, code, o, c.askEvidence)
}

// originKey is the identity the module's digest may be filed under in the
// compile cache: the image layer file the shim says the module is, if the
// open module (whose stat is fi) is that file (same inode, size and
// times), else "".
func originKey(fi fs.FileInfo, o *oci.ModuleOrigin) string {
	if o == nil || !o.Matches(fi) {
		return ""
	}
	return o.Key()
}

// loadCode compiles (or loads from req's cache) and checks the module code
// for req's workload, with o's origin and hook (see wasm.LoadOptions).
func loadCode(req control.Request, code []byte, o wasm.LoadOptions, evidence wasm.EvidenceFunc) (*wasm.Instance, control.Reply) {
	var rep control.Reply
	var err error
	var cache *wasm.Cache
	if req.CacheDir != "" {
		if cache, err = wasm.OpenCache(req.CacheDir, req.CacheMax); err != nil {
			rep.Warnings = append(rep.Warnings, "compile cache disabled: "+err.Error())
			cache = nil
		}
	}
	engine := wasm.NewEngine()
	loaded, err := wasm.Load(engine, code, cache, o)
	if err != nil {
		return nil, errReply(req.Workload.ModulePath, err)
	}
	if loaded.CacheErr != nil {
		rep.Warnings = append(rep.Warnings, "compiled module not cached: "+loaded.CacheErr.Error())
	}
	rep.Source = string(loaded.Source)
	rep.Digest = hex.EncodeToString(loaded.Digest[:])
	rep.DigestKnown = loaded.DigestKnown
	warn := func(err error) { fmt.Fprintln(os.Stderr, "wasmtee: get_evidence:", err) }
	inst, err := wasm.Prepare(engine, loaded, req.Workload, wasm.HostCalls{Evidence: evidence, Warn: warn})
	if err != nil {
		return nil, errReply(req.Workload.ModulePath, err)
	}
	return inst, rep
}

func errReply(path string, err error) control.Reply {
	r := control.Reply{Error: fmt.Sprintf("%s: %v", path, err)}
	switch {
	case errors.Is(err, wasm.ErrUnsupported):
		r.Kind = control.KindUnsupported
	case errors.Is(err, wasm.ErrInvalidModule):
		r.Kind = control.KindInvalid
	}
	return r
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "wasmtee module host:", err)
	os.Exit(wasm.TrapExitCode)
}
