package enclave

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"

	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
)

// SGXNode is what LaunchSGX needs from the node besides the container:
// Gramine's tools, found on PATH, and the enclave signing key, loaded and
// checked (made on first use). It finds them once, at the first launch
// that needs them, and keeps them; a launch that fails to find them keeps
// nothing, so the next one tries again (once Gramine is installed or the
// key's mode fixed) and fails with the same error until then. Safe for
// concurrent use.
type SGXNode struct {
	// Key is the enclave signing key's path (DefaultSGXKey if empty).
	Key string

	mu    sync.Mutex
	ready bool      // set once everything was found
	tools sgx.Tools // Gramine's tools, by absolute path
}

// defaultSGXNode serves Launchers without an SGXNode of their own.
var defaultSGXNode = &SGXNode{}

func (n *SGXNode) keyPath() string {
	if n.Key == "" {
		return DefaultSGXKey
	}
	return n.Key
}

// setup returns the tools, finding them and loading (or making) the key
// the first time. A warning says so when it has made the key.
func (n *SGXNode) setup() (tools sgx.Tools, warning string, err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ready {
		return n.tools, "", nil
	}
	tools = sgx.FindTools(exec.LookPath)
	if missing := tools.Missing(); len(missing) > 0 {
		return sgx.Tools{}, "", fmt.Errorf("%w: %s not found in the shim's PATH", ErrGramineNotInstalled, strings.Join(missing, ", "))
	}
	key, created, err := sgx.EnsureSigningKey(n.keyPath())
	if err != nil {
		return sgx.Tools{}, "", err
	}
	if created {
		warning = fmt.Sprintf("created the SGX enclave signing key %s (MRSIGNER %x)", n.keyPath(), sgx.MRSigner(&key.PublicKey))
	}
	n.tools, n.ready = tools, true
	return tools, warning, nil
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
