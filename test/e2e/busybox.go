//go:build e2e

package e2e

import (
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wasmtee/wasmtee/test/internal/busybox"
)

// busyboxRef is an ordinary linux/amd64 image (Debian's busybox-static),
// for the sidecars of mixed pods: it is run through runc, not as wasm.
const busyboxRef = "docker.io/wasmtee-e2e/busybox:test"

// writeBusyboxImage writes the image-layout tar of busyboxRef.
func writeBusyboxImage(dest string) error {
	return busybox.Write(dest, busyboxRef, ocispec.ImageConfig{Cmd: []string{"/bin/echo", "hi"}, Env: []string{"PATH=/bin"}})
}
