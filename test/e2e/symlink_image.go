//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/wasmtee/wasmtee/test/internal/ocilayout"
)

// hostileImage is the name (see imageRef) of a wasip1/wasm image with what `wasmtee
// image build` refuses to make: an empty module, an ELF binary and a WebAssembly
// component under .wasm names, and symbolic links that point out of the rootfs.
const hostileImage = "hostile"

// componentBytes is the header of a WebAssembly component (layer 1, version 0x0d)
// and a few bytes of a section.
const componentBytes = "\x00asm\x0d\x00\x01\x00\x01\x02\x03\x04"

// hostileEntries are the files of the hostile image. hostPath is a valid module on
// the host (outside any rootfs): if the shim ever followed a link on the host, the
// run would succeed and print what it prints.
func hostileEntries(hello []byte, elf []byte, hostPath string) []ocilayout.File {
	up := strings.Repeat("../", 12)
	return []ocilayout.File{
		{Name: "hello.wasm", Data: hello},
		{Name: "empty.wasm", Data: []byte{}},
		{Name: "bad2.wasm", Data: elf},
		{Name: "component.wasm", Data: []byte(componentBytes)},
		// Out of the rootfs: absolute, relative, to a host module, through a directory.
		{Name: "evil.wasm", Link: "/etc/hostname"},
		{Name: "evil-rel.wasm", Link: "../../../../etc/passwd"},
		{Name: "evil-host.wasm", Link: hostPath},
		{Name: "evil-host-rel.wasm", Link: up + strings.TrimPrefix(hostPath, "/")},
		{Name: "up", Link: strings.TrimSuffix(up, "/")},
		// Inside the rootfs: relative, and absolute as the container sees it.
		{Name: "inside.wasm", Link: "hello.wasm"},
		{Name: "abs-inside.wasm", Link: "/hello.wasm"},
	}
}

// writeImage writes an OCI image-layout tar of a wasip1/wasm image named ref, one
// gzip layer with entries, entrypoint /hello.wasm.
func writeImage(dest, ref string, entries []ocilayout.File) error {
	return ocilayout.Write(dest, ocilayout.Image{
		Ref:         ref,
		Platform:    ocispec.Platform{OS: "wasip1", Architecture: "wasm"},
		Config:      ocispec.ImageConfig{Entrypoint: []string{"/hello.wasm"}},
		Layer:       entries,
		Annotations: map[string]string{ocispec.AnnotationRefName: "test"},
	})
}

var (
	hostileOnce sync.Once
	hostileErr  error
)

// hostileHostModule is the host file the hostile image's evil-host links point to.
func hostileHostModule() string { return filepath.Join(env.work, "hello.wasm") }

// importHostile writes the hostile image (once per run) and imports it into c's daemon
// (once per daemon), so that c.run(hostileImage, ...) can use it.
func (c *tc) importHostile() {
	c.Helper()
	hostileOnce.Do(func() {
		hello, err := os.ReadFile(hostileHostModule())
		if err != nil {
			hostileErr = err
			return
		}
		elf, err := os.ReadFile("/bin/true")
		if err != nil {
			hostileErr = err
			return
		}
		hostileErr = writeImage(imageTar(hostileImage), imageRef(hostileImage),
			hostileEntries(hello, elf, hostileHostModule()))
	})
	if _, done := c.d.images[hostileImage]; done {
		return
	}
	c.d.images[hostileImage] = func() error {
		if hostileErr != nil {
			return fmt.Errorf("not built: %w", hostileErr)
		}
		_, err := c.d.importImage(namespace, imageTar(hostileImage), imageRef(hostileImage))
		return err
	}()
}
