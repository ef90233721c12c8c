//go:build e2e

package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// hostileImage is the name (see imageRef) of a wasip1/wasm image with what `wasmtee
// image build` refuses to make: an empty module, an ELF binary and a WebAssembly
// component under .wasm names, and symbolic links that point out of the rootfs.
const hostileImage = "hostile"

// componentBytes is the header of a WebAssembly component (layer 1, version 0x0d)
// and a few bytes of a section.
const componentBytes = "\x00asm\x0d\x00\x01\x00\x01\x02\x03\x04"

// imageEntry is one file of a test layer: a regular file with data, or a symlink
// to link.
type imageEntry struct {
	name string // relative to the root, no leading slash
	data []byte
	link string
}

// hostileEntries are the files of the hostile image. hostPath is a valid module on
// the host (outside any rootfs): if the shim ever followed a link on the host, the
// run would succeed and print what it prints.
func hostileEntries(hello []byte, elf []byte, hostPath string) []imageEntry {
	up := strings.Repeat("../", 12)
	return []imageEntry{
		{name: "hello.wasm", data: hello},
		{name: "empty.wasm", data: []byte{}},
		{name: "bad2.wasm", data: elf},
		{name: "component.wasm", data: []byte(componentBytes)},
		// Out of the rootfs: absolute, relative, to a host module, through a directory.
		{name: "evil.wasm", link: "/etc/hostname"},
		{name: "evil-rel.wasm", link: "../../../../etc/passwd"},
		{name: "evil-host.wasm", link: hostPath},
		{name: "evil-host-rel.wasm", link: up + strings.TrimPrefix(hostPath, "/")},
		{name: "up", link: strings.TrimSuffix(up, "/")},
		// Inside the rootfs: relative, and absolute as the container sees it.
		{name: "inside.wasm", link: "hello.wasm"},
		{name: "abs-inside.wasm", link: "/hello.wasm"},
	}
}

// writeImage writes an OCI image-layout tar of a wasip1/wasm image named ref, one
// gzip layer with entries, entrypoint /hello.wasm.
func writeImage(dest, ref string, entries []imageEntry) error {
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	mtime := time.Unix(0, 0)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(e.data)), ModTime: mtime}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Typeflag: tar.TypeSymlink, Linkname: e.link, Mode: 0o777, ModTime: mtime}
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if e.link == "" {
			if _, err := tw.Write(e.data); err != nil {
				return err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	platform := ocispec.Platform{OS: "wasip1", Architecture: "wasm"}
	cfg, err := json.Marshal(ocispec.Image{
		Platform: platform,
		Config:   ocispec.ImageConfig{Entrypoint: []string{"/hello.wasm"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer.Bytes())}},
	})
	if err != nil {
		return err
	}
	blob := func(mt string, b []byte) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
	}
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: blob(ocispec.MediaTypeImageConfig, cfg),
		Layers: []ocispec.Descriptor{blob(ocispec.MediaTypeImageLayerGzip, gz.Bytes())},
	})
	if err != nil {
		return err
	}
	md := blob(ocispec.MediaTypeImageManifest, manifest)
	md.Annotations = map[string]string{"io.containerd.image.name": ref, ocispec.AnnotationRefName: "test"}
	md.Platform = &platform
	index, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}})
	if err != nil {
		return err
	}
	var out bytes.Buffer
	ow := tar.NewWriter(&out)
	add := func(name string, b []byte) {
		ow.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: mtime})
		ow.Write(b)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", index)
	for _, b := range [][]byte{cfg, manifest, gz.Bytes()} {
		add(fmt.Sprintf("blobs/sha256/%x", sha256.Sum256(b)), b)
	}
	if err := ow.Close(); err != nil {
		return err
	}
	return os.WriteFile(dest, out.Bytes(), 0o644)
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
