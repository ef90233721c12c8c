package image

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func build(t *testing.T, opts BuildOptions) ([]byte, digest.Digest) {
	t.Helper()
	var buf bytes.Buffer
	d, err := Build(opts, &buf)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return buf.Bytes(), d
}

func TestBuildReproducible(t *testing.T) {
	tests := []struct {
		name string
		// change modifies the inputs between the two builds in ways
		// that must not change the output.
		change func(t *testing.T, opts *BuildOptions)
	}{
		{"same inputs", func(*testing.T, *BuildOptions) {}},
		{"files in another order", func(_ *testing.T, o *BuildOptions) {
			o.Files[0], o.Files[1] = o.Files[1], o.Files[0]
		}},
		{"host mtimes and modes changed", func(t *testing.T, o *BuildOptions) {
			old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			for _, p := range []string{o.Module, o.Files[0].HostPath, o.Files[1].HostPath} {
				if err := os.Chtimes(p, old, old); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"copied to another directory", func(t *testing.T, o *BuildOptions) {
			dir := t.TempDir()
			o.Module = writeFile(t, dir, "hello.wasm", moduleWithStart)
			o.Files[0].HostPath = writeFile(t, dir, "other-name-a", []byte("alpha\n"))
			o.Files[1].HostPath = writeFile(t, dir, "other-name-b", []byte("beta\n"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := BuildOptions{
				Ref:    "example.com/hello:1",
				Module: writeFile(t, dir, "hello.wasm", moduleWithStart),
				Files: []File{
					{HostPath: writeFile(t, dir, "a.txt", []byte("alpha\n")), GuestPath: "/etc/a.txt"},
					{HostPath: writeFile(t, dir, "b.txt", []byte("beta\n")), GuestPath: "/data/b.txt"},
				},
				Env: []string{"A=1", "B=2"},
			}
			first, d1 := build(t, opts)
			tt.change(t, &opts)
			second, d2 := build(t, opts)
			if d1 != d2 {
				t.Errorf("manifest digests differ: %s vs %s", d1, d2)
			}
			if !bytes.Equal(first, second) {
				t.Errorf("tar streams differ (%d vs %d bytes)", len(first), len(second))
			}
		})
	}
}

// layerFile is what a test expects in the layer.
type layerFile struct {
	name string
	dir  bool
	data string
}

func TestBuildLayout(t *testing.T) {
	dir := t.TempDir()
	module := writeFile(t, dir, "hello.wasm", moduleWithStart)
	other := writeFile(t, dir, "other.wasm", minimalModule)
	data := writeFile(t, dir, "data.txt", []byte("some data\n"))
	conf := writeFile(t, dir, "conf/app.toml", []byte("x = 1\n"))

	tests := []struct {
		name       string
		opts       BuildOptions
		wantName   string
		wantTag    string
		entrypoint string
		env        []string
		layer      []layerFile
	}{
		{
			name:       "module only",
			opts:       BuildOptions{Ref: "example.com/hello:1", Module: module},
			wantName:   "example.com/hello:1",
			wantTag:    "1",
			entrypoint: "/hello.wasm",
			layer:      []layerFile{{name: "hello.wasm", data: string(moduleWithStart)}},
		},
		{
			name: "extra files with parent directories",
			opts: BuildOptions{Ref: "example.com/team/hello:v2", Module: module, Files: []File{
				{HostPath: data, GuestPath: "/srv/data/data.txt"},
				{HostPath: conf, GuestPath: "/etc/app.toml"},
				{HostPath: data, GuestPath: "/srv/copy.txt"},
			}},
			wantName:   "example.com/team/hello:v2",
			wantTag:    "v2",
			entrypoint: "/hello.wasm",
			layer: []layerFile{
				{name: "etc/", dir: true},
				{name: "etc/app.toml", data: "x = 1\n"},
				{name: "hello.wasm", data: string(moduleWithStart)},
				{name: "srv/", dir: true},
				{name: "srv/copy.txt", data: "some data\n"},
				{name: "srv/data/", dir: true},
				{name: "srv/data/data.txt", data: "some data\n"},
			},
		},
		{
			name:       "module path, entrypoint function and env",
			opts:       BuildOptions{Ref: "localhost:5000/hello", Module: module, ModuleGuestPath: "/bin/hello.wasm", Entrypoint: "/bin/hello.wasm#run", Env: []string{"GREETING=hi there", "EMPTY="}},
			wantName:   "localhost:5000/hello:latest",
			wantTag:    "latest",
			entrypoint: "/bin/hello.wasm#run",
			env:        []string{"GREETING=hi there", "EMPTY="},
			layer: []layerFile{
				{name: "bin/", dir: true},
				{name: "bin/hello.wasm", data: string(moduleWithStart)},
			},
		},
		{
			name:       "entrypoint is another module",
			opts:       BuildOptions{Ref: "hello:2", Module: module, Files: []File{{HostPath: other, GuestPath: "/lib/other.wasm"}}, Entrypoint: "/lib/other.wasm"},
			wantName:   "docker.io/library/hello:2",
			wantTag:    "2",
			entrypoint: "/lib/other.wasm",
			layer: []layerFile{
				{name: "hello.wasm", data: string(moduleWithStart)},
				{name: "lib/", dir: true},
				{name: "lib/other.wasm", data: string(minimalModule)},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, d := build(t, tt.opts)
			l := parseLayout(t, b)

			t.Run("outer tar", func(t *testing.T) {
				var names []string
				for _, e := range l.entries {
					names = append(names, e.hdr.Name)
					checkFixedHeader(t, e.hdr)
				}
				want := []string{"oci-layout", "index.json", "blobs/", "blobs/sha256/"}
				if len(names) != len(want)+3 || !reflect.DeepEqual(names[:len(want)], want) {
					t.Errorf("entries = %q, want %q then 3 blobs", names, want)
				}
				if got := string(l.files["oci-layout"]); got != `{"imageLayoutVersion":"1.0.0"}` {
					t.Errorf("oci-layout = %s", got)
				}
			})

			t.Run("index", func(t *testing.T) {
				if l.index.SchemaVersion != 2 || l.index.MediaType != ocispec.MediaTypeImageIndex {
					t.Errorf("index schemaVersion %d, mediaType %q", l.index.SchemaVersion, l.index.MediaType)
				}
				m := l.index.Manifests[0]
				if m.MediaType != ocispec.MediaTypeImageManifest {
					t.Errorf("index entry media type %q, want the manifest itself", m.MediaType)
				}
				if m.Digest != d {
					t.Errorf("index entry digest %s, Build returned %s", m.Digest, d)
				}
				if m.Platform == nil || m.Platform.OS != "wasip1" || m.Platform.Architecture != "wasm" {
					t.Errorf("index entry platform %+v, want wasip1/wasm", m.Platform)
				}
				wantAnn := map[string]string{
					"io.containerd.image.name":          tt.wantName,
					"org.opencontainers.image.ref.name": tt.wantTag,
				}
				if !reflect.DeepEqual(m.Annotations, wantAnn) {
					t.Errorf("annotations %v, want %v", m.Annotations, wantAnn)
				}
			})

			t.Run("manifest", func(t *testing.T) {
				if l.manifest.SchemaVersion != 2 || l.manifest.MediaType != ocispec.MediaTypeImageManifest {
					t.Errorf("manifest schemaVersion %d, mediaType %q", l.manifest.SchemaVersion, l.manifest.MediaType)
				}
				if got := l.manifest.Config.MediaType; got != ocispec.MediaTypeImageConfig {
					t.Errorf("config media type %q", got)
				}
				if got := l.manifest.Layers[0].MediaType; got != ocispec.MediaTypeImageLayerGzip {
					t.Errorf("layer media type %q", got)
				}
			})

			t.Run("config", func(t *testing.T) {
				c := l.config
				if c.OS != "wasip1" || c.Architecture != "wasm" {
					t.Errorf("config platform %s/%s", c.OS, c.Architecture)
				}
				if c.Created != nil {
					t.Errorf("config has created = %v, want none", c.Created)
				}
				if !reflect.DeepEqual(c.Config.Entrypoint, []string{tt.entrypoint}) {
					t.Errorf("entrypoint %q, want [%q]", c.Config.Entrypoint, tt.entrypoint)
				}
				if !reflect.DeepEqual(c.Config.Env, tt.env) {
					t.Errorf("env %q, want %q", c.Config.Env, tt.env)
				}
				if c.RootFS.Type != "layers" || !reflect.DeepEqual(c.RootFS.DiffIDs, []digest.Digest{l.diffID}) {
					t.Errorf("rootfs %+v, want diff_ids [%s]", c.RootFS, l.diffID)
				}
			})

			t.Run("layer", func(t *testing.T) {
				if l.gzHeader.Name != "" || !l.gzHeader.ModTime.IsZero() || l.gzHeader.Comment != "" {
					t.Errorf("gzip header name %q, mtime %v, comment %q", l.gzHeader.Name, l.gzHeader.ModTime, l.gzHeader.Comment)
				}
				var got []layerFile
				for _, e := range l.layer {
					checkFixedHeader(t, e.hdr)
					got = append(got, layerFile{name: e.hdr.Name, dir: e.hdr.Typeflag == tar.TypeDir, data: string(e.data)})
				}
				if !reflect.DeepEqual(got, tt.layer) {
					t.Errorf("layer entries:\n got %+v\nwant %+v", got, tt.layer)
				}
			})
		})
	}
}

// checkFixedHeader checks the ownership, mode and time of a tar entry.
func checkFixedHeader(t *testing.T, h *tar.Header) {
	t.Helper()
	wantMode := int64(0o644)
	switch h.Typeflag {
	case tar.TypeDir:
		wantMode = 0o755
		if !strings.HasSuffix(h.Name, "/") {
			t.Errorf("%s: directory name without trailing slash", h.Name)
		}
	case tar.TypeReg:
	default:
		t.Errorf("%s: type %q, want a file or directory", h.Name, h.Typeflag)
	}
	if h.Mode != wantMode {
		t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, wantMode)
	}
	if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
		t.Errorf("%s: owner %d:%d (%q:%q), want 0:0", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
	}
	if h.ModTime.Unix() != 0 {
		t.Errorf("%s: mtime %v, want the Unix epoch", h.Name, h.ModTime)
	}
	if strings.HasPrefix(h.Name, "/") || strings.Contains(h.Name, "..") {
		t.Errorf("%s: name must be relative and clean", h.Name)
	}
}

func TestBuildErrors(t *testing.T) {
	dir := t.TempDir()
	module := writeFile(t, dir, "hello.wasm", moduleWithStart)
	data := writeFile(t, dir, "data.txt", []byte("data"))
	component := writeFile(t, dir, "component.wasm", []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00})
	wat := writeFile(t, dir, "hello.wat", []byte("(module)\n"))
	future := writeFile(t, dir, "future.wasm", []byte{0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00})
	short := writeFile(t, dir, "short.wasm", []byte{0x00, 'a', 's'})
	missing := filepath.Join(dir, "missing.wasm")

	ok := BuildOptions{Ref: "example.com/hello:1", Module: module}
	with := func(f func(o *BuildOptions)) BuildOptions {
		o := ok
		f(&o)
		return o
	}

	tests := []struct {
		name    string
		opts    BuildOptions
		wantIs  error  // nil: only check the message
		wantMsg string // substring of the error message
	}{
		{"missing module", with(func(o *BuildOptions) { o.Module = missing }), os.ErrNotExist, "module " + missing + ": no such file or directory"},
		{"no module", with(func(o *BuildOptions) { o.Module = "" }), nil, "no module given"},
		{"module is a directory", with(func(o *BuildOptions) { o.Module = dir }), ErrNotRegular, "it is a directory"},
		{"text format", with(func(o *BuildOptions) { o.Module = wat }), ErrNotWasm, "wat2wasm"},
		{"not wasm", with(func(o *BuildOptions) { o.Module = data }), ErrNotWasm, "not a WebAssembly module"},
		{"truncated header", with(func(o *BuildOptions) { o.Module = short }), ErrNotWasm, "missing \\0asm header"},
		{"component", with(func(o *BuildOptions) { o.Module = component }), ErrComponent, "WebAssembly components are not supported yet"},
		{"unknown version", with(func(o *BuildOptions) { o.Module = future }), ErrNotWasm, "unsupported binary version 02 00 00 00"},
		{"empty ref", with(func(o *BuildOptions) { o.Ref = "" }), ErrInvalidReference, "empty"},
		{"uppercase ref", with(func(o *BuildOptions) { o.Ref = "example.com/Hello:1" }), ErrInvalidReference, "lowercase"},
		{"digest ref", with(func(o *BuildOptions) { o.Ref = "example.com/hello@sha256:" + strings.Repeat("a", 64) }), ErrInvalidReference, "digest"},
		{"missing extra file", with(func(o *BuildOptions) { o.Files = []File{{HostPath: missing, GuestPath: "/x"}} }), os.ErrNotExist, "file " + missing},
		{"extra file is a directory", with(func(o *BuildOptions) { o.Files = []File{{HostPath: dir, GuestPath: "/x"}} }), ErrNotRegular, "directory"},
		{"empty host path", with(func(o *BuildOptions) { o.Files = []File{{GuestPath: "/x"}} }), ErrInvalidFileSpec, "empty host path"},
		{"relative guest path", with(func(o *BuildOptions) { o.Files = []File{{HostPath: data, GuestPath: "etc/x"}} }), ErrInvalidGuestPath, "must be absolute"},
		{"dot-dot guest path", with(func(o *BuildOptions) { o.Files = []File{{HostPath: data, GuestPath: "/etc/../x"}} }), ErrInvalidGuestPath, "'..'"},
		{"unclean guest path", with(func(o *BuildOptions) { o.Files = []File{{HostPath: data, GuestPath: "/etc//x"}} }), ErrInvalidGuestPath, `did you mean "/etc/x"`},
		{"root guest path", with(func(o *BuildOptions) { o.Files = []File{{HostPath: data, GuestPath: "/"}} }), ErrInvalidGuestPath, "root directory"},
		{"bad module path", with(func(o *BuildOptions) { o.ModuleGuestPath = "hello.wasm" }), ErrInvalidGuestPath, "must be absolute"},
		{"duplicate of module", with(func(o *BuildOptions) { o.Files = []File{{HostPath: data, GuestPath: "/hello.wasm"}} }), ErrDuplicatePath, "/hello.wasm: used by module"},
		{"duplicate files", with(func(o *BuildOptions) {
			o.Files = []File{{HostPath: data, GuestPath: "/a"}, {HostPath: module, GuestPath: "/a"}}
		}), ErrDuplicatePath, "/a: used by file"},
		{"file used as directory", with(func(o *BuildOptions) {
			o.Files = []File{{HostPath: data, GuestPath: "/a"}, {HostPath: data, GuestPath: "/a/b"}}
		}), ErrDuplicatePath, "needs it to be a directory"},
		{"env without =", with(func(o *BuildOptions) { o.Env = []string{"FOO"} }), ErrInvalidEnv, "want KEY=VALUE"},
		{"env empty name", with(func(o *BuildOptions) { o.Env = []string{"=x"} }), ErrInvalidEnv, "empty name"},
		{"env twice", with(func(o *BuildOptions) { o.Env = []string{"A=1", "A=2"} }), ErrInvalidEnv, "more than once"},
		{"entrypoint not in image", with(func(o *BuildOptions) { o.Entrypoint = "/other.wasm" }), ErrInvalidEntrypoint, "not a file in the image"},
		{"entrypoint empty function", with(func(o *BuildOptions) { o.Entrypoint = "/hello.wasm#" }), ErrInvalidEntrypoint, "empty function name"},
		{"entrypoint relative", with(func(o *BuildOptions) { o.Entrypoint = "hello.wasm" }), ErrInvalidEntrypoint, "must be absolute"},
		{"entrypoint not wasm", with(func(o *BuildOptions) {
			o.Files = []File{{HostPath: data, GuestPath: "/data"}}
			o.Entrypoint = "/data#main"
		}), ErrNotWasm, "entrypoint /data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			d, err := Build(tt.opts, &buf)
			if err == nil {
				t.Fatalf("Build succeeded with digest %s, want an error", d)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if buf.Len() != 0 {
				t.Errorf("Build wrote %d bytes before failing", buf.Len())
			}
		})
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestBuildWriteError(t *testing.T) {
	module := writeFile(t, t.TempDir(), "hello.wasm", minimalModule)
	_, err := Build(BuildOptions{Ref: "hello:1", Module: module}, failWriter{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v, want the write error", err)
	}
}
