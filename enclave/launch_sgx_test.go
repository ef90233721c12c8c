package enclave

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/host"
	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/enclave/verify"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/test/sgxfakebin"
)

// Run by the fake gramine-sgx as the enclave's entrypoint, the test
// binary is the module host.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(control.EnvControl); ok {
		host.Main()
	}
	code := m.Run()
	sgxfakebin.Cleanup()
	os.Exit(code)
}

// startWasm is (module (func (export "_start"))).
var startWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
	0x03, 0x02, 0x01, 0x00, // func 0: type 0
	0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, // export "_start"
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // body: end
}

// sgxFake builds test/sgxfake, initializes its home and puts its tools
// first on PATH. It returns the home.
func sgxFake(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the launcher drops privileges from a root shim's thread")
	}
	if err := exec.Command("unshare", "--user", "true").Run(); err != nil {
		t.Skipf("no unprivileged user namespaces here (the fake gramine-sgx needs them): %v", err)
	}
	h := t.TempDir()
	exe := filepath.Join(h, "bin", "sgxfake")
	if err := sgxfakebin.Install(exe); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(exe, "init", h).CombinedOutput(); err != nil {
		t.Fatalf("sgxfake init: %v\n%s", err, out)
	}
	t.Setenv("PATH", filepath.Join(h, "bin")+":"+os.Getenv("PATH"))
	return h
}

type sgxFixture struct {
	home   string
	l      *Launcher
	req    LaunchRequest
	out    *os.File // the host's stdout and stderr
	rootfs string
}

func newSGXFixture(t *testing.T) *sgxFixture {
	t.Helper()
	f := &sgxFixture{home: sgxFake(t)}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	f.l = &Launcher{Exe: self, SGXDir: filepath.Join(state, "sgx"), SGX: &SGXNode{Key: filepath.Join(state, "lib", "key.pem")}}
	f.rootfs = t.TempDir()
	module := filepath.Join(f.rootfs, "app.wasm")
	if err := os.WriteFile(module, startWasm, 0o644); err != nil {
		t.Fatal(err)
	}
	mf, err := os.Open(module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mf.Close() })
	if f.out, err = os.Create(filepath.Join(t.TempDir(), "out")); err != nil {
		t.Fatal(err)
	}
	devnull, _ := os.Open(os.DevNull)
	t.Cleanup(func() { devnull.Close(); f.out.Close() })
	f.req = LaunchRequest{
		ID: "c1", Namespace: "ns",
		Workload: &oci.Workload{ModulePath: "/app.wasm", Entry: "_start", Args: []string{"/app.wasm", "x"}, Env: []string{"A=b"},
			Preopens: []oci.Preopen{{Host: f.rootfs, Guest: "/", ReadOnly: true}}},
		Module: mf, Stdin: devnull, Stdout: f.out, Stderr: f.out,
	}
	return f
}

func (f *sgxFixture) dir() string { return filepath.Join(f.l.SGXDir, "ns", "c1") }

func (f *sgxFixture) output() string {
	b, _ := os.ReadFile(f.out.Name())
	return string(b)
}

