package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// minimalModule is the smallest valid core module: header only.
var minimalModule = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// moduleWithStart is (module (func (export "_start"))) as compiled by wat2wasm.
var moduleWithStart = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
	0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73,
	0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

// writeFile writes data to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// tarEntry is one entry of a tar stream.
type tarEntry struct {
	hdr  *tar.Header
	data []byte
}

// readTar reads every entry of a tar stream, in order.
func readTar(t *testing.T, r io.Reader) []tarEntry {
	t.Helper()
	var out []tarEntry
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading tar entry %s: %v", hdr.Name, err)
		}
		out = append(out, tarEntry{hdr: hdr, data: data})
	}
}

// layout is a parsed OCI layout tar.
type layout struct {
	entries  []tarEntry
	files    map[string][]byte
	index    ocispec.Index
	manifest ocispec.Manifest
	config   ocispec.Image
	layer    []tarEntry    // entries of the decompressed layer
	gzHeader gzip.Header   // header of the compressed layer
	diffID   digest.Digest // sha256 of the decompressed layer
}

// parseLayout parses an OCI layout tar written by Build, checking along the
// way that every blob's name, digest and size agree with its descriptor.
func parseLayout(t *testing.T, b []byte) *layout {
	t.Helper()
	l := &layout{entries: readTar(t, bytes.NewReader(b)), files: map[string][]byte{}}
	for _, e := range l.entries {
		if e.hdr.Typeflag == tar.TypeReg {
			l.files[e.hdr.Name] = e.data
		}
	}
	for name, data := range l.files {
		const prefix = "blobs/sha256/"
		if len(name) > len(prefix) && name[:len(prefix)] == prefix {
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != name[len(prefix):] {
				t.Errorf("blob %s has sha256 %s", name, got)
			}
		}
	}
	blobOf := func(d ocispec.Descriptor) []byte {
		t.Helper()
		if err := d.Digest.Validate(); err != nil {
			t.Fatalf("descriptor digest %q: %v", d.Digest, err)
		}
		data, ok := l.files["blobs/sha256/"+d.Digest.Encoded()]
		if !ok {
			t.Fatalf("blob %s missing", d.Digest)
		}
		if int64(len(data)) != d.Size {
			t.Errorf("blob %s: size %d, descriptor says %d", d.Digest, len(data), d.Size)
		}
		return data
	}
	unmarshal := func(what string, data []byte, v any) {
		t.Helper()
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	unmarshal("index.json", l.files["index.json"], &l.index)
	if len(l.index.Manifests) != 1 {
		t.Fatalf("index.json has %d manifests, want 1", len(l.index.Manifests))
	}
	unmarshal("manifest", blobOf(l.index.Manifests[0]), &l.manifest)
	unmarshal("config", blobOf(l.manifest.Config), &l.config)
	if len(l.manifest.Layers) != 1 {
		t.Fatalf("manifest has %d layers, want 1", len(l.manifest.Layers))
	}
	gz, err := gzip.NewReader(bytes.NewReader(blobOf(l.manifest.Layers[0])))
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	l.gzHeader = gz.Header
	raw, err := io.ReadAll(gz)
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	l.diffID = digest.FromBytes(raw)
	l.layer = readTar(t, bytes.NewReader(raw))
	return l
}
