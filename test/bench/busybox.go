package main

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wasmtee/wasmtee/test/internal/busybox"
)

// writeBusyboxImage writes the runc baseline's image: busybox-static with
// Cmd ["/bin/echo", "hi"].
func writeBusyboxImage(out, ref string) error {
	return busybox.Write(out, ref, ocispec.ImageConfig{Cmd: []string{"/bin/echo", "hi"}})
}
