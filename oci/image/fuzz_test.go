package image

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// FuzzOpen feeds arbitrary bytes, as an image-layout tar file, through
// Open: it must never panic, and an image it accepts has only absolute,
// clean file paths.
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	module := filepath.Join(dir, "hello.wasm")
	data := filepath.Join(dir, "data.txt")
	if err := os.WriteFile(module, moduleWithStart, 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("some data\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	var built bytes.Buffer
	if _, err := Build(BuildOptions{
		Ref:        "example.com/fuzz:1",
		Module:     module,
		Files:      []File{{HostPath: data, GuestPath: "/etc/data.txt"}},
		Entrypoint: "/hello.wasm#_start",
		Env:        []string{"A=1"},
	}, &built); err != nil {
		f.Fatal(err)
	}
	good := built.Bytes()
	file := newFuzzFile(f)
	if _, err := Open(file.write(f, good)); err != nil {
		f.Fatalf("the built image does not open: %v", err)
	}
	f.Add(good)
	// Truncations: inside the first header, at block boundaries, inside a
	// blob, and the missing end-of-archive blocks.
	for _, n := range []int{0, 1, 100, 511, 512, 513, 1024, 1536, len(good) / 3, len(good) / 2, len(good) - 1024, len(good) - 1} {
		if n >= 0 && n <= len(good) {
			f.Add(good[:n])
		}
	}
	// An image with an uncompressed layer holding a whiteout, a directory,
	// a symlink and a path with "..", and one holding two images.
	var layer bytes.Buffer
	tw := tar.NewWriter(&layer)
	for _, e := range []struct {
		name string
		typ  byte
		body string
	}{
		{"a.wasm", tar.TypeReg, "\x00asm\x01\x00\x00\x00"},
		{"d/", tar.TypeDir, ""},
		{"d/b.txt", tar.TypeReg, "b"},
		{"d/.wh.b.txt", tar.TypeReg, ""},
		{"../../escape.txt", tar.TypeReg, "up"},
		{"link", tar.TypeSymlink, ""},
	} {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeSymlink {
			h.Linkname = "/etc/passwd"
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(h)
		tw.Write([]byte(e.body))
	}
	tw.Close()
	f.Add(fuzzLayout(f, ocispec.MediaTypeImageLayer, layer.Bytes(), 1))
	f.Add(fuzzLayout(f, ocispec.MediaTypeImageLayer, layer.Bytes(), 2))
	f.Add(fuzzLayout(f, "application/x-unknown", layer.Bytes(), 1))

	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := Open(file.write(t, b))
		if err != nil {
			if im != nil {
				t.Fatalf("image and error %v", err)
			}
			return
		}
		for p := range im.files {
			if !path.IsAbs(p) || path.Clean(p) != p {
				t.Fatalf("accepted image has file path %q", p)
			}
		}
	})
}

// fuzzFile is the file every input is written to, one per process:
// making and removing a file per input costs far more than Open does.
type fuzzFile struct {
	f    *os.File
	path string
}

func newFuzzFile(f *testing.F) *fuzzFile {
	dir := "/dev/shm" // memory, where there is one
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		dir = f.TempDir()
	}
	tmp, err := os.CreateTemp(dir, "wasmtee-fuzz-image-*.tar")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { tmp.Close(); os.Remove(tmp.Name()) })
	ff := &fuzzFile{f: tmp, path: tmp.Name()}
	// Where /proc/self/fd reopens it, unlink it now: fuzz workers can
	// end without running cleanups.
	if p := fmt.Sprintf("/proc/self/fd/%d", tmp.Fd()); os.Remove(tmp.Name()) == nil {
		ff.path = p
		if _, err := os.Stat(p); err != nil {
			f.Fatalf("%s: %v", p, err)
		}
	}
	return ff
}

// write replaces the file's content with b and returns its path.
func (ff *fuzzFile) write(tb testing.TB, b []byte) string {
	tb.Helper()
	if err := ff.f.Truncate(0); err != nil {
		tb.Fatal(err)
	}
	if _, err := ff.f.WriteAt(b, 0); err != nil {
		tb.Fatal(err)
	}
	return ff.path
}

// fuzzLayout is a layout tar whose index lists the same manifest n times,
// for a config and the given layer.
func fuzzLayout(tb testing.TB, layerType string, layer []byte, n int) []byte {
	tb.Helper()
	desc := func(mt string, b []byte) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
	}
	cfg, _ := json.Marshal(ocispec.Image{
		Platform: ocispec.Platform{OS: OS, Architecture: Architecture},
		Config:   ocispec.ImageConfig{Entrypoint: []string{"/a.wasm"}},
		RootFS:   ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromBytes(layer)}},
	})
	man, _ := json.Marshal(ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: desc(ocispec.MediaTypeImageConfig, cfg),
		Layers: []ocispec.Descriptor{desc(layerType, layer)},
	})
	idx := ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex}
	for range n {
		idx.Manifests = append(idx.Manifests, desc(ocispec.MediaTypeImageManifest, man))
	}
	index, _ := json.Marshal(idx)
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	add := func(name string, b []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(b))})
		tw.Write(b)
	}
	add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`))
	add("index.json", index)
	for _, b := range [][]byte{cfg, man, layer} {
		add("blobs/sha256/"+digest.FromBytes(b).Encoded(), b)
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}
