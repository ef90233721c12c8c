package sgx

import "strings"

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