func TestLaunchSGX(t *testing.T) {
	f := newSGXFixture(t)
	ctx := context.Background()
	p, info, err := f.l.LaunchSGX(ctx, f.req)
	if err != nil {
		t.Fatalf("LaunchSGX: %v\noutput: %s", err, f.output())
	}
	defer p.Close()
	sum := sha256.Sum256(startWasm)
	launch := f.req.Workload.Launch(hex.EncodeToString(sum[:]), evidence.BackendSGX)
	m, _ := measure.Measure(launch)
	if info.Digest != hex.EncodeToString(sum[:]) || info.Measurement != m || info.Launch.Backend != "sgx" {
		t.Errorf("info %+v, want digest %x, measurement %s", info, sum, m)
	}
	if len(info.Warnings) == 0 || !strings.Contains(info.Warnings[0], "created the SGX enclave signing key") {
		t.Errorf("warnings %q", info.Warnings)
	}
	if st, err := os.Stat(f.l.SGX.Key); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("signing key: %v %v", st, err)
	}
	for _, name := range []string{"module.wasm", "module-host.manifest.sgx", "module-host.sig", "gramine.log"} {
		if _, err := os.Stat(filepath.Join(f.dir(), name)); err != nil {
			t.Error(err)
		}
	}

	// Evidence, made in the enclave, before and after start.
	nonce := []byte("launch test nonce")
	check := func() {
		t.Helper()
		data, err := p.Evidence(ctx, nonce, []byte("key"))
		if err != nil {
			t.Fatalf("Evidence: %v", err)
		}
		ev, err := evidence.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Measurement != m.String() || ev.Backend != "sgx" || ev.TEE != "sgx" {
			t.Errorf("evidence %+v", ev)
		}
		root, _ := os.ReadFile(filepath.Join(f.home, "pki", "root.pem"))
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(root)
		pol := &verify.Policy{Measurements: []string{m.String()}, Backends: []string{"sgx"}, TEEs: []string{"sgx"}}
		if _, err := verify.Evidence(ev, pol, verify.Options{Nonce: nonce, SGXRoots: roots}); err != nil {
			t.Errorf("verify: %v", err)
		}
	}
	check()
	if err := p.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the module did not exit")
	}
	if code, _ := p.Exit(); code != 0 {
		t.Errorf("exit %d; output %s", code, f.output())
	}
	if _, err := p.Evidence(ctx, nonce, nil); err == nil {
		t.Error("evidence from an exited host")
	}
	p.Close()
	if _, err := os.Stat(f.dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the enclave directory is left: %v", err)
	}
}

// A trusted file changed between signing and start: the enclave does not
// start, the error says why, nothing is left.
func TestLaunchSGXTampered(t *testing.T) {
	f := newSGXFixture(t)
	os.WriteFile(filepath.Join(f.home, "tamper-next"), []byte("module.wasm"), 0o644)
	_, _, err := f.l.LaunchSGX(context.Background(), f.req)
	if err == nil || !errors.Is(err, ErrHostDied) || !strings.Contains(err.Error(), "trusted file file:module.wasm: hash mismatch") {
		t.Fatalf("LaunchSGX: %v", err)
	}
	if _, err := os.Stat(f.dir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the enclave directory is left: %v", err)
	}
}

func TestLaunchSGXWithoutGramine(t *testing.T) {
	f := newSGXFixture(t)
	t.Setenv("PATH", "/nonexistent")
	_, _, err := f.l.LaunchSGX(context.Background(), f.req)
	want := "the sgx backend cannot start enclaves on this node: gramine-manifest, gramine-sgx-sign, gramine-sgx not on PATH (Gramine is not installed)"
	if !errors.Is(err, ErrGramineNotInstalled) || errors.Is(err, ErrNotInstalled) || err.Error() != want {
		t.Errorf("LaunchSGX: %v, want %q", err, want)
	}
}

