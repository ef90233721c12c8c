package oci

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func baseSpec() *specs.Spec {
	return &specs.Spec{
		Process: &specs.Process{Args: []string{"/app.wasm", "a"}, Env: []string{"A=1"}, Cwd: "/"},
		Root:    &specs.Root{Path: "rootfs"},
	}
}

func TestLoadMapsProcess(t *testing.T) {
	dir := t.TempDir()
	limit := int64(64 << 20)
	s := baseSpec()
	s.Process.Cwd = "/work"
	s.Process.User = specs.User{UID: 1000, GID: 1001}
	s.Root.Readonly = true
	s.Linux = &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}}}
	s.Mounts = []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc"},
		{Destination: "/data", Type: "bind", Source: dir, Options: []string{"rbind", "ro"}},
		{Destination: "/out/", Source: dir, Options: []string{"rbind", "rw"}},
	}
	w, err := Load(s, "/rootfs")
	if err != nil {
		t.Fatal(err)
	}
	want := &Workload{
		ModulePath:  "/app.wasm",
		Entry:       DefaultEntry,
		Args:        []string{"/app.wasm", "a"},
		Env:         []string{"A=1", "PWD=/work"},
		MemoryLimit: limit,
		UID:         1000,
		GID:         1001,
		Preopens: []Preopen{
			{Host: "/rootfs", Guest: "/", ReadOnly: true},
			{Host: dir, Guest: "/data", ReadOnly: true},
			{Host: dir, Guest: "/out"},
		},
	}
	if !reflect.DeepEqual(w, want) {
		t.Fatalf("got %+v\nwant %+v", w, want)
	}
}

func TestLoadEntry(t *testing.T) {
	for _, tc := range []struct {
		arg0, cwd, path, entry string
	}{
		{"/m.wasm#run", "/", "/m.wasm", "run"},
		{"m.wasm", "/app", "/app/m.wasm", DefaultEntry},
		{"./x/../m.wasm", "", "/m.wasm", DefaultEntry},
	} {
		s := baseSpec()
		s.Process.Args[0], s.Process.Cwd = tc.arg0, tc.cwd
		w, err := Load(s, "/r")
		if err != nil {
			t.Fatalf("%s: %v", tc.arg0, err)
		}
		if w.ModulePath != tc.path || w.Entry != tc.entry {
			t.Errorf("%s: got %s#%s, want %s#%s", tc.arg0, w.ModulePath, w.Entry, tc.path, tc.entry)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	for name, mutate := range map[string]func(*specs.Spec){
		"no process":      func(s *specs.Spec) { s.Process = nil },
		"terminal":        func(s *specs.Spec) { s.Process.Terminal = true },
		"no args":         func(s *specs.Spec) { s.Process.Args = nil },
		"empty function":  func(s *specs.Spec) { s.Process.Args[0] = "/m.wasm#" },
		"relative dest":   func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "data", Type: "bind", Source: "/tmp"}} },
		"dotdot dest":     func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "/a/../..", Type: "bind", Source: "/tmp"}} },
		"relative source": func(s *specs.Spec) { s.Mounts = []specs.Mount{{Destination: "/d", Type: "bind", Source: "tmp"}} },
		"missing source": func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/d", Type: "bind", Source: "/nonexistent-wasmtee"}}
		},
		"dotdot in source": func(s *specs.Spec) {
			s.Mounts = []specs.Mount{{Destination: "/d", Type: "bind", Source: "/tmp/../etc"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := baseSpec()
			mutate(s)
			if _, err := Load(s, "/r"); !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("got %v, want ErrInvalidSpec", err)
			}
		})
	}
}

func TestReadSpecMalformed(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{not json"), 0o644)
	if _, err := ReadSpec(dir); !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("got %v, want ErrInvalidSpec", err)
	}
}

