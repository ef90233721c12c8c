package host

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/wasm"
)

// Main is the module host: it hardens itself, loads the module it is
// given on fd 4 as the shim asks on fd 3, runs it on "start" and exits with
// the module's exit status. It never returns.
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
	f := os.NewFile(control.FD, "control")
	conn, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fatal(fmt.Errorf("control socket: %w", err))
	}
	h := &host{dec: json.NewDecoder(conn), enc: json.NewEncoder(conn)}
	os.Exit(h.serve())
}

type host struct {
	dec *json.Decoder
	enc *json.Encoder
}

func (h *host) serve() int {
	var req control.Request
	if err := h.dec.Decode(&req); err != nil || req.Op != control.OpLoad || req.Workload == nil {
		return 1
	}
	inst, rep := load(req, h.evidence)
	if err := h.enc.Encode(rep); err != nil || rep.Error != "" {
		return 1
	}
	if err := h.dec.Decode(&req); err != nil || req.Op != control.OpStart {
		// The shim deleted the container without starting it.
		return 0
	}
	entry, err := inst.Instantiate()
	if err != nil {
		h.enc.Encode(control.Reply{Error: err.Error()})
		return 1
	}
	if err := h.enc.Encode(control.Reply{}); err != nil {
		return 1
	}
	code, err := inst.Call(entry)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}

// evidence asks the shim for attestation evidence for the running module
// (the module's wasmtee.get_evidence calls). The shim holds the keys and
// talks to the TEE; the control channel is idle while the module runs.
func (h *host) evidence(nonce, publicKey []byte) ([]byte, error) {
	if err := h.enc.Encode(control.Request{Op: control.OpEvidence, Nonce: nonce, PublicKey: publicKey}); err != nil {
		return nil, err
	}
	var rep control.Reply
	if err := h.dec.Decode(&rep); err != nil {
		return nil, err
	}
	if rep.Error != "" {
		return nil, errors.New(rep.Error)
	}
	return rep.Evidence, nil
}

// load compiles (or loads from cache) the module and prepares its WASI view.
func load(req control.Request, evidence wasm.EvidenceFunc) (*wasm.Instance, control.Reply) {
	code, err := mapModule(os.NewFile(control.ModuleFD, "module"))
	if err != nil {
		return nil, control.Reply{Error: fmt.Sprintf("read module %s: %v", req.Workload.ModulePath, err)}
	}
	return loadCode(req, code, evidence)
}

// loadCode compiles (or loads from req's cache) and checks the module code
// for req's workload.
func loadCode(req control.Request, code []byte, evidence wasm.EvidenceFunc) (*wasm.Instance, control.Reply) {
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
	loaded, err := wasm.Load(engine, code, cache)
	if err != nil {
		return nil, errReply(req.Workload.ModulePath, err)
	}
	if loaded.CacheErr != nil {
		rep.Warnings = append(rep.Warnings, "compiled module not cached: "+loaded.CacheErr.Error())
	}
	rep.Source = string(loaded.Source)
	rep.Digest = hex.EncodeToString(loaded.Digest[:])
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
