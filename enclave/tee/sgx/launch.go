package sgx

import (
	"errors"
	"strings"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// CanLaunch reports whether the shim can run module hosts in Gramine SGX
// enclaves on this host, and if not, why: the SGX device and the
// provisioning device (for DCAP quotes) exist, and gramine-manifest,
// gramine-sgx-sign and gramine-sgx are on PATH. It does not start an
// enclave: whether one starts shows at the first create.
func (s Status) CanLaunch() (ok bool, why string) {
	var missing []string
	if !s.Enclave {
		missing = append(missing, EnclaveDevice+" is missing (no SGX, or SGX disabled in firmware, or a kernel older than 5.11)")
	}
	if !s.Provision {
		missing = append(missing, ProvisionDev+" is missing (DCAP quotes need it)")
	}
	var tools []string
	for _, t := range []struct{ name, path string }{{ManifestTool, s.GramineManifest}, {SignTool, s.GramineSign}, {GramineSGX, s.Gramine}} {
		if t.path == "" {
			tools = append(tools, t.name)
		}
	}
	if len(tools) > 0 {
		missing = append(missing, strings.Join(tools, ", ")+" not on PATH (Gramine is not installed)")
	}
	if len(missing) > 0 {
		return false, "this host cannot start Gramine SGX enclaves: " + strings.Join(missing, "; ")
	}
	return true, "the host can start Gramine SGX enclaves (" + EnclaveDevice + ", " + ProvisionDev + ", " + s.Gramine + ")"
}

// Enclave is the sgx backend as the shim sees it when it starts each
// module host in its own Gramine SGX enclave: the evidence is made inside
// that enclave, by the module host, so Quote always fails here. The shim
// asks the module host for evidence over its control channel instead.
type Enclave struct{}

var _ evidence.Producer = Enclave{}

// ErrQuoteInEnclave is Enclave.Quote's error.
var ErrQuoteInEnclave = errors.New("sgx: evidence is made inside the module host's enclave, not by the shim")

// Backend returns "sgx".
func (Enclave) Backend() string { return evidence.BackendSGX }

// TEE returns "sgx".
func (Enclave) TEE() string { return evidence.TEESGX }

// Quote fails: see Enclave.
func (Enclave) Quote([64]byte) ([]byte, string, [][]byte, error) {
	return nil, "", nil, ErrQuoteInEnclave
}
