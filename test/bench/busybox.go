package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "crypto/sha256" // registers sha256 for go-digest
	"encoding/json"
	"fmt"
	"os"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// busyboxBinary is Debian busybox-static's binary (/bin/busybox, the same
// file as /usr/bin/busybox on a merged-/usr system).
const busyboxBinary = "/usr/bin/busybox"

// epoch is every timestamp in the image, so that the same binary always
// makes the same image.
var epoch = time.Unix(0, 0).UTC()

// writeBusyboxImage writes an OCI image-layout tar for linux/amd64 with one
// gzip layer: /bin/busybox plus /bin/echo, /bin/sh and /bin/sleep linking
// to it; no entrypoint, Cmd ["/bin/echo", "hi"]. index.json points straight
// at the manifest and names the image with io.containerd.image.name.
func writeBusyboxImage(out, ref string) error {
	bin, err := os.ReadFile(busyboxBinary)
	if err != nil {
		return fmt.Errorf("busybox-static: %w", err)
	}
	layerTar, err := busyboxLayer(bin)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if _, err := zw.Write(layerTar); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	layer := gz.Bytes()

	created := epoch
	cfg, err := json.Marshal(ocispec.Image{
		Created:  &created,
		Platform: ocispec.Platform{Architecture: "amd64", OS: "linux"},
		Config: ocispec.ImageConfig{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"/bin/echo", "hi"},
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layerTar)}},
	})
	if err != nil {
		return err
	}
	manifest, err := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    descriptor(ocispec.MediaTypeImageConfig, cfg),
		Layers:    []ocispec.Descriptor{descriptor(ocispec.MediaTypeImageLayerGzip, layer)},
	})
	if err != nil {
		return err
	}
	md := descriptor(ocispec.MediaTypeImageManifest, manifest)
	md.Platform = &ocispec.Platform{Architecture: "amd64", OS: "linux"}
	md.Annotations = map[string]string{
		"io.containerd.image.name": ref,
		ocispec.AnnotationRefName:  "bench",
	}
	index, err := json.Marshal(ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{md},
	})
	if err != nil {
		return err
	}
	layout, _ := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})

	var files []tarFile
	files = append(files, tarFile{name: "blobs/", dir: true}, tarFile{name: "blobs/sha256/", dir: true})
	for _, b := range [][]byte{layer, cfg, manifest} {
		files = append(files, tarFile{name: "blobs/sha256/" + digest.FromBytes(b).Encoded(), data: b})
	}
	files = append(files, tarFile{name: ocispec.ImageLayoutFile, data: layout}, tarFile{name: "index.json", data: index})
	archive, err := tarOf(files)
	if err != nil {
		return err
	}
	return os.WriteFile(out, archive, 0o644)
}

func descriptor(mediaType string, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(b), Size: int64(len(b))}
}

// busyboxLayer is the uncompressed layer tar.
func busyboxLayer(bin []byte) ([]byte, error) {
	files := []tarFile{
		{name: "bin/", dir: true},
		{name: "bin/busybox", data: bin, mode: 0o755},
	}
	for _, applet := range []string{"echo", "sh", "sleep"} {
		files = append(files, tarFile{name: "bin/" + applet, link: "busybox"})
	}
	return tarOf(files)
}

// tarFile is one entry of a tar made by tarOf: a directory, a symlink (link
// set) or a regular file (mode 0644 unless given).
type tarFile struct {
	name string
	dir  bool
	link string
	data []byte
	mode int64
}

func tarOf(files []tarFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, ModTime: epoch, Format: tar.FormatPAX}
		switch {
		case f.dir:
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case f.link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, f.link, 0o777
		default:
			h.Typeflag, h.Size, h.Mode = tar.TypeReg, int64(len(f.data)), 0o644
			if f.mode != 0 {
				h.Mode = f.mode
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(f.data); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
