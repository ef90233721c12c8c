package tee

// ModuleHost says how the shim must launch a container's module host for
// the backend chosen, and so who makes the container's evidence.
type ModuleHost string

const (
	// HostProcess: the module host is a hardened child process of the
	// shim (enclave.Launcher.Launch), and the shim makes the evidence
	// with the backend's producer.
	HostProcess ModuleHost = "process"
	// HostSGXEnclave: each module host runs in a Gramine SGX enclave of
	// its own (enclave.Launcher.LaunchSGX) and makes the evidence there;
	// the shim has no producer and asks the host for it.
	HostSGXEnclave ModuleHost = "sgx-enclave"
)
