package main

import (
	"context"

	"github.com/wasmtee/wasmtee/test/internal/runcshim"
)

// runcShimFor returns the directory to put first on the daemon's PATH for
// version ("" for none), and the runc shim version the daemon will use:
// for 2.4, containerd-shim-runc-v2 of the same release, built once (see
// test/internal/runcshim); for 1.6, Debian's own.
func runcShimFor(ctx context.Context, repo, version string) (dir, shimVersion string, err error) {
	if version != "2.4" {
		return "", runcshim.VersionOf(ctx, runcshim.Debian), nil
	}
	dir = runcshim.Dir(repo)
	v, err := runcshim.Ensure(ctx, dir, step)
	if err != nil {
		return "", "", err
	}
	return dir, v, nil
}
