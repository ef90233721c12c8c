package cli

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

const (
	testGlob   = "/etc/containerd/conf.d/*.toml"
	testDropIn = "/etc/containerd/conf.d/wasmtee.toml"
)

// installSetup makes a fake wasmtee binary with a fake shim next to it,
// makes installExecutable return it, and returns a fresh --root.
func installSetup(t *testing.T) (root, src string) {
	t.Helper()
	src = t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "wasmtee"), []byte("#!wasmtee CLI\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, shimBinary), []byte("#!wasmtee shim\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, serverBinary), []byte("#!wasmtee shim server\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, hostBinary), []byte("#!wasmtee module host\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := installExecutable
	t.Cleanup(func() { installExecutable = old })
	installExecutable = func() (string, error) { return filepath.Join(src, "wasmtee"), nil }
	return t.TempDir(), src
}

// snapshot returns every file under dir with its content and mode.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			files[rel+"/"] = fi.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[rel] = fi.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func parseTOML(t *testing.T, name, content string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := toml.Unmarshal([]byte(content), &doc); err != nil {
		t.Fatalf("%s does not parse as TOML: %v\n%s", name, err, content)
	}
	return doc
}

// lookup walks nested tables of doc.
func lookup(doc map[string]any, keys ...string) any {
	var v any = doc
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// userConfig is a containerd 2.x config a user might have.
const userConfig = `# my containerd config
version = 3
root = "/var/lib/containerd"   # where the data lives

[grpc]
  address = "/run/containerd/containerd.sock"

# CRI
[plugins.'io.containerd.cri.v1.runtime']
  enable_selinux = false
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
`

func TestInstallContainerd2(t *testing.T) {
	withImports := func(line string) string {
		return strings.Replace(userConfig, "root = \"/var/lib/containerd\"   # where the data lives\n",
			"root = \"/var/lib/containerd\"   # where the data lives\n"+line, 1)
	}
	tests := []struct {
		name     string
		main     *string // the main config before; nil: none
		want     string  // the main config after
		changed  bool    // whether the main config changes (and is backed up)
		imported []string
	}{
		{
			name:     "fresh node, no main config",
			want:     "# Created by 'wasmtee install': containerd's defaults, plus the drop-in files.\nversion = 3\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n",
			changed:  true,
			imported: []string{testGlob},
		},
		{
			name:     "main config without imports",
			main:     ptr(userConfig),
			want:     withImports("imports = [\"/etc/containerd/conf.d/*.toml\"]\n"),
			changed:  true,
			imported: []string{testGlob},
		},
		{
			name:     "only tables",
			main:     ptr("# tables only\n[grpc]\n  address = \"/x.sock\"\n"),
			want:     "imports = [\"/etc/containerd/conf.d/*.toml\"]\n# tables only\n[grpc]\n  address = \"/x.sock\"\n",
			changed:  true,
			imported: []string{testGlob},
		},
		{
			name:     "no newline at the end",
			main:     ptr("version = 3"),
			want:     "version = 3\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n",
			changed:  true,
			imported: []string{testGlob},
		},
		{
			name:     "CRLF line ends",
			main:     ptr("version = 3\r\n[grpc]\r\n  address = \"/x.sock\"\r\n"),
			want:     "version = 3\r\nimports = [\"/etc/containerd/conf.d/*.toml\"]\r\n[grpc]\r\n  address = \"/x.sock\"\r\n",
			changed:  true,
			imported: []string{testGlob},
		},
		{
			name:     "imports cover it with the glob",
			main:     ptr(withImports("imports = ['/etc/containerd/conf.d/*.toml']\n")),
			want:     withImports("imports = ['/etc/containerd/conf.d/*.toml']\n"),
			imported: []string{testGlob},
		},
		{
			name:     "imports cover it with its path",
			main:     ptr(withImports("imports = [\"/etc/containerd/other.toml\", \"/etc/containerd/conf.d/wasmtee.toml\"]\n")),
			want:     withImports("imports = [\"/etc/containerd/other.toml\", \"/etc/containerd/conf.d/wasmtee.toml\"]\n"),
			imported: []string{"/etc/containerd/other.toml", testDropIn},
		},
		{
			name:     "imports cover it with a relative glob",
			main:     ptr(withImports("imports = [\"conf.d/*.toml\"]\n")),
			want:     withImports("imports = [\"conf.d/*.toml\"]\n"),
			imported: []string{"conf.d/*.toml"},
		},
		{
			name:     "imports list without it",
			main:     ptr(withImports("imports = [\"/etc/containerd/other.toml\"]\n")),
			want:     withImports("imports = [\"/etc/containerd/other.toml\", \"/etc/containerd/conf.d/wasmtee.toml\"]\n"),
			changed:  true,
			imported: []string{"/etc/containerd/other.toml", testDropIn},
		},
		{
			name:     "imports glob of other files",
			main:     ptr(withImports("imports = [\"/etc/containerd/conf.d/*.conf\"]\n")),
			want:     withImports("imports = [\"/etc/containerd/conf.d/*.conf\", \"/etc/containerd/conf.d/wasmtee.toml\"]\n"),
			changed:  true,
			imported: []string{"/etc/containerd/conf.d/*.conf", testDropIn},
		},
		{
			name:     "empty imports list",
			main:     ptr(withImports("imports = []\n")),
			want:     withImports("imports = [\"/etc/containerd/conf.d/wasmtee.toml\"]\n"),
			changed:  true,
			imported: []string{testDropIn},
		},
		{
			name:     "multi-line imports with a trailing comma and comments",
			main:     ptr(withImports("imports = [\n  \"/a.toml\", # first\n  '/b.toml',\n  # end\n]\n")),
			want:     withImports("imports = [\n  \"/a.toml\", # first\n  '/b.toml', \"/etc/containerd/conf.d/wasmtee.toml\",\n  # end\n]\n"),
			changed:  true,
			imported: []string{"/a.toml", "/b.toml", testDropIn},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, _ := installSetup(t)
			mainPath := filepath.Join(root, "etc/containerd/config.toml")
			if tt.main != nil {
				writeFile(t, mainPath, *tt.main)
			}
			args := []string{"install", "--root", root, "--containerd-version", "2"}

			code, stdout, stderr := run(t, args...)
			if code != ExitOK {
				t.Fatalf("exit code %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, restartHint) {
				t.Errorf("stdout does not say to restart containerd:\n%s", stdout)
			}
			got := readFile(t, mainPath)
			if got != tt.want {
				t.Errorf("main config:\n%s\nwant:\n%s", got, tt.want)
			}
			doc := parseTOML(t, "main config", got)
			var imports []string
			for _, v := range lookup(doc, "imports").([]any) {
				imports = append(imports, v.(string))
			}
			if !reflect.DeepEqual(imports, tt.imported) {
				t.Errorf("imports %q, want %q", imports, tt.imported)
			}
			if tt.main != nil {
				// Everything but imports is as the user had it.
				before := parseTOML(t, "original", *tt.main)
				delete(before, "imports")
				delete(doc, "imports")
				if !reflect.DeepEqual(before, doc) {
					t.Errorf("the rest of the config changed:\n%v\nwant\n%v", doc, before)
				}
				if fi, err := os.Stat(mainPath); err != nil || fi.Mode().Perm() != 0o640 {
					t.Errorf("main config mode changed: %v %v", fi.Mode(), err)
				}
			}
			backup, err := os.ReadFile(mainPath + installBackup)
			switch {
			case tt.changed && tt.main != nil && (err != nil || string(backup) != *tt.main):
				t.Errorf("backup %q (%v), want the original", backup, err)
			case (!tt.changed || tt.main == nil) && err == nil:
				t.Errorf("backup written although nothing was changed: %q", backup)
			}
			if tt.changed != strings.Contains(stdout, mainPath+" (containerd config)") || strings.Contains(stdout, "unchanged: "+mainPath) == tt.changed {
				t.Errorf("stdout does not tell whether the main config changed (changed=%v):\n%s", tt.changed, stdout)
			}

			drop := readFile(t, filepath.Join(root, testDropIn))
			d := parseTOML(t, "drop-in", drop)
			rt := []string{"plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", "wasmtee"}
			if v := lookup(d, "version"); v != int64(3) {
				t.Errorf("drop-in version %v, want 3", v)
			}
			if v := lookup(d, append(rt, "runtime_type")...); v != "io.containerd.wasmtee.v1" {
				t.Errorf("drop-in runtime_type %v", v)
			}
			if v := lookup(d, append(rt, "options", "cache_dir")...); v != "/var/lib/wasmtee/cache" {
				t.Errorf("drop-in cache_dir %v", v)
			}
			for _, b := range []string{"wasmtee", shimBinary, serverBinary, hostBinary} {
				p := filepath.Join(root, "usr/local/bin", b)
				if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o755 {
					t.Errorf("%s not installed with mode 0755: %v", p, err)
				}
			}

			// Idempotent: the second run changes nothing and says so.
			before := snapshot(t, root)
			code, stdout, stderr = run(t, args...)
			if code != ExitOK {
				t.Fatalf("second run: exit code %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, "nothing changed") {
				t.Errorf("second run does not say that nothing changed:\n%s", stdout)
			}
			if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
				t.Errorf("second run changed files:\n%v\n->\n%v", before, after)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestInstallDryRun(t *testing.T) {
	for _, main := range []*string{nil, ptr(userConfig)} {
		root, src := installSetup(t)
		mainPath := filepath.Join(root, "etc/containerd/config.toml")
		if main != nil {
			writeFile(t, mainPath, *main)
		}
		before := snapshot(t, root)
		code, stdout, stderr := run(t, "install", "--root", root, "--containerd-version", "2", "--dry-run")
		if code != ExitOK {
			t.Fatalf("exit code %d, stderr %q", code, stderr)
		}
		if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
			t.Errorf("dry run changed files:\n%v\n->\n%v", before, after)
		}
		want := []string{
			"would install " + filepath.Join(root, "usr/local/bin", shimBinary) + " (containerd shim): copy of " + filepath.Join(src, shimBinary),
			"would install " + filepath.Join(root, "usr/local/bin", serverBinary) + " (shim server): copy of " + filepath.Join(src, serverBinary),
			"would install " + filepath.Join(root, "usr/local/bin", hostBinary) + " (module host): copy of " + filepath.Join(src, hostBinary),
			"would install " + filepath.Join(root, "usr/local/bin/wasmtee"),
			"would create " + filepath.Join(root, testDropIn),
			"[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.wasmtee]",
			`cache_dir = "/var/lib/wasmtee/cache"`,
			"dry run: 6 file(s) would change; nothing was written",
		}
		if main == nil {
			want = append(want, "would create "+mainPath, `imports = ["/etc/containerd/conf.d/*.toml"]`)
		} else {
			want = append(want, "would update "+mainPath+" (containerd config), keeping the current file as "+mainPath+installBackup,
				`+ imports = ["/etc/containerd/conf.d/*.toml"]`, `  root = "/var/lib/containerd"`)
		}
		for _, w := range want {
			if !strings.Contains(stdout, w) {
				t.Errorf("dry run output does not contain %q:\n%s", w, stdout)
			}
		}
	}
}

func TestInstallContainerd1(t *testing.T) {
	root, _ := installSetup(t)
	code, stdout, stderr := run(t, "install", "--root", root, "--containerd-version", "1", "--cache-dir", "/srv/wasm cache")
	if code != ExitOK {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "etc/containerd")); err == nil {
		t.Errorf("containerd 1.x: wrote containerd's config: %v", snapshot(t, root))
	}
	// containerd 1.x passes the options table as runtimeoptions.v1.Options:
	// the table names the shim's own options file, which install writes.
	opts := parseTOML(t, "options", readFile(t, filepath.Join(root, "etc/wasmtee/wasmtee.toml")))
	if v := lookup(opts, "cache_dir"); v != "/srv/wasm cache" {
		t.Errorf("options file cache_dir %v", v)
	}
	for _, w := range []string{
		"does not edit containerd's config",
		"(the file does not exist yet: create it, starting with version = 2)",
		"[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n",
		"[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmtee]\n  runtime_type = \"io.containerd.wasmtee.v1\"\n",
		"[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.wasmtee.options]\n    ConfigPath = \"/etc/wasmtee/wasmtee.toml\"\n",
		"after adding it, " + restartHint,
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout does not contain %q:\n%s", w, stdout)
		}
	}
	// The snippet is valid TOML for a version 2 config.
	snippet := stdout[strings.Index(stdout, "[plugins."):strings.Index(stdout, "after adding")]
	doc := parseTOML(t, "snippet", "version = 2\n"+snippet)
	if v := lookup(doc, "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "wasmtee", "options", "ConfigPath"); v != "/etc/wasmtee/wasmtee.toml" {
		t.Errorf("snippet ConfigPath %v", v)
	}

	// Once the user has added it, install says so and prints no snippet.
	writeFile(t, filepath.Join(root, "etc/containerd/config.toml"), "version = 2\n"+snippet)
	before := snapshot(t, root)
	code, stdout, _ = run(t, "install", "--root", root, "--containerd-version", "1", "--cache-dir", "/srv/wasm cache")
	if code != ExitOK || !strings.Contains(stdout, "already configures the runtime handler") ||
		!strings.Contains(stdout, "nothing changed: wasmtee is already installed") || strings.Contains(stdout, "[plugins") {
		t.Errorf("second run: exit code %d, stdout:\n%s", code, stdout)
	}
	if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
		t.Errorf("containerd 1.x: second run changed files")
	}

	// runc is in the snippet only when the config does not list it.
	for _, tt := range []struct {
		config   string
		wantRunc bool
	}{
		{"version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n    SystemdCgroup = true\n", false},
		{"version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd]\n  default_runtime_name = \"crun\"\n  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.crun]\n    runtime_type = \"io.containerd.runc.v2\"\n", false},
		{"version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"registry.k8s.io/pause:3.9\"\n", true},
	} {
		writeFile(t, filepath.Join(root, "etc/containerd/config.toml"), tt.config)
		code, stdout, _ := run(t, "install", "--root", root, "--containerd-version", "1")
		hasRunc := strings.Contains(stdout, "runtimes.runc]")
		if code != ExitOK || hasRunc != tt.wantRunc || !strings.Contains(stdout, "(its first line must be version = 2)") ||
			!strings.Contains(stdout, "runtimes.wasmtee]") {
			t.Errorf("config %q: exit code %d, runc in the snippet %v, want %v:\n%s", tt.config, code, hasRunc, tt.wantRunc, stdout)
		}
		if got := readFile(t, filepath.Join(root, "etc/containerd/config.toml")); got != tt.config {
			t.Errorf("containerd 1.x config changed: %q", got)
		}
	}
}

func TestInstallOptions(t *testing.T) {
	root, _ := installSetup(t)
	code, _, stderr := run(t, "install", "--root", root, "--containerd-version", "v2.1.0",
		"--handler", "wasm-tdx", "--cache-dir", `/var/lib/"odd"\cache`,
		"--bin-dir", "/opt/bin", "--config", "/etc/cd/main.toml", "--config-dir", "/etc/cd/d")
	if code != ExitOK {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	main := parseTOML(t, "main", readFile(t, filepath.Join(root, "etc/cd/main.toml")))
	if v := lookup(main, "imports"); !reflect.DeepEqual(v, []any{"/etc/cd/d/*.toml"}) {
		t.Errorf("imports %v", v)
	}
	d := parseTOML(t, "drop-in", readFile(t, filepath.Join(root, "etc/cd/d/wasm-tdx.toml")))
	rt := lookup(d, "plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes", "wasm-tdx")
	want := map[string]any{"runtime_type": "io.containerd.wasmtee.v1", "options": map[string]any{"cache_dir": `/var/lib/"odd"\cache`}}
	if !reflect.DeepEqual(rt, want) {
		t.Errorf("runtime table %v, want %v", rt, want)
	}
	for _, b := range []string{"wasmtee", shimBinary, serverBinary, hostBinary} {
		if _, err := os.Stat(filepath.Join(root, "opt/bin", b)); err != nil {
			t.Error(err)
		}
	}
}

func TestInstallBinaries(t *testing.T) {
	root, src := installSetup(t)
	bin := filepath.Join(root, "usr/local/bin")
	args := []string{"install", "--root", root, "--containerd-version", "2"}

	// An older shim is replaced; an identical wasmtee with the wrong mode
	// only gets its mode fixed.
	writeFile(t, filepath.Join(bin, shimBinary), "old shim")
	writeFile(t, filepath.Join(bin, "wasmtee"), "#!wasmtee CLI\n")
	code, stdout, stderr := run(t, args...)
	if code != ExitOK {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if got := readFile(t, filepath.Join(bin, shimBinary)); got != "#!wasmtee shim\n" {
		t.Errorf("shim not replaced: %q", got)
	}
	for _, w := range []string{"installed " + filepath.Join(bin, shimBinary), "changed the mode of " + filepath.Join(bin, "wasmtee") + " (wasmtee CLI) to 0755"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout does not contain %q:\n%s", w, stdout)
		}
	}
	for _, b := range []string{"wasmtee", shimBinary, serverBinary, hostBinary} {
		if fi, err := os.Stat(filepath.Join(bin, b)); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, %v", b, fi.Mode(), err)
		}
	}
	if entries, _ := os.ReadDir(bin); len(entries) != 4 {
		t.Errorf("temporary files left in %s: %v", bin, entries)
	}

	// --shim names another shim binary; the shim server and the module host
	// come from its directory.
	otherDir := t.TempDir()
	other := filepath.Join(otherDir, "my-shim")
	writeFile(t, other, "another shim")
	if code, _, stderr := run(t, append(args, "--shim", other)...); code != ExitError || !strings.Contains(stderr, "shim server binary "+filepath.Join(otherDir, serverBinary)+": not found") {
		t.Errorf("--shim without a shim server beside it: exit code %d, stderr %q", code, stderr)
	}
	writeFile(t, filepath.Join(otherDir, serverBinary), "another server")
	if code, _, stderr := run(t, append(args, "--shim", other)...); code != ExitError || !strings.Contains(stderr, "module host binary "+filepath.Join(otherDir, hostBinary)+": not found") {
		t.Errorf("--shim without a module host beside it: exit code %d, stderr %q", code, stderr)
	}
	writeFile(t, filepath.Join(otherDir, hostBinary), "another host")
	if code, _, stderr := run(t, append(args, "--shim", other)...); code != ExitOK {
		t.Fatalf("--shim: exit code %d, stderr %q", code, stderr)
	}
	if got := readFile(t, filepath.Join(bin, shimBinary)); got != "another shim" {
		t.Errorf("--shim not installed: %q", got)
	}
	if got := readFile(t, filepath.Join(bin, serverBinary)); got != "another server" {
		t.Errorf("shim server beside --shim not installed: %q", got)
	}
	if got := readFile(t, filepath.Join(bin, hostBinary)); got != "another host" {
		t.Errorf("module host beside --shim not installed: %q", got)
	}

	// Errors name their cause and change nothing.
	if err := os.Remove(filepath.Join(src, shimBinary)); err != nil {
		t.Fatal(err)
	}
	fresh := t.TempDir()
	code, _, stderr = run(t, "install", "--root", fresh, "--containerd-version", "2")
	if code != ExitError || !strings.Contains(stderr, "shim binary "+filepath.Join(src, shimBinary)+": not found (build it with 'make' or pass --shim PATH)") {
		t.Errorf("missing shim: exit code %d, stderr %q", code, stderr)
	}
	if s := snapshot(t, fresh); len(s) != 1 {
		t.Errorf("missing shim: files written: %v", s)
	}
}

func TestInstallErrors(t *testing.T) {
	root, src := installSetup(t)
	shim := filepath.Join(src, shimBinary)
	notDir := filepath.Join(root, "file")
	writeFile(t, notDir, "x")
	badConfig := filepath.Join(t.TempDir(), "bad")
	writeFile(t, filepath.Join(badConfig, "etc/containerd/config.toml"), "version = 3\n[grpc\n")
	notList := filepath.Join(t.TempDir(), "notlist")
	writeFile(t, filepath.Join(notList, "etc/containerd/config.toml"), "imports = \"/etc/x.toml\"\n")
	fakeDir := t.TempDir()
	fake := func(name, script string) string {
		p := filepath.Join(fakeDir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	garbage := fake("garbage", "echo containerd version unknown")
	failing := fake("failing", "echo boom >&2; exit 3")
	v3 := fake("v3", "echo containerd github.com/containerd/containerd/v3 v3.0.0 abc")

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"extra argument", []string{"now"}, ExitUsage, `install: unexpected argument "now"`},
		{"bad version flag", []string{"--containerd-version", "latest"}, ExitUsage, `--containerd-version "latest": want 1, 2 or auto`},
		{"version 0", []string{"--containerd-version", "0"}, ExitUsage, `--containerd-version "0": want 1, 2 or auto`},
		{"bad handler", []string{"--handler", "a.b"}, ExitUsage, `--handler "a.b"`},
		{"relative bin dir", []string{"--bin-dir", "bin"}, ExitUsage, `--bin-dir "bin": want an absolute path`},
		{"relative cache dir", []string{"--cache-dir", "cache"}, ExitUsage, `--cache-dir "cache"`},
		{"unknown flag", []string{"--force"}, ExitUsage, "flag provided but not defined: -force"},
		{"missing --shim", []string{"--shim", "/nonexistent/shim"}, ExitError, "shim binary /nonexistent/shim: not found (pass --shim PATH)"},
		{"unwritable bin dir", []string{"--root", notDir, "--shim", shim, "--containerd-version", "2"}, ExitError, "containerd shim " + filepath.Join(notDir, "usr/local/bin", shimBinary) + ": "},
		{"unparseable main config", []string{"--root", badConfig, "--containerd-version", "2"}, ExitError, "is not valid TOML, leaving it alone"},
		{"imports not a list", []string{"--root", notList, "--containerd-version", "2"}, ExitError, "imports is not a list"},
		{"containerd 3", []string{"--root", root, "--containerd-version", "3"}, ExitError, "containerd 3.x is not supported"},
		{"no containerd binary", []string{"--root", root, "--containerd", "/nonexistent/containerd"}, ExitError, "cannot tell the containerd version: /nonexistent/containerd --version"},
		{"unparseable version", []string{"--root", root, "--containerd", garbage}, ExitError, `cannot tell the containerd version: ` + garbage + ` --version: no version in "containerd version unknown" (pass --containerd-version 1|2)`},
		{"containerd --version fails", []string{"--root", root, "--containerd", failing}, ExitError, "exit status 3: boom"},
		{"detected containerd 3", []string{"--root", root, "--containerd", v3}, ExitError, "containerd 3.x is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshot(t, root)
			code, stdout, stderr := run(t, append([]string{"install"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit code %d, stderr %q; want %d and %q (stdout %q)", code, stderr, tt.code, tt.stderr, stdout)
			}
			if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
				t.Errorf("files changed on error")
			}
		})
	}
}

func TestInstallDetectVersion(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		out  string
		want string // a line of the output that only this version prints
	}{
		{"containerd github.com/containerd/containerd/v2 v2.4.2 0123abcd", "created "},
		{"containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3", "containerd 1.x: wasmtee does not edit"},
	} {
		root, _ := installSetup(t)
		fake := filepath.Join(dir, "containerd")
		if err := os.WriteFile(fake, []byte("#!/bin/sh\necho '"+tt.out+"'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := run(t, "install", "--root", root, "--containerd", fake)
		if code != ExitOK || !strings.Contains(stdout, tt.want) {
			t.Errorf("%q: exit code %d, stdout %q, stderr %q", tt.out, code, stdout, stderr)
		}
	}
}

func TestParseContainerdVersion(t *testing.T) {
	for _, tt := range []struct {
		out  string
		want int
	}{
		{"containerd github.com/containerd/containerd/v2 v2.4.2 0123abcd\n", 2},
		{"containerd github.com/containerd/containerd/v2 2.4.2+unknown \n", 2},
		{"containerd github.com/containerd/containerd v1.7.35 abc", 1},
		{"containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3", 1},
		{"containerd containerd.io 1.6.33 d2d58213f83a", 1},
		{"nothing here", 0},
		{"", 0},
	} {
		got, err := parseContainerdVersion(tt.out)
		if got != tt.want || (err != nil) != (tt.want == 0) {
			t.Errorf("parseContainerdVersion(%q) = %d, %v; want %d", tt.out, got, err, tt.want)
		}
	}
}

// TestAddImport edits documents whose top level is hard to scan.
func TestAddImport(t *testing.T) {
	for _, doc := range []string{
		"",
		"# only a comment",
		"a = \"\"\"\n[not a table]\nx = 1\n\"\"\"\nb = '''\n[nor this]'''\n[t]\nc = 1\n",
		"arr = [\n  [1, 2],\n  [\"x\", \"]\"],\n]\n[t]\n",
		"inline = { a = 1, b = { c = \"}\" } }\ndotted.key = 'v'\n\"quoted key\" = 1 # c\n[t]\n",
		"when = 1979-05-27 07:32:00Z\nnum = -1_000\nf = 6.02e+23 # x\n",
		"\"imports\" = [\"/x.toml\"]\n",
		"esc = \"\\\"[\\\\\"\nimports = ['/a',\n'/b']\n",
		"[[array.of.tables]]\nimports = 1\n", // a table's key, not the top-level one
	} {
		out, err := addImport([]byte(doc), testDropIn)
		if err != nil {
			t.Errorf("addImport(%q): %v", doc, err)
			continue
		}
		before, after := map[string]any{}, map[string]any{}
		if err := toml.Unmarshal([]byte(doc), &before); err != nil {
			t.Fatalf("test document %q: %v", doc, err)
		}
		if err := toml.Unmarshal(out, &after); err != nil {
			t.Errorf("addImport(%q) = %q: %v", doc, out, err)
			continue
		}
		imports, _ := after["imports"].([]any)
		if len(imports) == 0 || imports[len(imports)-1] != testDropIn {
			t.Errorf("addImport(%q) = %q: imports %v", doc, out, after["imports"])
		}
		old, _ := before["imports"].([]any)
		if !reflect.DeepEqual(append(old, any(testDropIn)), imports) {
			t.Errorf("addImport(%q): imports %v, had %v", doc, imports, old)
		}
		delete(before, "imports")
		delete(after, "imports")
		if !reflect.DeepEqual(before, after) {
			t.Errorf("addImport(%q) = %q changed other keys", doc, out)
		}
		if old == nil {
			kept := strings.Replace(string(out), "imports = [\""+testDropIn+"\"]\n", "", 1)
			if kept != doc && kept != doc+"\n" {
				t.Errorf("addImport(%q) = %q: the original text is not kept", doc, out)
			}
		}
	}
}
