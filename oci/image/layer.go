package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// Fixed metadata that makes layers and layouts reproducible.
var epoch = time.Unix(0, 0).UTC()

const (
	fileMode = 0o644
	dirMode  = 0o755
)

// layer is a built, compressed layer.
type layer struct {
	blob   []byte        // tar+gzip bytes
	diffID digest.Digest // digest of the uncompressed tar
}

// buildLayer writes files into a gzip-compressed tar with their parent
// directories. Entries are sorted by path and carry fixed ownership, modes
// and times, so equal inputs give equal bytes.
func buildLayer(files []content) (*layer, error) {
	type item struct {
		name string // relative, e.g. "lib/data.txt" or "lib/" for a directory
		data []byte
		dir  bool
	}
	seen := map[string]bool{}
	var items []item
	for _, f := range files {
		for dir := path.Dir(f.guest); dir != "/"; dir = path.Dir(dir) {
			name := strings.TrimPrefix(dir, "/") + "/"
			if !seen[name] {
				seen[name] = true
				items = append(items, item{name: name, dir: true})
			}
		}
		items = append(items, item{name: strings.TrimPrefix(f.guest, "/"), data: f.data})
	}
	// Sort component-wise: every directory comes before its contents, and
	// the order does not depend on the order of the inputs.
	sort.Slice(items, func(i, j int) bool { return pathLess(items[i].name, items[j].name) })

	var blob bytes.Buffer
	gz, err := gzip.NewWriterLevel(&blob, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	// gz.Name stays empty and gz.ModTime zero: no name, mtime 0.
	diff := sha256.New()
	tw := tar.NewWriter(io.MultiWriter(gz, diff))
	for _, it := range items {
		hdr := &tar.Header{
			Name:    it.name,
			ModTime: epoch,
			Uid:     0,
			Gid:     0,
		}
		if it.dir {
			hdr.Typeflag, hdr.Mode = tar.TypeDir, dirMode
		} else {
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, fileMode, int64(len(it.data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", it.name, err)
		}
		if _, err := tw.Write(it.data); err != nil {
			return nil, fmt.Errorf("layer entry %s: %w", it.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return &layer{
		blob:   blob.Bytes(),
		diffID: digest.NewDigestFromBytes(digest.SHA256, diff.Sum(nil)),
	}, nil
}

// pathLess orders slash-separated paths component by component, so that a
// directory always sorts directly before its own contents.
func pathLess(a, b string) bool {
	as := strings.Split(strings.TrimSuffix(a, "/"), "/")
	bs := strings.Split(strings.TrimSuffix(b, "/"), "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] != bs[i] {
			return as[i] < bs[i]
		}
	}
	return len(as) < len(bs)
}
