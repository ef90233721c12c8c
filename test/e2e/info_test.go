//go:build e2e

package e2e

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/containerd/containerd/api/types"
	"google.golang.org/protobuf/proto"
)

// TestRuntimeInfo: the installed entry binary answers containerd 2.x's
// -info (and --info) with a RuntimeInfo protobuf naming the runtime and
// its version, and -v with the version, through the serving shim.
func TestRuntimeInfo(t *testing.T) {
	for _, arg := range []string{"-info", "--info"} {
		out, err := exec.Command(env.entry, arg).Output()
		if err != nil {
			t.Fatalf("%s %s: %v", env.entry, arg, err)
		}
		var info types.RuntimeInfo
		if err := proto.Unmarshal(out, &info); err != nil {
			t.Fatalf("%s: not a RuntimeInfo: %v (%q)", arg, err, out)
		}
		if info.GetName() != "io.containerd.wasmtee.v1" || info.GetVersion().GetVersion() == "" {
			t.Errorf("%s: RuntimeInfo %v", arg, &info)
		}
	}
	out, err := exec.Command(env.entry, "-v").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "wasmtee-shim") || !strings.Contains(string(out), "Version:") {
		t.Errorf("-v: %v\n%s", err, out)
	}
	if out, err := exec.Command(env.entry, "-bogus").CombinedOutput(); err == nil {
		t.Errorf("-bogus was accepted:\n%s", out)
	}
}
