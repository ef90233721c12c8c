package sgx

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Gramine's tools.
const (
	manifestTool = "gramine-manifest" // renders a manifest template
	signTool     = "gramine-sgx-sign" // hashes trusted files, writes .manifest.sgx and SIGSTRUCT (.sig)
	GramineSGX   = "gramine-sgx"      // starts the enclave
)

// Tools are where the Gramine tools that starting an enclave takes are,
// as absolute paths; "" for a tool that was not found. FindTools looks
// them up, which Probe does not: only a shim whose container asks for sgx
// (its selection, then LaunchSGX once per shim) and `wasmtee doctor` need
// them.
type Tools struct {
	Manifest string // gramine-manifest
	Sign     string // gramine-sgx-sign
	Run      string // gramine-sgx
}

// FindTools looks up Gramine's tools with lookPath (exec.LookPath if nil).
func FindTools(lookPath func(string) (string, error)) Tools {
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	find := func(name string) string {
		p, err := lookPath(name)
		if err != nil {
			return ""
		}
		return p
	}
	return Tools{Manifest: find(manifestTool), Sign: find(signTool), Run: find(GramineSGX)}
}

// Missing lists the tools that were not found: gramine-manifest,
// gramine-sgx-sign, gramine-sgx, in that order.
func (t Tools) Missing() []string {
	var missing []string
	for _, tool := range []struct{ name, path string }{{manifestTool, t.Manifest}, {signTool, t.Sign}, {GramineSGX, t.Run}} {
		if tool.path == "" {
			missing = append(missing, tool.name)
		}
	}
	return missing
}

// MissingReason says which tools were not found and what that means, or
// "" when all were: the one wording of it for the shim's errors and
// CanLaunch.
func (t Tools) MissingReason() string {
	switch absent := t.Missing(); len(absent) {
	case 0:
		return ""
	case 3:
		return strings.Join(absent, ", ") + " not on PATH (Gramine is not installed)"
	default:
		return strings.Join(absent, ", ") + " not on PATH (Gramine is installed only in part)"
	}
}

// ManifestCommand renders the template: gramine-manifest TEMPLATE
// MANIFEST, run from t.Manifest.
func (t Tools) ManifestCommand(ctx context.Context, f Files) (*exec.Cmd, error) {
	return t.command(ctx, f, manifestTool, t.Manifest, f.Template(), f.Manifest())
}

// SignCommand signs the rendered manifest: gramine-sgx-sign --manifest
// MANIFEST --output MANIFEST.sgx [--key KEY], run from t.Sign. An empty
// key uses Gramine's default (~/.config/gramine/enclave-key.pem, made by
// gramine-sgx-gen-private-key). The key is the enclave's MRSIGNER.
func (t Tools) SignCommand(ctx context.Context, f Files, key string) (*exec.Cmd, error) {
	args := []string{"--manifest", f.Manifest(), "--output", f.SGXManifest()}
	if key != "" {
		args = append(args, "--key", key)
	}
	return t.command(ctx, f, signTool, t.Sign, args...)
}

// command runs the tool name at path (found before: nothing is looked up
// here) in f.Dir, with name as its argv[0].
func (t Tools) command(ctx context.Context, f Files, name, path string, args ...string) (*exec.Cmd, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("sgx: %s was not found on PATH", name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Args[0] = name
	cmd.Dir = f.Dir
	return cmd, nil
}
