// Package busybox writes OCI image-layout tars of Debian's busybox-static
// (an ordinary linux/amd64 image) for the end-to-end tests, the benchmarks
// and the stress tool: runc's side of every comparison, the sidecar of
// mixed pods, and the sandbox image runc pods need.
package busybox

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Binary is Debian busybox-static's binary.
const Binary = "/bin/busybox"

// Applets are linked to /bin/busybox in the image, with absolute symlinks
// as alpine has them.
var Applets = []string{"sh", "sleep", "echo", "cat"}

// epoch is every timestamp in the image: the same binary makes the same
// image.
var epoch = time.Unix(0, 0).UTC()

// Write writes the image named ref, with image config cfg (entrypoint,
// cmd, env), to the tar file out. index.json points straight at the
// manifest and names it with io.containerd.image.name.
func Write(out, ref string, cfg ocispec.ImageConfig) error {
	bin, err := os.ReadFile(Binary)
	if err != nil {
		return fmt.Errorf("busybox-static: %w", err)
	}
	layer, err := layerOf(bin)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.ModTime = epoch
	if _, err := zw.Write(layer); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	platform := ocispec.Platform{OS: "linux", Architecture: runtime.GOARCH}
	config, err := json.Marshal(ocispec.Image{
		Platform: platform,
		Config:   cfg,
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer)}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    descriptor(ocispec.MediaTypeImageConfig, config),
		Layers:    []ocispec.Descriptor{descriptor(ocispec.MediaTypeImageLayerGzip, gz.Bytes())},
	})
	if err != nil {
		return err
	}
	md := descriptor(ocispec.MediaTypeImageManifest, manifest)
	md.Platform = &platform
	md.Annotations = map[string]string{"io.containerd.image.name": ref}
	index, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{md},
	})
	if err != nil {
		return err
	}
	files := []file{{name: "oci-layout", data: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {name: "index.json", data: index}}
	for _, b := range [][]byte{config, manifest, gz.Bytes()} {
		files = append(files, file{name: "blobs/sha256/" + digest.FromBytes(b).Encoded(), data: b})
	}
	img, err := tarOf(files)
	if err != nil {
		return err
	}
	return os.WriteFile(out, img, 0o644)
}

func descriptor(mediaType string, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
}

func layerOf(bin []byte) ([]byte, error) {
	files := []file{{name: "bin/", dir: true}, {name: "bin/busybox", data: bin, mode: 0o755}}
	for _, a := range Applets {
		files = append(files, file{name: "bin/" + a, link: Binary})
	}
	return tarOf(files)
}

type file struct {
	name string
	data []byte
	mode int64
	dir  bool
	link string
}

func tarOf(files []file) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, ModTime: epoch, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		switch {
		case f.dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case f.link != "":
			h.Typeflag, h.Linkname, h.Mode, h.Size = tar.TypeSymlink, f.link, 0o777, 0
		case f.mode != 0:
			h.Mode = f.mode
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
