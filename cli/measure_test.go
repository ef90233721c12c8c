package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmtee/wasmtee/oci/image"
)

// startModule is (module (func (export "_start"))).
var startModule = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
	0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01, 0x06, 0x5f, 0x73,
	0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

// bytesRead is the rchar of /proc/self/io: what the process has read so far.
func bytesRead(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no read accounting: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("rchar %q: %v", v, err)
			}
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}

// TestMeasureImageIsNotReadWhole: telling an image tar from a module reads
// its first bytes, not the whole file. The image here is followed by 512 MiB
// of zeros (a hole, after the tar's end), which image.Open never reaches.
func TestMeasureImageIsNotReadWhole(t *testing.T) {
	dir := t.TempDir()
	module := filepath.Join(dir, "hello.wasm")
	if err := os.WriteFile(module, startModule, 0o644); err != nil {
		t.Fatal(err)
	}
	var tarball bytes.Buffer
	if _, err := image.Build(image.BuildOptions{Ref: "example.com/hello:1", Module: module}, &tarball); err != nil {
		t.Fatal(err)
	}
	const tail = 512 << 20
	tarPath := filepath.Join(dir, "hello.tar")
	if err := os.WriteFile(tarPath, tarball.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(tarPath, int64(tarball.Len())+tail); err != nil {
		t.Fatal(err)
	}

	before := bytesRead(t)
	code, stdout, stderr := run(t, "measure", tarPath)
	read := bytesRead(t) - before
	if code != ExitOK {
		t.Fatalf("measure %s: exit %d: %s", tarPath, code, stderr)
	}
	if read >= tail {
		t.Errorf("measure read %d bytes of a %d-byte image file", read, int64(tarball.Len())+tail)
	}
	// The same container from the bare module (taken to be /hello.wasm, the
	// image's entrypoint; the image adds containerd's default PATH).
	code, direct, stderr := run(t, "measure", "--env", defaultEnv, module)
	if code != ExitOK {
		t.Fatalf("measure %s: exit %d: %s", module, code, stderr)
	}
	if stdout != direct {
		t.Errorf("image measures %q, its module %q", stdout, direct)
	}
}

// TestMeasureInput: a module is read whole; a file too short for the
// magic, or of other bytes, is taken for an image and refused as neither.
func TestMeasureInput(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "m.wasm")
	if err := os.WriteFile(p, startModule, 0o644); err != nil {
		t.Fatal(err)
	}
	data, isModule, err := readIfModule(p)
	if err != nil || !isModule || !bytes.Equal(data, startModule) {
		t.Fatalf("module: %v %v %x", isModule, err, data)
	}
	for name, content := range map[string]string{"empty": "", "short": "\x00as", "text": "hello, world"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if data, isModule, err := readIfModule(p); err != nil || isModule || data != nil {
			t.Errorf("%s: %v %v %q", name, isModule, err, data)
		}
		code, _, stderr := run(t, "measure", p)
		if code == ExitOK || !strings.Contains(stderr, "neither a wasm module nor an OCI image-layout tar") {
			t.Errorf("%s: exit %d: %s", name, code, stderr)
		}
	}
	if _, _, err := readIfModule(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
