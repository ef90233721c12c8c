//go:build e2e

// Package e2e runs wasmtee containers through real containerd daemons (Debian's 1.6 and
// 2.4.2, both at once, each in its own directory) with ctr and the containerd Go client.
//
// Run from the repository root after building bin/ (the Makefile does):
//
//	go test -tags e2e -count=1 ./test/e2e/
//
// Needs root, scripts/deps.sh's tools, bin/containerd-shim-wasmtee-v1,
// bin/wasmtee-module-host and bin/wasmtee
// (WASMTEE_BIN_DIR overrides bin/). A missing prerequisite fails the run, naming it.
package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

const (
	namespace   = "wasmtee-e2e"
	runtimeType = "io.containerd.wasmtee.v1"
	// secretEnv is set in the test process (and so in the daemons and shims) only:
	// a guest must never see it.
	secretEnv = "WASMTEE_E2E_SECRET"
)

// paths of the repository and of the binaries under test.
type paths struct {
	repo    string // repository root
	bin     string // bin/ or $WASMTEE_BIN_DIR
	entry   string // bin/containerd-shim-wasmtee-v1, the binary containerd runs
	shim    string // bin/wasmtee-shim, the serving shim process
	host    string // bin/wasmtee-module-host
	wasmtee string // bin/wasmtee
	script  string // scripts/containerd.sh
	work    string // temporary folder for guests and image archives
}

var env paths

func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/wasmtee/wasmtee\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod of github.com/wasmtee/wasmtee) not found above the working directory")
		}
		dir = parent
	}
}

// setupPaths fills env and checks every prerequisite, reporting all that are missing.
func setupPaths() error {
	repo, err := findRepo()
	if err != nil {
		return err
	}
	env.repo = repo
	env.bin = filepath.Join(repo, "bin")
	if b := os.Getenv("WASMTEE_BIN_DIR"); b != "" {
		if env.bin, err = filepath.Abs(b); err != nil {
			return err
		}
	}
	env.entry = filepath.Join(env.bin, "containerd-shim-wasmtee-v1")
	env.shim = filepath.Join(env.bin, "wasmtee-shim")
	env.host = filepath.Join(env.bin, "wasmtee-module-host")
	env.wasmtee = filepath.Join(env.bin, "wasmtee")
	env.script = filepath.Join(repo, "scripts", "containerd.sh")

	var missing []string
	need := func(path, hint string) {
		if fi, err := os.Stat(path); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, fmt.Sprintf("%s (%s)", path, hint))
		}
	}
	if os.Getuid() != 0 {
		missing = append(missing, "root (containerd and the shim need it)")
	}
	need(env.entry, "build it: go build -o bin/containerd-shim-wasmtee-v1 ./cmd/containerd-shim-wasmtee-v1, or make")
	need(env.shim, "build it: go build -o bin/wasmtee-shim ./cmd/wasmtee-shim, or make")
	need(env.host, "build it: go build -o bin/wasmtee-module-host ./cmd/wasmtee-module-host, or make")
	need(env.wasmtee, "build it: go build -o bin/wasmtee ./cmd/wasmtee, or make")
	need(env.script, "part of the repository")
	need("/usr/bin/containerd", "containerd 1.6: run scripts/deps.sh")
	need("/usr/bin/ctr", "ctr 1.6: run scripts/deps.sh")
	for _, v := range versions {
		need(ctrPath(v), "ctr "+v+": run scripts/deps.sh")
	}
	need(filepath.Join(repo, ".cache/containerd-2.4.2/bin/containerd"), "containerd 2.4.2: run scripts/deps.sh")
	for _, tool := range []string{"go", "wat2wasm"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" on PATH (run scripts/deps.sh for wat2wasm)")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing prerequisites:\n  %s", strings.Join(missing, "\n  "))
	}
	return nil
}

// ctrPath is the ctr binary that goes with a daemon version.
func ctrPath(version string) string {
	if version == "1.6" {
		return "/usr/bin/ctr"
	}
	return filepath.Join(env.repo, ".cache/containerd-2.4.2/bin/ctr")
}
