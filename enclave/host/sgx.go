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
	h := &sgxHost{dec: json.NewDecoder(conn), enc: json.NewEncoder(conn)}
	if err := h.enc.Encode(control.Hello{Token: token}); err != nil {
		fatal(fmt.Errorf("control channel: %w", err))
	}
	return h.serve(sgx.DefaultModulePath, "")
}

// sgxHost serves the control channel of a module host in an enclave.
type sgxHost struct {
	dec *json.Decoder
	enc *json.Encoder

	producer evidence.Producer
	launch   measure.Launch
}

// serve loads the module at modulePath with the attestation interface
// below root ("" for the real /dev/attestation), answers "evidence"
// requests, and runs the module on "start".
func (h *sgxHost) serve(modulePath, root string) int {
	var req control.Request
	if err := h.dec.Decode(&req); err != nil || req.Op != control.OpLoad || req.Workload == nil {
		return 1
	}
	inst, rep := h.load(req, modulePath, root)
	if err := h.enc.Encode(rep); err != nil || rep.Error != "" {
		return 1
	}
	for {
		var req control.Request
		if err := h.dec.Decode(&req); err != nil {
			return 0 // the shim is gone before start
		}
		switch req.Op {
		case control.OpEvidence:
			if err := h.enc.Encode(h.evidenceReply(req)); err != nil {
				return 1
			}
		case control.OpStart:
			entry, err := inst.Instantiate()
			if err != nil {
				h.enc.Encode(control.Reply{Error: err.Error()})
				return 1
			}
			if err := h.enc.Encode(control.Reply{}); err != nil {
				return 1
			}
			go h.serveEvidence()
			code, err := inst.Call(entry)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
			return code
		default:
			if err := h.enc.Encode(control.Reply{Error: fmt.Sprintf("unknown request %q", req.Op)}); err != nil {
				return 1
			}
		}
	}
}

// serveEvidence answers the shim's requests while the module runs.
func (h *sgxHost) serveEvidence() {
	for {
		var req control.Request
		if err := h.dec.Decode(&req); err != nil {
			return
		}
		rep := control.Reply{Error: fmt.Sprintf("unknown request %q", req.Op)}
		if req.Op == control.OpEvidence {
			rep = h.evidenceReply(req)
		}
		if err := h.enc.Encode(rep); err != nil {
			return
		}
	}
}

func (h *sgxHost) evidenceReply(req control.Request) control.Reply {
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
	code, err := mapModule(f)
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
	inst, rep := loadCode(req, code, h.evidence)
	if rep.Error != "" {
		return nil, rep
	}
	h.launch = w.Launch(rep.Digest, evidence.BackendSGX)
	m, err := measure.Measure(h.launch)
	if err != nil {
		return nil, control.Reply{Error: err.Error()}
	}
	rep.Measurement = m.String()
	return inst, rep
}
