package bootstrap

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

func TestParse(t *testing.T) {
	f, err := ParseFlags([]string{"-namespace", "k8s.io", "-address", "/run/c.sock", "-publish-binary", "/bin/x", "-id", "c1", "-debug", "start"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Namespace != "k8s.io" || f.ID != "c1" || f.Address != "/run/c.sock" || !f.Debug || f.Action != "start" {
		t.Errorf("parsed %+v", f)
	}
	// Flags this binary leaves to the server: -v, -info.
	if f, err := ParseFlags([]string{"-v"}); err != nil || !f.Version {
		t.Errorf("-v: %+v %v", f, err)
	}
	for _, arg := range []string{"-info", "--info"} {
		if f, err := ParseFlags([]string{arg}); err != nil || !f.Info || f.Version {
			t.Errorf("%s: %+v %v", arg, f, err)
		}
	}
	if _, err := ParseFlags([]string{"-bogus"}); err == nil {
		t.Errorf("-bogus parsed; want an error")
	}
}

func TestAnyTypeURL(t *testing.T) {
	opts, err := typeurl.MarshalAny(&runtimeoptions.Options{ConfigBody: []byte("tee = \"process\"\n")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := proto.Marshal(&anypb.Any{TypeUrl: opts.GetTypeUrl(), Value: opts.GetValue()})
	if err != nil {
		t.Fatal(err)
	}
	if u := anyTypeURL(data); !IsRuntimeOptions(u) {
		t.Errorf("runtime options: type URL %q not recognised", u)
	}
	for name, b := range map[string][]byte{
		"json bootstrap parameters": []byte(`{"version":2,"address":"unix:///x"}`),
		"truncated":                 data[:len(data)-3],
		"empty":                     nil,
	} {
		if u := anyTypeURL(b); IsRuntimeOptions(u) {
			t.Errorf("%s: taken for runtime options (%q)", name, u)
		}
	}
	other, _ := proto.Marshal(&anypb.Any{TypeUrl: "types.containerd.io/runc.v1.Options", Value: []byte{1}})
	if IsRuntimeOptions(anyTypeURL(other)) {
		t.Error("runc's options taken for runtimeoptions.v1.Options")
	}
}

func TestSaveOptions(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := saveOptions(strings.NewReader(`{"version":2}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(OptionsFile); !os.IsNotExist(err) {
		t.Fatalf("non-options stdin saved: %v", err)
	}
	opts, _ := typeurl.MarshalAny(&runtimeoptions.Options{ConfigPath: "/etc/wasmtee/wasmtee.toml"})
	data, _ := proto.Marshal(&anypb.Any{TypeUrl: opts.GetTypeUrl(), Value: opts.GetValue()})
	if err := saveOptions(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(OptionsFile); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("saved %x, %v; want %x", got, err, data)
	}
	// Options of another type are saved too: Create warns about them.
	runc, _ := proto.Marshal(&anypb.Any{TypeUrl: "containerd.runc.v1.Options", Value: []byte{0x10, 1}})
	if err := saveOptions(bytes.NewReader(runc)); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(OptionsFile); err != nil || !bytes.Equal(got, runc) {
		t.Fatalf("runc's options: saved %x, %v; want %x", got, err, runc)
	}
}

func TestGroup(t *testing.T) {
	t.Chdir(t.TempDir())
	if g := group("c1"); g != "c1" {
		t.Errorf("no config.json: group %q", g)
	}
	if err := os.WriteFile("config.json", []byte(`{"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.sandbox-id":"pod9"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if g := group("c1"); g != "pod9" {
		t.Errorf("CRI container: group %q, want the sandbox ID", g)
	}
}

func TestKilledResponse(t *testing.T) {
	before := time.Now()
	var r taskAPI.DeleteResponse
	if err := proto.Unmarshal(KilledResponse(), &r); err != nil {
		t.Fatal(err)
	}
	if r.ExitStatus != 137 || r.Pid != 0 || r.ExitedAt.AsTime().Before(before.Truncate(time.Second)) {
		t.Errorf("decoded %v", &r)
	}
}

func TestFastDelete(t *testing.T) {
	bundle := t.TempDir()
	f := Flags{Namespace: "default", ID: "c1", Bundle: bundle, Action: "delete"}

	// A stale socket (no server) named by the bundle's address is removed.
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
	if err := os.WriteFile(filepath.Join(bundle, "address"), []byte("unix://"+sock), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	done, err := fastDelete(f, &out)
	if err != nil || !done {
		t.Fatalf("released bundle: done %v, err %v", done, err)
	}
	var r taskAPI.DeleteResponse
	if err := proto.Unmarshal(out.Bytes(), &r); err != nil || r.ExitStatus != uint32(KilledStatus) {
		t.Errorf("response %v, %v", &r, err)
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("stale socket not removed: %v", err)
	}

	// A live server's socket stays.
	l, err = net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if done, err := fastDelete(f, &bytes.Buffer{}); err != nil || !done {
		t.Fatalf("done %v, err %v", done, err)
	}
	if _, err := os.Lstat(sock); err != nil {
		t.Errorf("live server's socket removed: %v", err)
	}

	// A bundle whose shim never released it needs the full cleanup.
	if err := os.WriteFile(filepath.Join(bundle, CleanupMarker), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if done, err := fastDelete(f, &out); err != nil || done || out.Len() != 0 {
		t.Errorf("marked bundle: done %v, err %v, wrote %d bytes; want the full cleanup", done, err, out.Len())
	}
}

func TestStartWithoutServer(t *testing.T) {
	t.Chdir(t.TempDir())
	err := runStart(Flags{Namespace: "default", ID: "c1", Address: "/run/containerd/containerd.sock"}, strings.NewReader(""), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "install "+ServerBinary+" beside") {
		t.Fatalf("start with no %s beside the test binary: %v", ServerBinary, err)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("failed start left %v in the bundle", entries)
	}
}
