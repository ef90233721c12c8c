package sgx

import "strings"

// CanLaunch reports whether the shim can run module hosts in Gramine SGX
// enclaves on this host, and if not, why: the SGX device and the
// provisioning device (for DCAP quotes) exist, and gramine-manifest,
// gramine-sgx-sign and gramine-sgx were found (tools, from FindTools). It
// does not start an enclave: whether one starts shows at the first create.
// It is the one description of the host's side: `wasmtee doctor` quotes
// it.
func (s Status) CanLaunch(tools Tools) (ok bool, why string) {
	var missing []string
	if !s.Enclave {
		missing = append(missing, EnclaveDevice+" is missing (no SGX, or SGX disabled in firmware, or a kernel older than 5.11)")
	}
	if !s.Provision {
		missing = append(missing, ProvisionDev+" is missing (DCAP quotes need it)")
	}
	if why := tools.MissingReason(); why != "" {
		missing = append(missing, why)
	}
	if len(missing) > 0 {
		return false, "this host cannot start Gramine SGX enclaves: " + strings.Join(missing, "; ")
	}
	return true, "the host can start Gramine SGX enclaves (" + EnclaveDevice + ", " + ProvisionDev + ", " + tools.Run + ")"
}