// The node's Gramine tools, signing key and host binary digest are found
// once and kept; a failure is not kept.
func TestSGXNodeOnce(t *testing.T) {
	home := sgxFake(t)
	fakePath := os.Getenv("PATH")
	state := t.TempDir()
	key, exe := filepath.Join(state, "key.pem"), filepath.Join(state, "module-host")
	// A static ELF stands in for the module host binary: setup reads its
	// imported libraries (none).
	elfBinary, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static (scripts/deps.sh): %v", err)
	}
	os.WriteFile(exe, elfBinary, 0o755)
	n := &SGXNode{Key: key}

	t.Setenv("PATH", "/nonexistent")
	if _, _, err := n.setup(exe); !errors.Is(err, ErrGramineNotInstalled) {
		t.Fatalf("without Gramine: %v", err)
	}
	if _, err := os.Stat(key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the key was made without Gramine: %v", err)
	}

	t.Setenv("PATH", fakePath)
	if _, _, err := n.setup(filepath.Join(state, "missing")); err == nil || !strings.Contains(err.Error(), "sgx: hash the module host binary") {
		t.Fatalf("without the binary: %v", err)
	}
	if _, err := os.Stat(key); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the key was made without the binary: %v", err)
	}
	found, warning, err := n.setup(exe)
	if err != nil || !strings.Contains(warning, "created the SGX enclave signing key "+key) {
		t.Fatalf("with Gramine: %q %v", warning, err)
	}
	sum := sha256.Sum256(elfBinary)
	if found.tools.Run != filepath.Join(home, "bin", sgx.GramineSGX) || found.tools.Missing() != nil || found.hostSHA256 != hex.EncodeToString(sum[:]) ||
		found.libraries == nil || len(found.libraries) != 0 {
		t.Errorf("found %+v", found)
	}

	// Found: neither PATH nor the key file nor the binary is looked at
	// again.
	t.Setenv("PATH", "/nonexistent")
	os.Chmod(key, 0o644)
	os.WriteFile(exe, []byte("host binary, changed"), 0o755)
	again, warning, err := n.setup(exe)
	if err != nil || warning != "" || !reflect.DeepEqual(again, found) {
		t.Errorf("again: %+v %q %v", again, warning, err)
	}
}

// Only the connection with the token is the host's.
func TestAcceptHost(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	token := strings.Repeat("ab", control.TokenBytes)
	type result struct {
		conn net.Conn
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, _, err := acceptHost(context.Background(), ln, token, nil)
		done <- result{c, err}
	}()
	dial := func(tok string) net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		json.NewEncoder(c).Encode(control.Hello{Token: tok})
		return c
	}
	wrong := dial(strings.Repeat("cd", control.TokenBytes))
	wrong.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := wrong.Read(make([]byte, 1)); err == nil {
		t.Error("a connection with the wrong token was not closed")
	}
	silent, _ := net.Dial("tcp", ln.Addr().String()) // says nothing: must not block the host
	defer silent.Close()
	right := dial(token)
	defer right.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	r.conn.Close()
	// The listener is closed: the token is used.
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("still listening")
	}

	// A host that dies before connecting.
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	died := make(chan struct{})
	close(died)
	if _, _, err := acceptHost(context.Background(), ln2, token, died); !errors.Is(err, ErrHostDied) {
		t.Errorf("dead host: %v", err)
	}
}

func TestControlAddress(t *testing.T) {
	token := strings.Repeat("0f", control.TokenBytes)
	addr, tok, err := control.ParseAddress(control.FormatAddress("127.0.0.1:4242", token))
	if err != nil || addr != "127.0.0.1:4242" || tok != token {
		t.Errorf("%q %q %v", addr, tok, err)
	}
	for _, bad := range []string{"", "127.0.0.1:4242", "10.0.0.1:4242 " + token, "example.com:80 " + token, "127.0.0.1:0 " + token, "127.0.0.1:4242 abc"} {
		if _, _, err := control.ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) succeeded", bad)
		}
	}
	if control.CheckToken(token, token) != nil || control.CheckToken("x", token) == nil || control.CheckToken("", "") == nil {
		t.Error("CheckToken")
	}
}

func TestSGXContainerDir(t *testing.T) {
	if d, err := (&Launcher{}).SGXContainerDir("k8s.io", "abc"); err != nil || d != "/run/wasmtee-sgx/k8s.io/abc" {
		t.Errorf("%q %v", d, err)
	}
	for _, bad := range [][2]string{{"", "x"}, {"ns", ".."}, {"ns", "a/b"}, {".", "x"}} {
		if _, err := (&Launcher{SGXDir: "/base"}).SGXContainerDir(bad[0], bad[1]); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
