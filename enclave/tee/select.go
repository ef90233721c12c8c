// Package tee chooses the backend that produces a module's attestation
// evidence: a hardware TEE when the node has one, the process backend
// otherwise. The backends are sub-packages:
//
//   - process: no hardware TEE ("none"); evidence signed by the node's
//     Ed25519 key.
//   - tsm: confidential VMs (TDX, SEV-SNP, Arm CCA) through Linux
//     configfs-tsm.
//   - sgx: the module host inside an SGX enclave under Gramine.
//
// # Selection
//
// A selection is "[require:]NAME":
//
//	auto            the best backend available: tsm if configfs-tsm has a
//	                provider wasmtee knows, else sgx if this process runs
//	                inside a Gramine enclave with DCAP attestation, else
//	                process. auto never starts enclaves: ask for sgx.
//	process, none   the process backend
//	tsm, sgx        that backend if it is available; if not, the process
//	                backend stands in (Choice.Fallback, with the reason).
//	                sgx is available when this process runs inside a
//	                Gramine enclave (the producer is sgx.Producer), or when
//	                this host can start Gramine SGX enclaves (ModuleHost
//	                HostSGXEnclave, and no producer: the shim then starts
//	                each module host in an enclave of its own, which makes
//	                the evidence)
//	require:NAME    the same, but never falls back to the process backend:
//	                an absent backend is an error (*UnavailableError) that
//	                says which was required and why it is not available;
//	                require:auto asks for any hardware TEE
//
// "" means auto. Falling back keeps a container running on a node without
// the TEE, and its evidence says so (backend "process", tee "none", which
// the measurement also covers), so a verifier that needs a TEE rejects it;
// use require: where running without the TEE must not happen at all.
package tee

import (
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-configfs-tsm/configfs/configfsi"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/tee/process"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/enclave/tee/tsm"
)

// Selection names.
const (
	Auto          = "auto"
	RequirePrefix = "require:"
)

// Env says where the TEE interfaces are; the zero value is the real
// system. Tests point it at fakes.
type Env struct {
	// TSMRoot is configfs-tsm's directory (tsm.DefaultRoot if empty).
	TSMRoot string
	// TSMClient, if set, is used instead of the files under TSMRoot
	// (tests pass go-configfs-tsm's faketsm).
	TSMClient configfsi.Client
	// AttestationRoot prefixes the SGX paths: /dev/attestation (Gramine's,
	// inside an enclave), /dev/sgx_enclave and /dev/sgx_provision ("" for
	// the real /dev). The shim takes it from WASMTEE_SGX_ROOT, which only
	// tests set.
	AttestationRoot string
	// NodeKey is the process backend's key file (process.DefaultKeyPath if
	// empty).
	NodeKey string
	// LookPath finds gramine-sgx, gramine-sgx-sign and gramine-manifest
	// (exec.LookPath if nil) when sgx is asked for by name; auto does not
	// look for them.
	LookPath func(string) (string, error)
}

// Choice is the outcome of a selection.
type Choice struct {
	// Want is the backend asked for ("auto", "process", "tsm" or "sgx"),
	// Required whether it was asked for with require:.
	Want     string `json:"want"`
	Required bool   `json:"required,omitempty"`
	// Backend, TEE and Provider describe the backend chosen.
	Backend  string `json:"backend"`
	TEE      string `json:"tee"`
	Provider string `json:"provider,omitempty"`
	// ModuleHost says how the shim launches module hosts for it.
	ModuleHost ModuleHost `json:"moduleHost"`
	// Reason says why this backend, in a sentence.
	Reason string `json:"reason"`
	// Fallback is set when the backend asked for is not available and the
	// process backend stands in.
	Fallback bool `json:"fallback,omitempty"`
	// Unavailable holds, for each backend looked at and not available,
	// why.
	Unavailable map[string]string `json:"unavailable,omitempty"`
}

// UnavailableError is a required backend that is not available.
type UnavailableError struct {
	Want string // "tsm", "sgx", or "auto" for require:auto
	Why  string
}

func (e *UnavailableError) Error() string {
	if e.Want == Auto {
		return "a tee is required (require:auto) but none is available: " + e.Why
	}
	return fmt.Sprintf("tee %s required but %s", e.Want, e.Why)
}

// ParseWant parses a selection into the backend name ("auto", "process",
// "tsm" or "sgx") and whether it is required.
func ParseWant(want string) (name string, required bool, err error) {
	s := strings.TrimSpace(want)
	if rest, ok := strings.CutPrefix(s, RequirePrefix); ok {
		required, s = true, rest
	}
	switch s {
	case "", Auto:
		return Auto, required, nil
	case "none", evidence.BackendProcess:
		return evidence.BackendProcess, required, nil
	case evidence.BackendTSM, evidence.BackendSGX:
		return s, required, nil
	}
	return "", false, fmt.Errorf("tee %q: want auto, process (or none), tsm or sgx, optionally as require:NAME", want)
}

// Decide makes the selection without creating anything lasting: it probes
// the TEEs but does not load or create the node key. `wasmtee doctor`
// uses it.
func Decide(want string, env Env) (Choice, error) {
	c, _, err := decide(want, env)
	return c, err
}

