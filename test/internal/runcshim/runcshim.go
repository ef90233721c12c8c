// Package runcshim builds containerd-shim-runc-v2 of containerd 2.4 for the
// runc baselines of the benchmarks (test/bench) and the stress test
// (scripts/stress.sh, through `wasmtee-stress runc-shim`).
//
// containerd 2.4 cannot use Debian's 1.6 runc shim (it does not know the
// old shim's options type), and scripts/deps.sh builds only containerd and
// ctr. So a 2.4 daemon's runc runs use containerd-shim-runc-v2 of the same
// release, built once into $REPO/.cache/bench/bin and put first on the
// daemon's PATH. A 1.6 daemon uses Debian's own (/usr/bin).
package runcshim

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	// Module is the shim's Go package.
	Module = "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"
	// Version is the release built, containerd 2.4's.
	Version = "2.4.2"
	// Debian is Debian's shim, for containerd 1.6.
	Debian = "/usr/bin/containerd-shim-runc-v2"
	// binary is the shim's file name.
	binary = "containerd-shim-runc-v2"
)

// Dir is the directory the shim is built into: $REPO/.cache/bench/bin.
func Dir(repo string) string { return filepath.Join(repo, ".cache", "bench", "bin") }

// Ensure builds containerd-shim-runc-v2 Version into dir with `go
// install`, unless the shim there already reports Version, and returns
// the version the shim in dir reports. logf, if not nil, is told when a
// build starts.
func Ensure(ctx context.Context, dir string, logf func(string)) (string, error) {
	bin := filepath.Join(dir, binary)
	if v := VersionOf(ctx, bin); strings.HasPrefix(v, Version) {
		return v, nil
	}
	if logf != nil {
		logf("building " + binary + " " + Version + " into " + dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", Module+"@v"+Version)
	// From /, so that no go.mod (this repository's) takes part.
	cmd.Dir = "/"
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@v%s: %v\n%s", Module, Version, err, out)
	}
	v := VersionOf(ctx, bin)
	if !strings.HasPrefix(v, Version) {
		return "", fmt.Errorf("%s reports version %q after go install, want %s", bin, v, Version)
	}
	return v, nil
}

// VersionOf is the "Version:" of `SHIM -v` ("unknown" if there is none).
func VersionOf(ctx context.Context, bin string) string {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-v")
	cmd.Dir = "/"
	cmd.Stdout = &out
	cmd.Run()
	for _, l := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
