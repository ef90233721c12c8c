package oci

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// OpenModuleOrigin names the image layer file a module in an overlay rootfs
// is, and nothing for a file the container changed or wrote.
func TestOpenModuleOrigin(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to mount an overlay")
	}
	d := t.TempDir()
	dirs := map[string]string{}
	for _, n := range []string{"l1", "l2", "upper", "work", "merged"} {
		dirs[n] = filepath.Join(d, n)
		if err := os.Mkdir(dirs[n], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dirs["l2"], "app/m.wasm"), "\x00asm lower")
	write(filepath.Join(dirs["l1"], "top.wasm"), "\x00asm top")
	write(filepath.Join(dirs["l2"], "changed.wasm"), "\x00asm before")
	if err := os.Symlink("/app/m.wasm", filepath.Join(dirs["l1"], "link.wasm")); err != nil {
		t.Fatal(err)
	}
	lower := dirs["l1"] + ":" + dirs["l2"]
	opts := "lowerdir=" + lower + ",upperdir=" + dirs["upper"] + ",workdir=" + dirs["work"]
	if err := unix.Mount("overlay", dirs["merged"], "overlay", 0, opts); err != nil {
		t.Skipf("overlay mount: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dirs["merged"], unix.MNT_DETACH) })
	layers := ImageLayers([]Mount{{Type: "overlay", Source: "overlay", Options: []string{"index=off", "lowerdir=" + lower, "upperdir=" + dirs["upper"]}}})
	if len(layers) != 2 || layers[0] != dirs["l1"] {
		t.Fatalf("layers %v", layers)
	}
	// The container changes one file (copy-up) and writes another.
	write(filepath.Join(dirs["merged"], "changed.wasm"), "\x00asm after!")
	write(filepath.Join(dirs["merged"], "new.wasm"), "\x00asm new")

	for _, tc := range []struct {
		path, layer, rel string
	}{
		{"/app/m.wasm", dirs["l2"], "app/m.wasm"},
		{"/top.wasm", dirs["l1"], "top.wasm"},
		{"/link.wasm", dirs["l2"], "app/m.wasm"}, // an absolute symlink, read as the container sees it
		{"/changed.wasm", "", ""},
		{"/new.wasm", "", ""},
	} {
		f, o, err := OpenModuleOrigin(dirs["merged"], tc.path, layers)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		f.Close()
		switch {
		case tc.layer == "" && o != nil:
			t.Errorf("%s: origin %+v for a file the container wrote", tc.path, o)
		case tc.layer != "" && (o == nil || o.Layer != tc.layer || o.Path != tc.rel):
			t.Errorf("%s: origin %+v, want %s in %s", tc.path, o, tc.rel, tc.layer)
		}
	}
}

func TestImageLayers(t *testing.T) {
	for _, tc := range []struct {
		ms   []Mount
		want int
	}{
		{[]Mount{{Type: "bind", Source: "/s/1/fs", Options: []string{"ro", "rbind"}}}, 1},
		{[]Mount{{Type: "bind", Source: "/s/1/fs", Options: []string{"rw", "rbind"}}}, 0}, // an active snapshot: writable
		{[]Mount{{Type: "overlay", Options: []string{"upperdir=/u", "workdir=/w"}}}, 0},
		{nil, 0},
	} {
		if got := ImageLayers(tc.ms); len(got) != tc.want {
			t.Errorf("%+v: layers %v", tc.ms, got)
		}
	}
}
