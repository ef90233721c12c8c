package stress

import (
	"fmt"
	"io"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wasmtee/wasmtee/test/internal/busybox"
)

// busyboxMain is `wasmtee-stress busybox-image OUT.tar REF`: it writes the
// runc comparison's image, an OCI image-layout tar for linux/amd64 with
// /bin/busybox and /bin/echo, /bin/sh linking to it, Cmd ["/bin/echo",
// "hi"], named REF.
func busyboxMain(args []string, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: wasmtee-stress busybox-image OUT.tar REF")
		return 2
	}
	if err := writeBusyboxImage(args[0], args[1]); err != nil {
		fmt.Fprintf(stderr, "wasmtee-stress: %v\n", err)
		return 1
	}
	return 0
}

func writeBusyboxImage(out, ref string) error {
	return busybox.Write(out, ref, ocispec.ImageConfig{Cmd: []string{"/bin/echo", "hi"}})
}