func TestOpenModuleStaysInRootfs(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "host.wasm")
	os.WriteFile(outside, []byte("\x00asm"), 0o644)
	os.WriteFile(filepath.Join(root, "in.wasm"), []byte("\x00asm"), 0o644)
	os.Symlink(outside, filepath.Join(root, "abs.wasm"))
	os.Symlink("../../../../../../.."+outside, filepath.Join(root, "rel.wasm"))
	os.Symlink("in.wasm", filepath.Join(root, "ok.wasm"))
	os.Mkdir(filepath.Join(root, "dir.wasm"), 0o755)
	for _, p := range []string{"/in.wasm", "/ok.wasm"} {
		f, err := OpenModule(root, p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f.Close()
	}
	for _, p := range []string{"/abs.wasm", "/rel.wasm", "/missing.wasm", "/dir.wasm", "/", "/../" + filepath.Base(outside)} {
		if f, err := OpenModule(root, p); !errors.Is(err, ErrModuleNotFound) {
			f.Close()
			t.Errorf("%s: got %v, want ErrModuleNotFound", p, err)
		}
	}
}

// A symlinked directory in the path is resolved inside the rootfs, never on
// the host: an image that links /x to /proc/self cannot make the shim read
// (and print) the host's /proc/self/exe, nor pick a file through a host link.
func TestOpenModuleReadsNoHostSymlink(t *testing.T) {
	root := t.TempDir()
	os.Symlink("/proc/self", filepath.Join(root, "x"))
	host, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Skip(err)
	}
	_, err = OpenModule(root, "/x/exe")
	if !errors.Is(err, ErrModuleNotFound) {
		t.Fatalf("got %v, want ErrModuleNotFound", err)
	}
	if strings.Contains(err.Error(), host) {
		t.Errorf("the error shows a host path: %v", err)
	}
	// Inside the rootfs, the same kind of link works.
	os.MkdirAll(filepath.Join(root, "real"), 0o755)
	os.WriteFile(filepath.Join(root, "real", "m.wasm"), []byte("\x00asm"), 0o644)
	os.Symlink("/m.wasm", filepath.Join(root, "real", "link.wasm"))
	os.WriteFile(filepath.Join(root, "m.wasm"), []byte("\x00asm"), 0o644)
	f, err := OpenModule(root, "/real/link.wasm")
	if err != nil {
		t.Fatalf("absolute last-component link inside the rootfs: %v", err)
	}
	f.Close()
}

// TestReadSpecKeepsWhatIsUsed: ReadSpec decodes every field a wasm
// container uses exactly as the whole spec has them.
func TestReadSpecKeepsWhatIsUsed(t *testing.T) {
	limit, shares := int64(64<<20), uint64(512)
	full := specs.Spec{
		Version:  "1.2.1",
		Hostname: "h",
		Process: &specs.Process{Args: []string{"/m.wasm", "a"}, Env: []string{"A=1"}, Cwd: "/w",
			User: specs.User{UID: 7, GID: 8, AdditionalGids: []uint32{9}}, Terminal: true},
		Root:        &specs.Root{Path: "rootfs", Readonly: true},
		Mounts:      []specs.Mount{{Destination: "/d", Type: "bind", Source: "/s", Options: []string{"ro", "rbind"}}},
		Annotations: map[string]string{"io.kubernetes.cri.container-type": "container"},
		Linux: &specs.Linux{
			CgroupsPath: "/pod/c",
			Resources:   &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, CPU: &specs.LinuxCPU{Shares: &shares}},
			Namespaces:  []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/proc/1/ns/net"}},
			MaskedPaths: []string{"/proc/kcore"},
		},
	}
	dir := t.TempDir()
	data, err := json.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := specs.Spec{Version: full.Version, Process: full.Process, Root: full.Root, Mounts: full.Mounts, Annotations: full.Annotations,
		Linux: &specs.Linux{CgroupsPath: full.Linux.CgroupsPath, Resources: full.Linux.Resources, Namespaces: full.Linux.Namespaces}}
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("ReadSpec:\n%+v\nwant\n%+v", got, &want)
	}
	whole, err := ReadFullSpec(dir)
	if err != nil || !reflect.DeepEqual(whole, &full) {
		t.Fatalf("ReadFullSpec: %+v %v", whole, err)
	}
}
