package shim

import (
	"fmt"
	"os"
	"strings"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/tee/process"
	"github.com/wasmtee/wasmtee/enclave/tee/tsm"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TEEAnnotation selects a container's TEE backend (a pod annotation under
// Kubernetes, `ctr run --annotation` otherwise); it overrides the runtime
// option `tee`. Values: "auto" (the best this node offers), "process" (or
// "none"), "tsm", "sgx"; "require:NAME" refuses to start the container
// when that backend is not available, instead of falling back to the
// process backend with a warning.
const TEEAnnotation = "wasmtee.io/tee"

// teeChoice is a parsed TEE selection.
type teeChoice struct {
	want    string // auto, process, tsm, sgx
	require bool
}

func parseTEE(v string) (teeChoice, error) {
	c := teeChoice{want: "auto"}
	v = strings.TrimSpace(v)
	if rest, ok := strings.CutPrefix(v, "require:"); ok {
		c.require, v = true, rest
	}
	switch v {
	case "", "auto":
	case "none", "process":
		c.want = "process"
	case "tsm", "sgx":
		c.want = v
	default:
		return c, fmt.Errorf("%w: %s %q: want auto, process, tsm or sgx, optionally as require:NAME", errInvalid, TEEAnnotation, v)
	}
	return c, nil
}

// teeOf reads a container's TEE selection from its annotation, else the
// runtime options.
func teeOf(spec *specs.Spec, o *Options) (teeChoice, error) {
	if v, ok := spec.Annotations[TEEAnnotation]; ok {
		return parseTEE(v)
	}
	if o != nil {
		return parseTEE(o.TEE)
	}
	return parseTEE("")
}

// Where the process backend's node key lives (WASMTEE_NODE_KEY overrides).
const (
	envNodeKey     = "WASMTEE_NODE_KEY"
	defaultNodeKey = "/var/lib/wasmtee/node.key"
)

func nodeKeyPath() string {
	if p := os.Getenv(envNodeKey); p != "" {
		return p
	}
	return defaultNodeKey
}

// selectTEE picks the producer of a container's evidence: the backend it
// names, or the process backend with a warning when that TEE is absent and
// not required. A required TEE that is absent fails the create.
func (s *service) selectTEE(c teeChoice) (evidence.Producer, string, string, error) {
	var why string
	switch c.want {
	case "tsm", "auto":
		p, err := tsm.New(tsm.DefaultRoot)
		if err == nil {
			return p, evidence.BackendTSM, "", nil
		}
		why = err.Error()
	case "sgx":
		why = "the sgx backend (the module host inside a Gramine enclave) is not wired into the shim yet"
	}
	if c.require {
		return nil, "", "", fmt.Errorf("%w: TEE %q required but not available: %s", errPrecondition, c.want, why)
	}
	p, err := s.processProducer()
	if err != nil {
		return nil, "", "", err
	}
	warning := ""
	if c.want == "tsm" || c.want == "sgx" {
		warning = fmt.Sprintf("TEE %q not available (%s): using the process backend (tee: none)", c.want, why)
	}
	return p, evidence.BackendProcess, warning, nil
}

// processProducer is the process backend, with the node key loaded (or
// created) once per shim.
func (s *service) processProducer() (evidence.Producer, error) {
	s.nodeKeyOnce.Do(func() {
		s.nodeKey, s.nodeKeyErr = process.New(nodeKeyPath())
	})
	if s.nodeKeyErr != nil {
		return nil, fmt.Errorf("process backend: node key %s: %w", nodeKeyPath(), s.nodeKeyErr)
	}
	return s.nodeKey, nil
}
