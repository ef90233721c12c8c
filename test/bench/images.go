package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// image is an OCI image-layout tar to import, and the name it imports as.
type image struct {
	name string
	ref  string
	tar  string
}

func imageRef(name string) string { return "docker.io/wasmtee-bench/" + name + ":bench" }

func newImage(work, name string) image {
	return image{name: name, ref: imageRef(name), tar: filepath.Join(work, name+".tar")}
}

// buildSmallImages builds the small images into work: the WAT hello, the Go
// guest, the idle WAT guest (sleeper; all with `wasmtee image build`) and
// busybox for runc.
func buildSmallImages(ctx context.Context, repo, work string) ([]image, error) {
	helloWasm := filepath.Join(work, "hello.wasm")
	if _, err := mustRun(ctx, time.Minute, repo, nil, "wat2wasm",
		filepath.Join(repo, "test", "guests", "wat", "hello.wat"), "-o", helloWasm); err != nil {
		return nil, err
	}
	goWasm := filepath.Join(work, "goguest.wasm")
	if _, err := mustRun(ctx, 5*time.Minute, repo, []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"},
		"go", "build", "-o", goWasm, "./test/guests/goguest"); err != nil {
		return nil, err
	}
	sleeperWasm, err := buildSleeper(ctx, repo, work)
	if err != nil {
		return nil, err
	}
	hello, goguest, sleeper, busybox := newImage(work, "hello"), newImage(work, "goguest"), newImage(work, "sleeper"), newImage(work, "busybox")
	for _, w := range []struct {
		im     image
		module string
	}{{hello, helloWasm}, {goguest, goWasm}, {sleeper, sleeperWasm}} {
		if err := wasmImage(ctx, repo, w.im, w.module); err != nil {
			return nil, err
		}
	}
	if err := writeBusyboxImage(busybox.tar, busybox.ref); err != nil {
		return nil, fmt.Errorf("busybox image: %w", err)
	}
	return []image{hello, goguest, sleeper, busybox}, nil
}

// wasmImage runs `wasmtee image build` for one module (entrypoint /BASENAME).
func wasmImage(ctx context.Context, repo string, im image, module string) error {
	_, err := mustRun(ctx, 2*time.Minute, repo, nil, filepath.Join(repo, "bin", "wasmtee"),
		"image", "build", "-t", im.ref, "-o", im.tar, module)
	return err
}
