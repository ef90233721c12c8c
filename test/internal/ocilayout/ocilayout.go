// Package ocilayout writes the small OCI image-layout tars the end-to-end
// tests, the benchmarks and the stress tool import with `ctr images import`:
// one image of one gzip layer, named by io.containerd.image.name, every
// timestamp the Unix epoch (the same files make the same tar).
package ocilayout

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// epoch is every timestamp in the tars.
var epoch = time.Unix(0, 0).UTC()

// File is one entry of a tar: a regular file (Data, Mode 0 for 0644), a
// directory (Dir) or a symbolic link to Link.
type File struct {
	Name string // relative to the root, no leading slash
	Data []byte
	Mode int64
	Dir  bool
	Link string
}

// Image is an image of one layer.
type Image struct {
	Ref      string // io.containerd.image.name
	Platform ocispec.Platform
	Config   ocispec.ImageConfig
	Layer    []File
	// Annotations are added to the manifest's descriptor in index.json,
	// besides io.containerd.image.name.
	Annotations map[string]string
}

// Write writes im to the tar file out. index.json points straight at the
// manifest.
func Write(out string, im Image) error {
	layer, err := tarOf(im.Layer)
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
	config, err := json.Marshal(ocispec.Image{
		Platform: im.Platform,
		Config:   im.Config,
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
	platform := im.Platform
	md.Platform = &platform
	md.Annotations = map[string]string{"io.containerd.image.name": im.Ref}
	for k, v := range im.Annotations {
		md.Annotations[k] = v
	}
	index, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{md},
	})
	if err != nil {
		return err
	}
	files := []File{{Name: "oci-layout", Data: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, {Name: "index.json", Data: index}}
	for _, b := range [][]byte{config, manifest, gz.Bytes()} {
		files = append(files, File{Name: "blobs/sha256/" + digest.FromBytes(b).Encoded(), Data: b})
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

// tarOf is a tar (PAX) of files, in their order.
func tarOf(files []File) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.Name, ModTime: epoch, Mode: 0o644, Size: int64(len(f.Data)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		switch {
		case f.Dir:
			h.Typeflag, h.Mode, h.Size = tar.TypeDir, 0o755, 0
		case f.Link != "":
			h.Typeflag, h.Linkname, h.Mode, h.Size = tar.TypeSymlink, f.Link, 0o777, 0
		case f.Mode != 0:
			h.Mode = f.Mode
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.Data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
