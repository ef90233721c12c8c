package sgx

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

type manifestFixture struct {
	dir, host, module, lib string
	opts                   ManifestOptions
}

func newFixture(t *testing.T) manifestFixture {
	t.Helper()
	dir := t.TempDir()
	f := manifestFixture{
		dir:    dir,
		host:   filepath.Join(dir, "containerd-shim-wasmtee-v1"),
		module: filepath.Join(dir, "app.wasm"),
		lib:    filepath.Join(dir, "lib", "libgcc_s.so.1"),
	}
	os.MkdirAll(filepath.Dir(f.lib), 0o755)
	os.WriteFile(f.host, []byte("shim binary"), 0o755)
	os.WriteFile(f.module, []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	os.WriteFile(f.lib, []byte("libgcc"), 0o644)
	f.opts = ManifestOptions{
		HostBinary: f.host,
		Argv:       []string{"wasmtee-module-host", "c0ffee"},
		Module:     f.module,
		Libraries:  []string{f.lib},
		Preopens: []Preopen{
			{Host: "/srv/data", Guest: "/data", ReadOnly: true},
			{Host: "/srv/secret/", Guest: "/secret", KeyName: "_sgx_mrenclave"},
		},
	}
	return f
}

func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// render stands in for gramine-manifest: it substitutes Gramine's Jinja
// variables, then parses the TOML.
func render(t *testing.T, m string) map[string]any {
	t.Helper()
	m = strings.ReplaceAll(m, "{{ gramine.libos }}", "/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so")
	m = strings.ReplaceAll(m, "{{ gramine.runtimedir() }}", "/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc")
	if strings.Contains(m, "{{") || strings.Contains(m, "{%") {
		t.Fatalf("unrendered Jinja left:\n%s", m)
	}
	var v map[string]any
	if err := toml.Unmarshal([]byte(m), &v); err != nil {
		t.Fatalf("manifest is not TOML: %v\n%s", err, m)
	}
	return v
}

func get(t *testing.T, v map[string]any, dotted string) any {
	t.Helper()
	var cur any = v
	for _, k := range strings.Split(dotted, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: %T is not a table", dotted, cur)
		}
		if cur, ok = m[k]; !ok {
			t.Fatalf("%s: no key %q", dotted, k)
		}
	}
	return cur
}