// Select makes the selection and returns the producer with which the shim
// makes evidence: for the process backend it loads the node key, creating
// it on first use. When the module host makes the evidence itself
// (Choice.ModuleHost is HostSGXEnclave) there is none: the producer is
// nil.
func Select(want string, env Env) (evidence.Producer, Choice, error) {
	c, p, err := decide(want, env)
	if err != nil || c.ModuleHost != HostProcess {
		return nil, c, err
	}
	if p == nil {
		pp, err := process.New(env.NodeKey)
		if err != nil {
			return nil, c, fmt.Errorf("process backend: %w", err)
		}
		p = pp
	}
	return p, c, nil
}

// decide returns the choice and, for a TEE backend whose evidence the
// shim makes, its producer; for the process backend, and for module hosts
// in enclaves of their own, the producer is nil.
func decide(want string, env Env) (Choice, evidence.Producer, error) {
	name, required, err := ParseWant(want)
	if err != nil {
		return Choice{}, nil, err
	}
	c := Choice{Want: name, Required: required}
	switch name {
	case Auto:
		if p, ok := c.try(evidence.BackendTSM, env, false); ok {
			c.Reason = "auto: " + c.describe(p) + ", the best backend available"
			return c, p, nil
		}
		if p, ok := c.try(evidence.BackendSGX, env, false); ok {
			c.Reason = "auto: " + c.describe(p) + " (configfs-tsm is not available)"
			return c, p, nil
		}
		if required {
			return c, nil, &UnavailableError{Want: Auto, Why: c.unavailable()}
		}
		c.setProcess("auto: no TEE is available, so the process backend: a hardened process, no hardware protection; evidence is signed by the node key")
		return c, nil, nil
	case evidence.BackendTSM, evidence.BackendSGX:
		if p, ok := c.try(name, env, true); ok {
			c.Reason = c.describe(p) + ", as asked"
			return c, p, nil
		}
		why := c.Unavailable[name]
		if required {
			return c, nil, &UnavailableError{Want: name, Why: why}
		}
		c.Fallback = true
		c.setProcess(fmt.Sprintf("tee %s is not available (%s): the process backend stands in, with no hardware protection", name, why))
		return c, nil, nil
	default:
		c.setProcess("the process backend, as asked: a hardened process, no hardware protection; evidence is signed by the node key")
		return c, nil, nil
	}
}

// try chooses a TEE backend if it is available, with its producer,
// recording why if it is not. launch allows the sgx backend to be one
// whose enclaves this process starts (HostSGXEnclave, no producer), not
// only this process's own enclave.
func (c *Choice) try(backend string, env Env, launch bool) (evidence.Producer, bool) {
	var p evidence.Producer
	var err error
	host, teeName := HostProcess, ""
	switch backend {
	case evidence.BackendTSM:
		var tp *tsm.Producer
		if env.TSMClient != nil {
			tp, err = tsm.NewWithClient(env.TSMClient)
		} else {
			tp, err = tsm.New(env.TSMRoot)
		}
		if err == nil {
			p = tp
			c.Provider = tp.Provider()
		}
	case evidence.BackendSGX:
		st := sgx.Probe(env.AttestationRoot)
		ok, why := st.Available()
		switch {
		case ok:
			if p, err = sgx.New(env.AttestationRoot); err != nil {
				p = nil
			}
		case st.InEnclave:
			err = errors.New(why)
		case launch:
			// Only a selection that may start enclaves looks for Gramine.
			if ok, why := st.CanLaunch(sgx.FindTools(env.LookPath)); ok {
				// The producer is the module host's, in its enclave.
				host, teeName = HostSGXEnclave, evidence.TEESGX
			} else {
				err = errors.New(why)
			}
		default:
			err = errors.New(why + " (auto never starts enclaves: ask for sgx)")
		}
	}
	if err != nil {
		if c.Unavailable == nil {
			c.Unavailable = map[string]string{}
		}
		c.Unavailable[backend] = err.Error()
		return nil, false
	}
	if p != nil {
		teeName = p.TEE()
	}
	c.Backend, c.TEE, c.ModuleHost = backend, teeName, host
	return p, true
}

func (c *Choice) setProcess(reason string) {
	c.Backend, c.TEE, c.Provider, c.Reason = evidence.BackendProcess, evidence.TEENone, "", reason
	c.ModuleHost = HostProcess
}

// unavailable lists why each TEE backend looked at is not available.
func (c *Choice) unavailable() string {
	var parts []string
	for _, b := range []string{evidence.BackendTSM, evidence.BackendSGX} {
		if why, ok := c.Unavailable[b]; ok {
			parts = append(parts, b+": "+why)
		}
	}
	return strings.Join(parts, "; ")
}

// describe says in a few words what the chosen TEE backend is, p being
// its producer.
func (c *Choice) describe(p evidence.Producer) string {
	if c.ModuleHost == HostSGXEnclave {
		return "sgx (each module host in a Gramine SGX enclave of its own, which makes DCAP-quoted evidence)"
	}
	switch p := p.(type) {
	case *tsm.Producer:
		return fmt.Sprintf("tsm (%s through configfs-tsm provider %s)", p.TEE(), p.Provider())
	case *sgx.Producer:
		return "sgx (inside a Gramine SGX enclave, DCAP quotes)"
	}
	return c.Backend
}
