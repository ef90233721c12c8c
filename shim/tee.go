package shim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/tee"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
)

// TEEAnnotation selects a container's TEE backend (a pod annotation under
// Kubernetes, `ctr run --annotation` otherwise); it overrides the runtime
// option `tee`. Values: "auto" (the best this node offers), "process" (or
// "none"), "tsm", "sgx"; "require:NAME" refuses to start the container
// when that backend is not available, instead of falling back to the
// process backend with a warning.
const TEEAnnotation = "wasmtee.io/tee"

// Where the process backend's node key lives (WASMTEE_NODE_KEY overrides).
// The sgx backend's enclave signing key is kept beside it.
const envNodeKey = "WASMTEE_NODE_KEY"

// envSGXRoot prefixes the paths the sgx backend probes (/dev/sgx_enclave,
// /dev/sgx_provision, /dev/attestation): tests point it at a fake node;
// on a real node it is unset.
const envSGXRoot = "WASMTEE_SGX_ROOT"

// sgxKeyPath is the enclave signing key: beside the node key.
func sgxKeyPath() string {
	if k := os.Getenv(envNodeKey); k != "" {
		return filepath.Join(filepath.Dir(k), sgx.SigningKeyName)
	}
	return enclave.DefaultSGXKey
}

// sgxNode is the shim's Gramine tools and enclave signing key, which
// LaunchSGX finds at the shim's first SGX create and keeps for the shim's
// life (a failure is not kept: the next create tries again).
var sgxNode = sync.OnceValue(func() *enclave.SGXNode { return &enclave.SGXNode{Key: sgxKeyPath()} })

// teeOf reads a container's TEE selection from its annotation, else the
// runtime options, and checks it.
func teeOf(spec *specs.Spec, o *Options) (string, error) {
	want, ok := spec.Annotations[TEEAnnotation]
	if !ok && o != nil {
		want = o.TEE
	}
	if _, _, err := tee.ParseWant(want); err != nil {
		return "", fmt.Errorf("%w: %s: %v", errInvalid, TEEAnnotation, err)
	}
	return want, nil
}

// teeSelection is a memoized tee.Select result.
type teeSelection struct {
	producer evidence.Producer
	choice   tee.Choice
}

// selectTEE picks a container's TEE backend (tee.Select, as `wasmtee
// doctor` reports it): the one it names, or the process backend when that
// TEE is absent and not required (fallbackWarning says so). A required TEE
// that is absent fails the create. The choice says how to launch the
// module host; the producer makes the evidence in the shim, and is nil
// when the module host makes it. A successful selection is kept for the
// shim's life, so that later creates neither reread the node key nor
// probe the TEE again.
func (s *service) selectTEE(want string) (evidence.Producer, tee.Choice, error) {
	if v, ok := s.tees.Load(want); ok {
		sel := v.(teeSelection)
		return sel.producer, sel.choice, nil
	}
	p, c, err := tee.Select(want, tee.Env{NodeKey: os.Getenv(envNodeKey), AttestationRoot: os.Getenv(envSGXRoot)})
	if err != nil {
		var ue *tee.UnavailableError
		if errors.As(err, &ue) {
			return nil, c, wrapKeep(errPrecondition, err)
		}
		return nil, c, err
	}
	s.tees.Store(want, teeSelection{producer: p, choice: c})
	return p, c, nil
}

func fallbackWarning(c tee.Choice) string {
	if !c.Fallback {
		return ""
	}
	return fmt.Sprintf("TEE %q not available (%s): using the process backend (tee: none)", c.Want, c.Reason)
}