func TestManifest(t *testing.T) {
	f := newFixture(t)
	m, err := Manifest(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	v := render(t, m)
	checks := map[string]any{
		"loader.entrypoint.uri":      "file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so",
		"libos.entrypoint":           DefaultHostPath,
		"loader.log_level":           "error",
		"loader.argv":                []any{"wasmtee-module-host", "c0ffee"},
		"loader.env.RUST_BACKTRACE":  "0",
		"loader.env.LD_LIBRARY_PATH": "/lib:" + filepath.Dir(f.lib),
		"loader.uid":                 int64(0),
		"sgx.remote_attestation":     "dcap",
		"sgx.edmm_enable":            true,
		"sgx.debug":                  false,
		"sgx.enclave_size":           defaultEnclaveSize,
		"sgx.max_threads":            int64(defaultMaxThreads),
		"sys.stack.size":             defaultStackSize,
		"sgx.allowed_files":          []any{"file:/srv/data/"},
	}
	for k, want := range checks {
		if got := get(t, v, k); !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	wantTrusted := []any{
		"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so",
		"file:/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc/",
		map[string]any{"uri": "file:" + f.lib, "sha256": sum("libgcc")},
		map[string]any{"uri": "file:" + f.host, "sha256": sum("shim binary")},
		map[string]any{"uri": "file:" + f.module, "sha256": sum("\x00asm\x01\x00\x00\x00")},
	}
	if got := get(t, v, "sgx.trusted_files"); !reflect.DeepEqual(got, wantTrusted) {
		t.Errorf("trusted files\n%#v\nwant\n%#v", got, wantTrusted)
	}
	wantMounts := []any{
		map[string]any{"path": "/lib", "uri": "file:/usr/lib/x86_64-linux-gnu/gramine/runtime/glibc"},
		map[string]any{"path": f.lib, "uri": "file:" + f.lib},
		map[string]any{"path": DefaultHostPath, "uri": "file:" + f.host},
		map[string]any{"path": DefaultModulePath, "uri": "file:" + f.module},
		map[string]any{"path": "/wasmtee/preopens/data", "uri": "file:/srv/data"},
		map[string]any{"type": "encrypted", "path": "/wasmtee/preopens/secret", "uri": "file:/srv/secret/", "key_name": "_sgx_mrenclave"},
	}
	if got := get(t, v, "fs.mounts"); !reflect.DeepEqual(got, wantMounts) {
		t.Errorf("mounts\n%#v\nwant\n%#v", got, wantMounts)
	}
	for _, s := range []string{"EDMM", "NOT verified"} {
		if !strings.Contains(m, s) {
			t.Errorf("manifest does not say %q", s)
		}
	}
}

func TestManifestModuleChangesMeasurement(t *testing.T) {
	f := newFixture(t)
	a, err := Manifest(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(f.module, []byte("\x00asm\x01\x00\x00\x00\x00"), 0o644)
	b, err := Manifest(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Error("a different module gives the same manifest")
	}
}

func TestManifestQuoting(t *testing.T) {
	f := newFixture(t)
	f.opts.Argv = []string{`host "quoted"`, "back\\slash", "new\nline"}
	f.opts.Preopens = nil
	m, err := Manifest(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	v := render(t, m)
	if got := get(t, v, "loader.argv"); !reflect.DeepEqual(got, []any{`host "quoted"`, "back\\slash", "new\nline"}) {
		t.Errorf("argv %#v", got)
	}
	if strings.Contains(m, "allowed_files") {
		t.Error("allowed_files without plain preopens")
	}
}

func TestManifestErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *ManifestOptions)
		want   string
	}{
		{"no argv", func(o *ManifestOptions) { o.Argv = nil }, "no argv"},
		{"relative module", func(o *ManifestOptions) { o.Module = "app.wasm" }, `module "app.wasm" is not an absolute path`},
		{"missing module", func(o *ManifestOptions) { o.Module = "/nonexistent/app.wasm" }, "module: open /nonexistent/app.wasm"},
		{"missing host", func(o *ManifestOptions) { o.HostBinary = "/nonexistent/shim" }, "module host binary: open"},
		{"jinja", func(o *ManifestOptions) { o.Argv = []string{"{{ evil }}"} }, "Jinja"},
		{"few threads", func(o *ManifestOptions) { o.MaxThreads = 2 }, "at least 4"},
		{"bad size", func(o *ManifestOptions) { o.EnclaveSize = "lots" }, `size "lots"`},
		{"double size suffix", func(o *ManifestOptions) { o.EnclaveSize = "4GG" }, `size "4GG"`},
		{"size not a power of two", func(o *ManifestOptions) { o.EnclaveSize = "48G" }, "not a power of two"},
		{"huge size", func(o *ManifestOptions) { o.EnclaveSize = "99999999999999G" }, `size "99999999999999G"`},
		{"no guest", func(o *ManifestOptions) { o.Preopens = []Preopen{{Host: "/x"}} }, "no guest path"},
		{"twice", func(o *ManifestOptions) {
			o.Preopens = []Preopen{{Host: "/x", Guest: "/d"}, {Host: "/y", Guest: "/d/"}}
		}, "preopened twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.change(&f.opts)
			_, err := Manifest(f.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Manifest: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// With Dir, the module, preopens and log file are relative URIs: the
// manifest does not depend on where the enclave's directory is.
func TestManifestRelative(t *testing.T) {
	f := newFixture(t)
	manifestIn := func(dir string) string {
		t.Helper()
		os.WriteFile(filepath.Join(dir, "module.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
		o := f.opts
		o.Dir, o.Module, o.LogFile = dir, "module.wasm", "gramine.log"
		o.Preopens = []Preopen{{Host: "preopens/0", Guest: "/", ReadOnly: true}}
		o.Passthrough = []string{"WASMTEE_CONTROL"}
		m, err := Manifest(o)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := manifestIn(t.TempDir()), manifestIn(t.TempDir())
	if a != b {
		t.Errorf("manifests differ between directories:\n%s\n%s", a, b)
	}
	v := render(t, a)
	if got := get(t, v, "loader.env.WASMTEE_CONTROL"); !reflect.DeepEqual(got, map[string]any{"passthrough": true}) {
		t.Errorf("passthrough %#v", got)
	}
	if got := get(t, v, "loader.log_file"); got != "gramine.log" {
		t.Errorf("log file %#v", got)
	}
	if got := get(t, v, "sgx.allowed_files"); !reflect.DeepEqual(got, []any{"file:preopens/0/"}) {
		t.Errorf("allowed %#v", got)
	}
	if !strings.Contains(a, `{ uri = "file:module.wasm", sha256 = "`+sum("\x00asm\x01\x00\x00\x00")+`" }`) {
		t.Errorf("module not pinned by a relative URI:\n%s", a)
	}
	for _, tc := range []struct {
		change func(o *ManifestOptions)
		want   string
	}{
		{func(o *ManifestOptions) { o.Module = "../module.wasm" }, "not inside the enclave's directory"},
		{func(o *ManifestOptions) { o.Preopens = []Preopen{{Host: "../x", Guest: "/"}} }, "not inside the enclave's directory"},
		{func(o *ManifestOptions) { o.Passthrough = []string{"BAD-NAME"} }, "not an environment variable name"},
		{func(o *ManifestOptions) { o.Dir = "relative" }, "not an absolute path"},
	} {
		o := f.opts
		o.Dir, o.Module = t.TempDir(), "module.wasm"
		os.WriteFile(filepath.Join(o.Dir, "module.wasm"), nil, 0o644)
		tc.change(&o)
		if _, err := Manifest(o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Manifest: %v, want %q", err, tc.want)
		}
	}
}

// Digests the caller has are pinned as they are, and the files they are of
// are not read.
func TestManifestKnownDigests(t *testing.T) {
	f := newFixture(t)
	f.opts.HostBinary, f.opts.HostSHA256 = "/nonexistent/wasmtee-module-host", sum("host")
	f.opts.Module, f.opts.ModuleSHA256 = "/nonexistent/app.wasm", sum("module")
	m, err := Manifest(f.opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`{ uri = "file:/nonexistent/wasmtee-module-host", sha256 = "` + sum("host") + `" }`,
		`{ uri = "file:/nonexistent/app.wasm", sha256 = "` + sum("module") + `" }`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("manifest lacks %s:\n%s", want, m)
		}
	}
	f.opts.HostSHA256 = "abc"
	if _, err := Manifest(f.opts); err == nil || !strings.Contains(err.Error(), `the module host binary's SHA-256 "abc" is not 64 hex digits`) {
		t.Errorf("a bad digest: %v", err)
	}
	// Without the digest, the binary is read.
	f.opts.HostSHA256 = ""
	if _, err := Manifest(f.opts); err == nil || !strings.Contains(err.Error(), "module host binary: open /nonexistent/wasmtee-module-host") {
		t.Errorf("a missing binary: %v", err)
	}
}
