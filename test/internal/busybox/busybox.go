// Package busybox writes OCI image-layout tars of Debian's busybox-static
// (an ordinary linux/amd64 image) for the end-to-end tests, the benchmarks
// and the stress tool: runc's side of every comparison, the sidecar of
// mixed pods, and the sandbox image runc pods need.
package busybox

import (
	"fmt"
	"os"
	"runtime"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wasmtee/wasmtee/test/internal/ocilayout"
)

// Binary is Debian busybox-static's binary.
const Binary = "/bin/busybox"

// Applets are linked to /bin/busybox in the image, with absolute symlinks
// as alpine has them.
var Applets = []string{"sh", "sleep", "echo", "cat"}

// Write writes the image named ref, with image config cfg (entrypoint,
// cmd, env), to the tar file out. index.json points straight at the
// manifest and names it with io.containerd.image.name.
func Write(out, ref string, cfg ocispec.ImageConfig) error {
	bin, err := os.ReadFile(Binary)
	if err != nil {
		return fmt.Errorf("busybox-static: %w", err)
	}
	layer := []ocilayout.File{{Name: "bin/", Dir: true}, {Name: "bin/busybox", Data: bin, Mode: 0o755}}
	for _, a := range Applets {
		layer = append(layer, ocilayout.File{Name: "bin/" + a, Link: Binary})
	}
	return ocilayout.Write(out, ocilayout.Image{
		Ref:      ref,
		Platform: ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH},
		Config:   cfg,
		Layer:    layer,
	})
}
