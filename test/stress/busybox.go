package stress

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "crypto/sha256" // registers sha256 for go-digest
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// busyboxBinary is Debian busybox-static's binary.
const busyboxBinary = "/bin/busybox"

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
	bin, err := os.ReadFile(busyboxBinary)
	if err != nil {
		return fmt.Errorf("busybox-static: %w", err)
	}
	epoch := time.Unix(0, 0).UTC()
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	entries := []struct {
		h    tar.Header
		data []byte
	}{
		{h: tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{h: tar.Header{Name: "bin/busybox", Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(bin))}, data: bin},
		{h: tar.Header{Name: "bin/echo", Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}},
		{h: tar.Header{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777}},
	}
	for _, e := range entries {
		e.h.ModTime = epoch
		if err := tw.WriteHeader(&e.h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(layer.Bytes()); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	platform := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	cfg, err := json.Marshal(ocispec.Image{
		Created:  &epoch,
		Platform: platform,
		Config:   ocispec.ImageConfig{Cmd: []string{"/bin/echo", "hi"}, Env: []string{"PATH=/bin"}},
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
	md.Platform = &platform
	md.Annotations = map[string]string{"io.containerd.image.name": ref, ocispec.AnnotationRefName: "stress"}
	index, err := json.Marshal(ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}})
	if err != nil {
		return err
	}
	layout, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})

	var buf bytes.Buffer
	ow := tar.NewWriter(&buf)
	add := func(name string, b []byte) error {
		if err := ow.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := ow.Write(b)
		return err
	}
	if err := add(ocispec.ImageLayoutFile, layout); err != nil {
		return err
	}
	if err := add("index.json", index); err != nil {
		return err
	}
	for _, b := range [][]byte{cfg, manifest, gz.Bytes()} {
		if err := add("blobs/sha256/"+digest.FromBytes(b).Encoded(), b); err != nil {
			return err
		}
	}
	if err := ow.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, buf.Bytes(), 0o644)
}
