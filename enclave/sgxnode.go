package enclave

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sync"

	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
)

// SGXNode is what LaunchSGX needs from the node besides the container:
// Gramine's tools, found on PATH, the enclave signing key, loaded and
// checked (made on first use), and the SHA-256 of the module host binary,
// which every manifest pins. It finds them once, at the first launch that
// needs them, and keeps them for the shim's life (a module host binary
// replaced meanwhile no longer matches what the manifests pin, and Gramine
// refuses to start its enclaves until the shim is restarted); a launch
// that fails to find them keeps nothing, so the next one tries again (once
// Gramine is installed or the key's mode fixed) and fails with the same
// error until then. Safe for concurrent use.
type SGXNode struct {
	// Key is the enclave signing key's path (DefaultSGXKey if empty).
	Key string

	mu    sync.Mutex
	found *sgxNodeState // nil until everything was found
}

// sgxNodeState is what an SGXNode finds once.
type sgxNodeState struct {
	tools sgx.Tools // Gramine's tools, by absolute path
	// hostBinary is the module host binary that was hashed, hostSHA256 its
	// hex SHA-256.
	hostBinary, hostSHA256 string
	// libraries are the host libraries it needs (sgx.HostLibraries).
	libraries []string
}

// defaultSGXNode serves Launchers without an SGXNode of their own.
var defaultSGXNode = &SGXNode{}

func (n *SGXNode) keyPath() string {
	if n.Key == "" {
		return DefaultSGXKey
	}
	return n.Key
}

// setup returns what launches of the module host binary exe need: the
// first time, it finds the tools, hashes exe and loads (or makes) the key,
// in that order, so that a failure makes nothing. A warning says so when
// it has made the key.
func (n *SGXNode) setup(exe string) (st sgxNodeState, warning string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.found != nil && n.found.hostBinary == exe {
		return *n.found, "", nil
	}
	if n.found != nil {
		// Another binary through the same node (not in a shim, whose
		// launchers all start the one beside it).
		st.tools = n.found.tools
	} else if st.tools = sgx.FindTools(exec.LookPath); st.tools.MissingReason() != "" {
		return sgxNodeState{}, "", fmt.Errorf("%w: %s", ErrGramineNotInstalled, st.tools.MissingReason())
	}
	if st.hostSHA256, err = sgx.FileSHA256(exe); err != nil {
		return sgxNodeState{}, "", fmt.Errorf("sgx: hash the module host binary: %w", err)
	}
	if st.libraries, err = sgx.HostLibraries(exe); err != nil {
		return sgxNodeState{}, "", fmt.Errorf("sgx: %w", err)
	}
	st.hostBinary = exe
	if n.found == nil {
		key, created, err := sgx.EnsureSigningKey(n.keyPath())
		if err != nil {
			return sgxNodeState{}, "", err
		}
		if created {
			warning = fmt.Sprintf("created the SGX enclave signing key %s (MRSIGNER %x)", n.keyPath(), sgx.MRSigner(&key.PublicKey))
		}
	}
	n.found = &st
	return st, warning, nil
}

// sign renders the manifest f with gramine-manifest and signs it with
// gramine-sgx-sign and the node's key, running both by the paths setup
// found.
func (n *SGXNode) sign(ctx context.Context, f sgx.Files, tools sgx.Tools) error {
	mc, err := tools.ManifestCommand(ctx, f)
	if err != nil {
		return err
	}
	sc, err := tools.SignCommand(ctx, f, n.keyPath())
	if err != nil {
		return err
	}
	for _, c := range []*exec.Cmd{mc, sc} {
		if out, err := c.CombinedOutput(); err != nil {
			return fmt.Errorf("sgx: %s: %w: %s", c.Args[0], err, bytes.TrimSpace(out))
		}
	}
	return nil
}
