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

// maxBlob bounds one blob of the tar and one file of a layer, and maxFiles
// what Open keeps of the layers' files in all (a small gzip layer can
// unpack to a lot). Anything larger is refused with ErrTooLarge, never cut
// short. maxBlob is a variable so that tests can lower it.
var maxBlob int64 = 1 << 30

const maxFiles = 1 << 30

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
// Build, or by `ctr images export`), checking every blob's digest. Its
// errors name the tar entry (and the file of a layer) they concern.
func Open(tarPath string) (*Image, error) {
	f, err := os.Open(tarPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	blobs := map[string][]byte{}
	var index []byte
	haveIndex := false
	last := ""
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: not an image-layout tar: %s: %w", tarPath, after("entry", last), err)
		}
		last = h.Name
		name := path.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || (name != "index.json" && !strings.HasPrefix(name, "blobs/")) {
			continue
		}
		data, err := readLimited(tr, h.Size)
		if err != nil {
			return nil, fmt.Errorf("%s: entry %s: %w", tarPath, h.Name, err)
		}
		if name == "index.json" {
			index, haveIndex = data, true
		} else {
			blobs[strings.TrimPrefix(name, "blobs/")] = data
		}
	}
	get := func(what string, d ocispec.Descriptor) ([]byte, error) {
		if err := d.Digest.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %s descriptor digest %q: %w", tarPath, what, d.Digest, err)
		}
		entry := blobEntry(d.Digest)
		b, ok := blobs[strings.TrimPrefix(entry, "blobs/")]
		if !ok {
			return nil, fmt.Errorf("%s: %s blob %s missing: no entry %s", tarPath, what, d.Digest, entry)
		}
		if digest.FromBytes(b) != d.Digest {
			return nil, fmt.Errorf("%s: entry %s (%s) does not match its digest", tarPath, entry, what)
		}
		return b, nil
	}
	if !haveIndex {
		return nil, fmt.Errorf("%s: no entry index.json: not an image-layout tar", tarPath)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(index, &idx); err != nil {
		return nil, fmt.Errorf("%s: entry index.json: %w", tarPath, err)
	}
	if len(idx.Manifests) == 0 {
		return nil, fmt.Errorf("%s: entry index.json lists no image", tarPath)
	}
	if len(idx.Manifests) > 1 {
		return nil, fmt.Errorf("%s: entry index.json lists %d images; want one", tarPath, len(idx.Manifests))
	}
	mb, err := get("manifest", idx.Manifests[0])
	if err != nil {
		return nil, err
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(mb, &m); err != nil {
		return nil, fmt.Errorf("%s: manifest (entry %s): %w", tarPath, blobEntry(idx.Manifests[0].Digest), err)
	}
	cb, err := get("config", m.Config)
	if err != nil {
		return nil, err
	}
	im := &Image{files: map[string][]byte{}}
	if err := json.Unmarshal(cb, &im.Config); err != nil {
		return nil, fmt.Errorf("%s: config (entry %s): %w", tarPath, blobEntry(m.Config.Digest), err)
	}
	for _, l := range m.Layers {
		b, err := get("layer", l)
		if err != nil {
			return nil, err
		}
		if err := im.applyLayer(l.MediaType, b); err != nil {
			return nil, fmt.Errorf("%s: layer %s (entry %s): %w", tarPath, l.Digest, blobEntry(l.Digest), err)
		}
	}
	return im, nil
}

// blobEntry is the name of the tar entry that holds the blob of a (valid)
// digest.
func blobEntry(d digest.Digest) string {
	return "blobs/" + d.Algorithm().String() + "/" + d.Encoded()
}

// after names where a tar stream broke: after the last entry read, if any.
func after(what, last string) string {
	if last == "" {
		return "at the first " + what
	}
	return "after " + what + " " + last
}

// readLimited reads a tar entry of the given (header) size, refusing one
// larger than maxBlob rather than cutting it short.
func readLimited(r io.Reader, size int64) ([]byte, error) {
	if size > maxBlob {
		return nil, tooLarge(size)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBlob+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBlob {
		return nil, tooLarge(int64(len(data)))
	}
	return data, nil
}

func tooLarge(size int64) error {
	return fmt.Errorf("%w: %d bytes, over the limit of %s", ErrTooLarge, size, byteSize(maxBlob))
}

// byteSize writes n in the largest binary unit that divides it.
func byteSize(n int64) string {
	switch {
	case n > 0 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n > 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (im *Image) applyLayer(mediaType string, b []byte) error {
	var r io.Reader = bytes.NewReader(b)
	if strings.HasSuffix(mediaType, "+gzip") || strings.HasSuffix(mediaType, ".gzip") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		r = zr
	} else if !strings.HasSuffix(mediaType, ".tar") && !strings.HasSuffix(mediaType, "tar") {
		return errors.New("unsupported layer media type " + mediaType)
	}
	tr := tar.NewReader(r)
	last := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", after("file", last), err)
		}
		last = h.Name
		name := path.Clean("/" + h.Name)
		dir, base := path.Split(name)
		if strings.HasPrefix(base, ".wh.") {
			delete(im.files, path.Join(dir, strings.TrimPrefix(base, ".wh.")))
			continue
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > maxBlob {
			return fmt.Errorf("file %s: %w", h.Name, tooLarge(h.Size))
		}
		if im.size += h.Size; im.size > maxFiles {
			return fmt.Errorf("file %s: %w: the layers' files exceed %s in all", h.Name, ErrTooLarge, byteSize(maxFiles))
		}
		data, err := readLimited(tr, h.Size)
		if err != nil {
			return fmt.Errorf("file %s: %w", h.Name, err)
		}
		im.files[name] = data
	}
}
