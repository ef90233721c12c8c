package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// containerd 2.4 cannot use Debian's 1.6 runc shim (it does not know the
// old shim's options type), and scripts/deps.sh builds only containerd and
// ctr. So for the 2.4 daemon the runc baseline uses containerd-shim-runc-v2
// of the same release, built once into $REPO/.cache/bench/bin and put first
// on the daemon's PATH. The 1.6 daemon uses Debian's own (/usr/bin).
const runcShimModule = "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2"

// runcShimFor returns the directory to put first on the daemon's PATH for
// version ("" for none), and the runc shim version the daemon will use.
func runcShimFor(ctx context.Context, repo, version string) (dir, shimVersion string, err error) {
	if version != "2.4" {
		return "", shimVersionOf(ctx, "/usr/bin/containerd-shim-runc-v2"), nil
	}
	const want = "2.4.2"
	dir = filepath.Join(repo, ".cache", "bench", "bin")
	bin := filepath.Join(dir, "containerd-shim-runc-v2")
	if v := shimVersionOf(ctx, bin); strings.HasPrefix(v, want) {
		return dir, v, nil
	}
	step("building containerd-shim-runc-v2 " + want + " into " + dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	// Outside the repository, so that our go.mod takes no part.
	if _, err := mustRun(ctx, 10*time.Minute, "/", []string{"GOBIN=" + dir, "GOFLAGS=", "GOWORK=off"},
		"go", "install", runcShimModule+"@v"+want); err != nil {
		return "", "", err
	}
	v := shimVersionOf(ctx, bin)
	if !strings.HasPrefix(v, want) {
		return "", "", fmt.Errorf("%s reports version %q after go install, want %s", bin, v, want)
	}
	return dir, v, nil
}

// shimVersionOf is the "Version:" of `SHIM -v`.
func shimVersionOf(ctx context.Context, bin string) string {
	r := runCmd(ctx, 10*time.Second, "/", nil, bin, "-v")
	for _, l := range strings.Split(r.stdout, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "Version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
