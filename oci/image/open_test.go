package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// part is an entry of a layout tar; size, if set, is the header's size.
type part struct {
	name string
	data []byte
	size int64
}

func blobPart(b []byte) part { return part{name: blobEntry(digest.FromBytes(b)), data: b} }

// tarOf writes parts as a tar. An entry whose header size is larger than
// its data must be the last: the stream ends inside it.
func tarOf(t *testing.T, parts ...part) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for _, p := range parts {
		size := p.size
		if size == 0 {
			size = int64(len(p.data))
		}
		if err := tw.WriteHeader(&tar.Header{Name: p.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: size}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(p.data); err != nil {
			t.Fatal(err)
		}
		if size != int64(len(p.data)) {
			return out.Bytes()
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func desc(mt string, b []byte) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testImage is the blobs of a one-layer image; parts puts them in a layout.
type testImage struct {
	config, manifest, layer []byte
}

func newTestImage(t *testing.T, layerType string, layer []byte) *testImage {
	t.Helper()
	im := &testImage{layer: layer}
	im.config = mustJSON(t, ocispec.Image{
		Platform: ocispec.Platform{OS: OS, Architecture: Architecture},
		Config:   ocispec.ImageConfig{Entrypoint: []string{"/a.wasm"}},
	})
	im.manifest = mustJSON(t, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest,
		Config: desc(ocispec.MediaTypeImageConfig, im.config),
		Layers: []ocispec.Descriptor{desc(layerType, layer)},
	})
	return im
}

func (im *testImage) index(t *testing.T) []byte {
	return mustJSON(t, ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{desc(ocispec.MediaTypeImageManifest, im.manifest)},
	})
}

// parts is the image's layout, layer last.
func (im *testImage) parts(t *testing.T) []part {
	return []part{
		{name: "index.json", data: im.index(t)},
		blobPart(im.config), blobPart(im.manifest), blobPart(im.layer),
	}
}

func openBytes(t *testing.T, b []byte) (*Image, string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := Open(p)
	if err != nil && im != nil {
		t.Fatalf("image and error %v", err)
	}
	return im, p, err
}

func wantErr(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}

func TestOpenReadsLayers(t *testing.T) {
	layer := tarOf(t, part{name: "a.wasm", data: minimalModule}, part{name: "etc/data.txt", data: []byte("data")})
	im, _, err := openBytes(t, tarOf(t, newTestImage(t, ocispec.MediaTypeImageLayer, layer).parts(t)...))
	if err != nil {
		t.Fatal(err)
	}
	if b, ok := im.File("/etc/data.txt"); !ok || string(b) != "data" {
		t.Errorf("/etc/data.txt: %q %v", b, ok)
	}
}

// TestOpenErrorsNameEntries: each error says which entry of the tar, and
// which file of a layer, it is about.
func TestOpenErrorsNameEntries(t *testing.T) {
	layer := tarOf(t, part{name: "a.wasm", data: minimalModule})
	good := newTestImage(t, ocispec.MediaTypeImageLayer, layer)
	layerEntry := blobEntry(digest.FromBytes(layer))
	configEntry := blobEntry(digest.FromBytes(good.config))

	t.Run("blob cut short", func(t *testing.T) {
		parts := good.parts(t)
		last := &parts[len(parts)-1]
		last.size, last.data = int64(len(last.data)), last.data[:len(last.data)-100]
		_, _, err := openBytes(t, tarOf(t, parts...))
		wantErr(t, err, "entry "+layerEntry+": ", "unexpected EOF")
	})
	t.Run("broken header", func(t *testing.T) {
		b := tarOf(t, good.parts(t)...)
		// The header after index.json's one block of data.
		copy(b[1024:1024+100], bytes.Repeat([]byte{0xff}, 100))
		_, _, err := openBytes(t, b)
		wantErr(t, err, "not an image-layout tar: after entry index.json: ")
	})
	t.Run("blob does not match its digest", func(t *testing.T) {
		parts := good.parts(t)
		parts[1].data = bytes.ToUpper(parts[1].data)
		_, _, err := openBytes(t, tarOf(t, parts...))
		wantErr(t, err, "entry "+configEntry+" (config) does not match its digest")
	})
	t.Run("blob missing", func(t *testing.T) {
		parts := good.parts(t)
		_, _, err := openBytes(t, tarOf(t, parts[:3]...))
		wantErr(t, err, "layer blob sha256:", "no entry "+layerEntry)
	})
	t.Run("no index", func(t *testing.T) {
		_, _, err := openBytes(t, tarOf(t, good.parts(t)[1:]...))
		wantErr(t, err, "no entry index.json")
	})
	t.Run("index not JSON", func(t *testing.T) {
		parts := good.parts(t)
		parts[0].data = []byte("{")
		_, _, err := openBytes(t, tarOf(t, parts...))
		wantErr(t, err, "entry index.json: unexpected end of JSON input")
	})
	t.Run("manifest not JSON", func(t *testing.T) {
		bad := &testImage{config: good.config, layer: layer, manifest: []byte("[")}
		_, _, err := openBytes(t, tarOf(t, bad.parts(t)...))
		wantErr(t, err, "manifest (entry "+blobEntry(digest.FromBytes(bad.manifest))+"): ")
	})
	t.Run("layer not gzip", func(t *testing.T) {
		im := newTestImage(t, ocispec.MediaTypeImageLayerGzip, layer)
		_, _, err := openBytes(t, tarOf(t, im.parts(t)...))
		wantErr(t, err, "(entry "+layerEntry+"): gzip: ")
	})
	t.Run("layer file cut short", func(t *testing.T) {
		cut := tarOf(t, part{name: "a.wasm", data: minimalModule}, part{name: "big.bin", data: make([]byte, 100), size: 5000})
		im := newTestImage(t, ocispec.MediaTypeImageLayerGzip, gzipped(t, cut))
		_, _, err := openBytes(t, tarOf(t, im.parts(t)...))
		wantErr(t, err, "(entry "+blobEntry(digest.FromBytes(im.layer))+"): file big.bin: unexpected EOF")
	})
}

// TestOpenRefusesWhatItWouldCut: an entry or a layer's file over the size
// limit is an error that names it and the limit, not a blob cut short
// (which failed its digest check) or a module cut short (which was kept).
func TestOpenRefusesWhatItWouldCut(t *testing.T) {
	saved := maxBlob
	maxBlob = 4 << 10
	t.Cleanup(func() { maxBlob = saved })

	big := make([]byte, maxBlob+1)
	copy(big, minimalModule)

	t.Run("entry", func(t *testing.T) {
		layer := tarOf(t, part{name: "a.wasm", data: big})
		im := newTestImage(t, ocispec.MediaTypeImageLayer, layer)
		_, _, err := openBytes(t, tarOf(t, im.parts(t)...))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error %v, want ErrTooLarge", err)
		}
		wantErr(t, err, "entry "+blobEntry(digest.FromBytes(layer))+": too large: ", "over the limit of 4 KiB")
	})
	t.Run("layer file", func(t *testing.T) {
		layer := gzipped(t, tarOf(t, part{name: "a.wasm", data: big}))
		if int64(len(layer)) > maxBlob {
			t.Fatalf("the gzip layer has %d bytes", len(layer))
		}
		im := newTestImage(t, ocispec.MediaTypeImageLayerGzip, layer)
		_, _, err := openBytes(t, tarOf(t, im.parts(t)...))
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("error %v, want ErrTooLarge", err)
		}
		wantErr(t, err, "file a.wasm: too large: 4097 bytes, over the limit of 4 KiB")
	})
	t.Run("at the limit", func(t *testing.T) {
		layer := gzipped(t, tarOf(t, part{name: "a.wasm", data: big[:maxBlob]}))
		im := newTestImage(t, ocispec.MediaTypeImageLayerGzip, layer)
		got, _, err := openBytes(t, tarOf(t, im.parts(t)...))
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := got.File("/a.wasm"); int64(len(b)) != maxBlob {
			t.Errorf("/a.wasm has %d bytes, want %d", len(b), maxBlob)
		}
	})
}

// TestOpenBlobOverOneGiB: the real limit, with a sparse tar whose entry
// claims 1 GiB and a byte. It is refused by its header, without reading it.
func TestOpenBlobOverOneGiB(t *testing.T) {
	name := blobEntry(digest.FromString("big"))
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1<<30 + 1}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "big.tar")
	if err := os.WriteFile(p, hdr.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, int64(hdr.Len())+1<<30+512+1024); err != nil {
		t.Fatal(err)
	}
	_, err := Open(p)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error %v, want ErrTooLarge", err)
	}
	wantErr(t, err, p+": entry "+name+": too large: 1073741825 bytes, over the limit of 1 GiB")
}
