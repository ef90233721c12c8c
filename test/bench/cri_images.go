package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	bbimage "github.com/wasmtee/wasmtee/test/internal/busybox"
)

// The CRI benchmark's images and tools, made once per run (buildCRI) and
// imported into every daemon's k8s.io namespace.

const (
	// pauseRef is the sandbox image pinned in both daemon configs
	// (scripts/containerd.sh). CRI uses it for every handler: the runc shim
	// runs it (so it must be a real linux/amd64 image), the wasmtee shim runs
	// the sandbox natively and never executes it.
	pauseRef = "docker.io/library/pause:local"
	// sleeperSeconds is how long the idle containers sleep: far longer than
	// the benchmark keeps them.
	sleeperSeconds = 3600
)

// criSetup is what every daemon's CRI benchmark uses.
type criSetup struct {
	dir    string  // pod and container configs, container logs
	crictl string  // the crictl binary
	config string  // an empty crictl config: no warning about /etc/crictl.yaml on every call
	images []image // imported into k8s.io: the sandbox image and the workloads'
	wasm   criWorkload
	goWasm criWorkload
	runc   criWorkload
}

// criWorkload is the one kind of container a pod of a benchmark runs.
type criWorkload struct {
	key         string // "wasm", "go" or "runc": pod names, result keys
	label       string // table rows
	short       string // table columns, chart labels (ASCII)
	handler     string // the daemon config's runtime handler
	ref         string
	command     []string // CRI command (replaces the image entrypoint); empty: the image's
	moduleHosts bool     // the handler runs a module host per container
}

// buildSleeper writes the idle WAT guest: the repository's sleep.wat (60 s
// in one poll_oneoff) with a timeout of sleeperSeconds, compiled into dir.
func buildSleeper(ctx context.Context, repo, dir string) (string, error) {
	src, err := os.ReadFile(filepath.Join(repo, "test", "guests", "wat", "sleep.wat"))
	if err != nil {
		return "", err
	}
	const from = "(i64.const 60000000000)"
	if strings.Count(string(src), from) != 1 {
		return "", fmt.Errorf("test/guests/wat/sleep.wat: expected one %q (the 60 s timeout) to replace", from)
	}
	wat := strings.Replace(string(src), from, fmt.Sprintf("(i64.const %d)", int64(sleeperSeconds)*int64(time.Second)), 1)
	watPath, wasmPath := filepath.Join(dir, "sleeper.wat"), filepath.Join(dir, "sleeper.wasm")
	if err := os.WriteFile(watPath, []byte(wat), 0o644); err != nil {
		return "", err
	}
	if _, err := mustRun(ctx, time.Minute, repo, nil, "wat2wasm", watPath, "-o", wasmPath); err != nil {
		return "", err
	}
	return wasmPath, nil
}

// buildCRI writes the sandbox image and the crictl config into work. The
// workloads' images come from buildSmallImages: busybox (its containers get
// `/bin/sleep 3600` as their command), the idle WAT guest and the Go guest
// (`/goguest.wasm sleep 3600`).
func buildCRI(repo, work string, busybox, sleeper, goguest image) (*criSetup, error) {
	s := &criSetup{
		dir:    filepath.Join(work, "cri"),
		crictl: filepath.Join(repo, ".cache", "cri-tools", "bin", "crictl"),
	}
	if fi, err := os.Stat(s.crictl); err != nil || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("crictl not found at %s: run scripts/deps.sh (or -skip-cri)", s.crictl)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	s.config = filepath.Join(s.dir, "crictl.yaml")
	if err := os.WriteFile(s.config, nil, 0o644); err != nil {
		return nil, err
	}

	pause := image{name: "pause", ref: pauseRef, tar: filepath.Join(work, "pause.tar")}
	if err := bbimage.Write(pause.tar, pause.ref, ocispec.ImageConfig{
		Env:        []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		Entrypoint: []string{"/bin/sleep", "infinity"},
	}); err != nil {
		return nil, fmt.Errorf("sandbox image: %w", err)
	}

	s.images = []image{pause, sleeper, goguest, busybox}
	s.wasm = criWorkload{key: "wasm", label: fmt.Sprintf("wasm (WAT, poll_oneoff %d s)", sleeperSeconds), short: "WAT",
		handler: "wasmtee", ref: sleeper.ref, moduleHosts: true}
	s.goWasm = criWorkload{key: "go", label: fmt.Sprintf("wasm (Go guest `/goguest.wasm sleep %d`)", sleeperSeconds), short: "Go",
		handler: "wasmtee", ref: goguest.ref, moduleHosts: true,
		command: []string{"/goguest.wasm", "sleep", fmt.Sprint(sleeperSeconds)}}
	s.runc = criWorkload{key: "runc", label: fmt.Sprintf("runc (busybox `sleep %d`)", sleeperSeconds), short: "runc",
		handler: "runc", ref: busybox.ref, command: []string{"/bin/sleep", fmt.Sprint(sleeperSeconds)}}
	return s, nil
}
