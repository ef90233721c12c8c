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

	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// busyboxRef is an ordinary linux/amd64 image (Debian's busybox-static),
// for the sidecars of mixed pods: it is run through runc, not as wasm.
const busyboxRef = "docker.io/wasmtee-e2e/busybox:test"

// writeBusyboxImage writes an OCI image-layout tar of busyboxRef: /bin/busybox
// and the applets the tests use as symlinks to it (absolute, as alpine has them).
func writeBusyboxImage(dest string) error {
	bin, err := os.ReadFile("/bin/busybox")
	if err != nil {
		return fmt.Errorf("busybox-static: %w", err)
	}
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	tw.WriteHeader(&tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))})
	tw.Write(bin)
	for _, applet := range []string{"sh", "sleep", "echo", "cat"} {
		tw.WriteHeader(&tar.Header{Name: "bin/" + applet, Typeflag: tar.TypeSymlink, Linkname: "/bin/busybox", Mode: 0o777})
	}
	if err := tw.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer.Bytes())
	zw.Close()
	cfg, _ := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Config:   ocispec.ImageConfig{Cmd: []string{"/bin/echo", "hi"}, Env: []string{"PATH=/bin"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer.Bytes())}},
	})
	blob := func(mt string, b []byte) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
	}
	manifest, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: blob(ocispec.MediaTypeImageConfig, cfg),
		Layers: []ocispec.Descriptor{blob(ocispec.MediaTypeImageLayerGzip, gz.Bytes())},
	})
	md := blob(ocispec.MediaTypeImageManifest, manifest)
	md.Annotations = map[string]string{"io.containerd.image.name": busyboxRef, ocispec.AnnotationRefName: "test"}
	md.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	index, _ := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}})

	var out bytes.Buffer
	ow := tar.NewWriter(&out)
	add := func(name string, b []byte) {
		ow.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
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
