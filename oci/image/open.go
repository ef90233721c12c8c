package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxBlob bounds what Open reads of one blob, and maxFiles what it keeps
// of the layers' files in all (a small gzip layer can unpack to a lot).
const (
	maxBlob  = 1 << 30
	maxFiles = 1 << 30
)

// Image is an image read back from an OCI image-layout tar: its config and
// the files of its layers (later layers win; whiteouts are honoured).
type Image struct {
	Config ocispec.Image
	files  map[string][]byte
	size   int64
}

// File returns the content of the regular file at an absolute path.
func (im *Image) File(p string) ([]byte, bool) {
	b, ok := im.files[path.Clean("/"+p)]
	return b, ok
}

// Open reads the single image of an OCI image-layout tar (as written by
// Build, or by `ctr images export`), checking every blob's digest.
func Open(tarPath string) (*Image, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	blobs := map[string][]byte{}
	var index []byte
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not an image-layout tar: %w", tarPath, err)
		}
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || (name != "index.json" && !strings.HasPrefix(name, "blobs/")) {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxBlob))
		if err != nil {
			return nil, err
		}
		if name == "index.json" {
			index = data
		} else {
			blobs[strings.TrimPrefix(name, "blobs/")] = data
		}
	}
	get := func(d ocispec.Descriptor) ([]byte, error) {
		if err := d.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("%s: descriptor digest %q: %w", tarPath, d.Digest, err)
		}
		b, ok := blobs[d.Digest.Algorithm().String()+"/"+d.Digest.Encoded()]
		if !ok {
			return nil, fmt.Errorf("%s: blob %s missing", tarPath, d.Digest)
		}
		if digest.FromBytes(b) != d.Digest {
			return nil, fmt.Errorf("%s: blob %s does not match its digest", tarPath, d.Digest)
		}
		return b, nil
	}
	var idx ocispec.Index
	if err := json.Unmarshal(index, &idx); err != nil || len(idx.Manifests) == 0 {
		return nil, fmt.Errorf("%s: no usable index.json", tarPath)
	}
	if len(idx.Manifests) > 1 {
		return nil, fmt.Errorf("%s: holds %d images; want one", tarPath, len(idx.Manifests))
	}
	mb, err := get(idx.Manifests[0])
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest: %w", tarPath, err)
	}
	cb, err := get(m.Config)
	if err != nil {
		return nil, err
	}
	im := &Image{files: map[string][]byte{}}
	if err := json.Unmarshal(cb, &im.Config); err != nil {
		return nil, fmt.Errorf("%s: config: %w", tarPath, err)
	}
	for _, l := range m.Layers {
		b, err := get(l)
		if err != nil {
			return nil, err
		}
		if err := im.applyLayer(l.MediaType, b); err != nil {
			return nil, fmt.Errorf("%s: layer %s: %w", tarPath, l.Digest, err)
		}
	}
	return im, nil
}

func (im *Image) applyLayer(mediaType string, b []byte) error {
	var r io.Reader = bytes.NewReader(b)
	if strings.HasSuffix(mediaType, "+gzip") || strings.HasSuffix(mediaType, ".gzip") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		r = zr
	} else if !strings.HasSuffix(mediaType, ".tar") && !strings.HasSuffix(mediaType, "tar") {
		return errors.New("unsupported layer media type " + mediaType)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean("/" + h.Name)
		dir, base := path.Split(name)
		if strings.HasPrefix(base, ".wh.") {
			delete(im.files, path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if im.size += h.Size; im.size > maxFiles {
			return fmt.Errorf("the layers' files exceed %d bytes", int64(maxFiles))
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxBlob))
		if err != nil {
			return err
		}
		im.files[name] = data
	}
}
