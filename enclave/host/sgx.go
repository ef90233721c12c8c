package host

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/wasm"
)

// dialTimeout bounds connecting to the shim's control channel.
const dialTimeout = 30 * time.Second

// mainSGX is the module host inside a Gramine SGX enclave (the sgx
// backend). Gramine passes it only stdin, stdout and stderr, so it opens
// the module at its fixed path in the enclave (sgx.DefaultModulePath, a
// trusted file whose SHA-256 the manifest pins) and connects to the shim
// over TCP on the loopback interface, at the address and with the token
// it finds in ctl (control.EnvControl, passed through by Gramine).
//
// The channel and everything on it come from outside the enclave and are
// not trusted: the host computes the launch measurement itself, from the
// workload it was sent and the module it actually loaded, and makes
// evidence itself, through /dev/attestation, both for the module's
// wasmtee.get_evidence calls and for the shim's "evidence" requests. A
// shim that sends another workload gets evidence of that workload, which
// a verifier's policy then refuses.
//
// Not applied here, unlike in the process backend: the seccomp filter
// (Gramine implements the system calls inside the enclave and offers no
// seccomp; the filter would describe Gramine's calls, not the host's) and,
// where Gramine does not emulate them, PR_SET_DUMPABLE and RLIMIT_CORE (an
// enclave's memory is out of the OS's reach unless it is a debug enclave).
// The compile cache is not used either: its artifacts are native code
// from the untrusted disk, which would bypass the module's measurement.
func mainSGX(ctl string) int {
	_ = hardenSelf() // best effort: see above
	os.Unsetenv(control.EnvControl)
	addr, token, err := control.ParseAddress(ctl)
	if err != nil {
		fatal(err)
	}
	conn, err := net.DialTimeout("tcp", addr, dialTimeout)
	if err != nil {
		fatal(fmt.Errorf("control channel: %w", err))
	}
	h := &sgxHost{ch: newChannel(conn)}
	if err := h.ch.enc.Encode(control.Hello{Token: token}); err != nil {
		fatal(fmt.Errorf("control channel: %w", err))
	}
	return h.serve(sgx.DefaultModulePath, "")
}

// sgxHost serves the control channel of a module host in an enclave.
type sgxHost struct {
	ch *channel

	producer evidence.Producer
	launch   measure.Launch
}

// serve loads the module at modulePath with the attestation interface
// below root ("" for the real /dev/attestation), answers "evidence"
// requests, before start and while the module runs, and runs the module on
// "start".
func (h *sgxHost) serve(modulePath, root string) int {
	load := func(req control.Request) (*wasm.Instance, control.Reply) { return h.load(req, modulePath, root) }
	return h.ch.serve(load, h.answer)
}

// answer replies to the shim's requests: the only one is "evidence".
func (h *sgxHost) answer(req control.Request) control.Reply {
	if req.Op != control.OpEvidence {
		return control.Reply{Error: fmt.Sprintf("unknown request %q", req.Op)}
	}
	ev, err := h.evidence(req.Nonce, req.PublicKey)
	if err != nil {
		return control.Reply{Error: err.Error()}
	}
	return control.Reply{Evidence: ev}
}

// evidence is made here, in the enclave, for the launch this host
// measured.
func (h *sgxHost) evidence(nonce, publicKey []byte) ([]byte, error) {
	ev, err := evidence.Make(h.producer, evidence.Request{Launch: h.launch, Nonce: nonce, PublicKey: publicKey})
	if err != nil {
		return nil, err
	}
	return json.Marshal(ev)
}

// load checks that the enclave can attest, loads the module and measures
// the launch.
func (h *sgxHost) load(req control.Request, modulePath, root string) (*wasm.Instance, control.Reply) {
	p, err := sgx.New(root)
	if err != nil {
		return nil, control.Reply{Error: fmt.Sprintf("sgx enclave cannot attest: %v", err)}
	}
	h.producer = p
	f, err := os.Open(modulePath)
	if err != nil {
		return nil, control.Reply{Error: fmt.Sprintf("read module %s (in the enclave: %s): %v", req.Workload.ModulePath, modulePath, err)}
	}
	code, _, err := mapModule(f)
	if err != nil {
		return nil, control.Reply{Error: fmt.Sprintf("read module %s (in the enclave: %s): %v", req.Workload.ModulePath, modulePath, err)}
	}
	// The preopened directories are where the manifest mounts them in the
	// enclave; the host paths the shim sent mean nothing here (and are
	// not measured).
	w := *req.Workload
	w.Preopens = append(w.Preopens[:0:0], w.Preopens...)
	for i := range w.Preopens {
		w.Preopens[i].Host = sgx.EnclavePath(w.Preopens[i].Guest)
	}
	req.Workload = &w
	req.CacheDir, req.CacheMax = "", 0
	inst, rep := loadCode(req, code, wasm.LoadOptions{}, h.evidence)
	if rep.Error != "" {
		return nil, rep
	}
	var m measure.Measurement
	if h.launch, m, err = w.Measure(rep.Digest, evidence.BackendSGX); err != nil {
		return nil, control.Reply{Error: err.Error()}
	}
	rep.Measurement = m.String()
	return inst, rep
}
