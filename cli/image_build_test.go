package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmtee/wasmtee/oci/image"
)

var testModule = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// setup writes a module and a data file to a temporary directory.
func setup(t *testing.T) (dir, module, data string) {
	t.Helper()
	dir = t.TempDir()
	module = filepath.Join(dir, "hello.wasm")
	data = filepath.Join(dir, "data.txt")
	if err := os.WriteFile(module, testModule, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, module, data
}

func TestImageBuild(t *testing.T) {
	dir, module, data := setup(t)

	tests := []struct {
		name string
		args []string
		opts image.BuildOptions // what the same build looks like through the API
		ref  string
	}{
		{
			name: "flags first",
			args: []string{"-t", "example.com/hello:1", "-o", "OUT", module},
			opts: image.BuildOptions{Ref: "example.com/hello:1", Module: module},
			ref:  "example.com/hello:1",
		},
		{
			name: "flags after module, long names",
			args: []string{module, "--tag", "hello:2", "--output", "OUT"},
			opts: image.BuildOptions{Ref: "hello:2", Module: module},
			ref:  "docker.io/library/hello:2",
		},
		{
			name: "all options",
			args: []string{
				"-t", "example.com/hello:1", "-o", "OUT",
				"--file", data + ":/etc/data.txt", "--file", data + ":/srv/copy.txt",
				"--module-path", "/bin/hello.wasm", "--entrypoint", "/bin/hello.wasm#main",
				"--env", "A=1", "--env", "B=two words",
				module,
			},
			opts: image.BuildOptions{
				Ref: "example.com/hello:1", Module: module, ModuleGuestPath: "/bin/hello.wasm",
				Files:      []image.File{{HostPath: data, GuestPath: "/etc/data.txt"}, {HostPath: data, GuestPath: "/srv/copy.txt"}},
				Entrypoint: "/bin/hello.wasm#main", Env: []string{"A=1", "B=two words"},
			},
			ref: "example.com/hello:1",
		},
		{
			name: "double dash",
			args: []string{"-t", "example.com/hello:1", "-o", "OUT", "--", module},
			opts: image.BuildOptions{Ref: "example.com/hello:1", Module: module},
			ref:  "example.com/hello:1",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, "out", string(rune('a'+i))+".tar")
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			args := make([]string, len(tt.args))
			for j, a := range tt.args {
				args[j] = strings.ReplaceAll(a, "OUT", out)
			}
			code, stdout, stderr := run(t, append([]string{"image", "build"}, args...)...)
			if code != ExitOK {
				t.Fatalf("exit code %d, stderr %q", code, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want empty", stderr)
			}

			var want bytes.Buffer
			d, err := image.Build(tt.opts, &want)
			if err != nil {
				t.Fatal(err)
			}
			if wantOut := "digest: " + d.String() + "\nref: " + tt.ref + "\n"; stdout != wantOut {
				t.Errorf("stdout = %q, want %q", stdout, wantOut)
			}
			got, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Errorf("%s differs from image.Build output for the same options", out)
			}
			if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("output mode %v (%v), want 0644", fi.Mode(), err)
			}
			assertNoTemp(t, filepath.Dir(out))
		})
	}
}

func TestImageBuildStdout(t *testing.T) {
	_, module, _ := setup(t)
	code, stdout, stderr := run(t, "image", "build", "-t", "example.com/hello:1", "-o", "-", module)
	if code != ExitOK {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	var want bytes.Buffer
	d, err := image.Build(image.BuildOptions{Ref: "example.com/hello:1", Module: module}, &want)
	if err != nil {
		t.Fatal(err)
	}
	if stdout != want.String() {
		t.Errorf("stdout is not the image tar (%d bytes, want %d)", len(stdout), want.Len())
	}
	if wantErr := "digest: " + d.String() + "\nref: example.com/hello:1\n"; stderr != wantErr {
		t.Errorf("stderr = %q, want %q", stderr, wantErr)
	}
}

func TestImageBuildErrors(t *testing.T) {
	dir, module, data := setup(t)
	component := filepath.Join(dir, "component.wasm")
	if err := os.WriteFile(component, []byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.tar")

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // substring of stderr
	}{
		{"no arguments", nil, ExitUsage, "wasmtee: image build: missing MODULE.wasm"},
		{"missing -t", []string{"-o", out, module}, ExitUsage, "missing -t REF"},
		{"missing -o", []string{"-t", "hello:1", module}, ExitUsage, "missing -o OUT.tar"},
		{"two modules", []string{"-t", "hello:1", "-o", out, module, module}, ExitUsage, "want one MODULE.wasm, got 2 arguments"},
		{"unknown flag", []string{"-t", "hello:1", "-o", out, "--frob", module}, ExitUsage, "flag provided but not defined: -frob"},
		{"flag without value", []string{module, "-t"}, ExitUsage, "flag needs an argument: -t"},
		{"bad reference", []string{"-t", "Example/Hello", "-o", out, module}, ExitUsage, `invalid image reference "Example/Hello"`},
		{"bad file spec", []string{"-t", "hello:1", "-o", out, "--file", data, module}, ExitUsage, "--file: invalid file spec"},
		{"relative guest path", []string{"-t", "hello:1", "-o", out, "--file", data + ":etc/x", module}, ExitUsage, "must be absolute"},
		{"missing module", []string{"-t", "hello:1", "-o", out, filepath.Join(dir, "nope.wasm")}, ExitError, "wasmtee: module " + filepath.Join(dir, "nope.wasm") + ": no such file or directory"},
		{"component", []string{"-t", "hello:1", "-o", out, component}, ExitError, "WebAssembly components are not supported yet"},
		{"not wasm", []string{"-t", "hello:1", "-o", out, data}, ExitError, "not a WebAssembly module"},
		{"duplicate guest path", []string{"-t", "hello:1", "-o", out, "--file", data + ":/hello.wasm", module}, ExitError, "duplicate guest path /hello.wasm"},
		{"bad env", []string{"-t", "hello:1", "-o", out, "--env", "NOVALUE", module}, ExitError, `invalid environment variable "NOVALUE"`},
		{"bad entrypoint", []string{"-t", "hello:1", "-o", out, "--entrypoint", "/other.wasm", module}, ExitError, "not a file in the image"},
		{"output directory missing", []string{"-t", "hello:1", "-o", filepath.Join(dir, "no", "such", "out.tar"), module}, ExitError, "wasmtee: output: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, append([]string{"image", "build"}, tt.args...)...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d", code, tt.wantCode)
			}
			if !strings.HasPrefix(stderr, "wasmtee: ") || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr = %q, want it to start with \"wasmtee: \" and contain %q", stderr, tt.wantErr)
			}
			if tt.wantCode == ExitUsage && !strings.Contains(stderr, "Run 'wasmtee help image build' for usage.") {
				t.Errorf("usage error without a pointer to help: %q", stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s exists after a failed build", out)
			}
			assertNoTemp(t, dir)
		})
	}
}

// assertNoTemp fails if a temporary output file was left in dir.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
