package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/faketsm"

	"github.com/wasmtee/wasmtee/enclave/tee/process"
)

// doctorRoot makes a fake node root: a kernel release, a mount table and
// the given files (name -> content; a trailing "/" makes a directory).
func doctorRoot(t *testing.T, release, mounts string, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{
		"/proc/sys/kernel/osrelease": release + "\n",
		"/proc/self/mounts":          mounts,
	}
	for k, v := range files {
		all[k] = v
	}
	for name, content := range all {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const v2Mounts = "sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n"

func checkOf(t *testing.T, rep doctorReport, name string) doctorCheck {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %q in %+v", name, rep.Checks)
	return doctorCheck{}
}

func wantCheck(t *testing.T, rep doctorReport, name, status, value, detail string) {
	t.Helper()
	c := checkOf(t, rep, name)
	if c.Status != status || (value != "" && c.Value != value) || !strings.Contains(c.Detail, detail) {
		t.Errorf("%s = %+v; want status %q value %q detail containing %q", name, c, status, value, detail)
	}
}

func TestDoctorBareNodeJSON(t *testing.T) {
	t.Setenv("PATH", "/usr/bin:/bin")
	root := doctorRoot(t, "6.1.0-28-amd64", v2Mounts, map[string]string{
		"/usr/bin/containerd": "#!/bin/sh\n",
	})
	code, stdout, stderr := run(t, "doctor", "--json", "--root", root)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep doctorReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	wantCheck(t, rep, "kernel", "info", "6.1.0-28-amd64", "new enough for SGX EDMM (6.0+), the in-kernel SGX driver (5.11+); too old for configfs-tsm reports (6.7+)")
	wantCheck(t, rep, "cgroups", "info", "v2", "unified")
	wantCheck(t, rep, "configfs-tsm", "absent", "", "/sys/kernel/config/tsm/report does not exist: this is not a confidential VM")
	wantCheck(t, rep, "/dev/tdx_guest", "absent", "", "not a TDX guest")
	wantCheck(t, rep, "/dev/sev-guest", "absent", "", "not an SEV-SNP guest")
	wantCheck(t, rep, "/dev/sgx_enclave", "absent", "", "no SGX")
	wantCheck(t, rep, "/dev/sgx_provision", "absent", "", "DCAP")
	wantCheck(t, rep, "gramine-sgx", "absent", "", "not on PATH")
	wantCheck(t, rep, "sgx launch", "absent", "", "")
	wantCheck(t, rep, "/dev/attestation", "absent", "", "not inside a Gramine enclave")
	wantCheck(t, rep, "node key", "absent", "/var/lib/wasmtee/node.key", "creates it (mode 0600) on first use")
	wantCheck(t, rep, "containerd", "info", "/usr/bin/containerd", "not run below --root")
	wantCheck(t, rep, "shim", "absent", "", "not on PATH")
	wantCheck(t, rep, "backend (auto)", "info", "process (tee none)", "no TEE is available")
	if rep.Auto.Backend != "process" || rep.Auto.Want != "auto" || rep.Auto.Unavailable["tsm"] == "" || rep.Auto.Unavailable["sgx"] == "" {
		t.Errorf("auto %+v", rep.Auto)
	}
	// Doctor changes nothing: no node key was made.
	if _, err := os.Stat(filepath.Join(root, "var/lib/wasmtee/node.key")); !errors.Is(err, os.ErrNotExist) {
		t.Error("doctor created the node key")
	}
}

func TestDoctorTEENodes(t *testing.T) {
	t.Setenv("PATH", "/usr/local/bin")
	gramine := map[string]string{
		"/dev/sgx_enclave":                  "",
		"/dev/sgx_provision":                "",
		"/usr/local/bin/gramine-sgx":        "#!/bin/sh\n",
		"/usr/local/bin/gramine-sgx-sign":   "#!/bin/sh\n",
		"/usr/local/bin/gramine-manifest":   "#!/bin/sh\n",
		"/usr/local/bin/" + shimBinary:      "#!/bin/sh\n",
		"/usr/local/bin/" + serverBinary:    "#!/bin/sh\n",
		"/usr/local/bin/" + hostBinary:      "#!/bin/sh\n",
		"/dev/attestation/":                 "",
		"/dev/attestation/attestation_type": "dcap",
	}
	root := doctorRoot(t, "6.8.0", "cgroup /sys/fs/cgroup/memory cgroup rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n", gramine)
	code, stdout, stderr := run(t, "doctor", "--json", "--root", root)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var rep doctorReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	wantCheck(t, rep, "cgroups", "info", "hybrid", "cgroup v1 controllers")
	wantCheck(t, rep, "/dev/sgx_enclave", "ok", "present", "can create SGX enclaves")
	wantCheck(t, rep, "/dev/sgx_provision", "ok", "present", "")
	wantCheck(t, rep, "gramine-sgx", "ok", "/usr/local/bin/gramine-sgx", "Gramine is installed")
	wantCheck(t, rep, "sgx launch", "ok", "", "can start module hosts in Gramine SGX enclaves")
	wantCheck(t, rep, "/dev/attestation", "ok", "dcap", "inside a Gramine SGX enclave")
	wantCheck(t, rep, "backend (auto)", "info", "sgx (tee sgx)", "Gramine")
	wantCheck(t, rep, "containerd", "absent", "", "not on PATH")
	wantCheck(t, rep, "shim", "ok", "/usr/local/bin/"+shimBinary, "with wasmtee-shim and wasmtee-module-host beside it")

	// The shim without its module host, or without its server, is broken:
	// exit 1, and the check names what is missing.
	for _, missing := range []struct{ bin, detail string }{
		{hostBinary, "/usr/local/bin/wasmtee-module-host is missing beside the shim: every wasm container will fail at create"},
		{serverBinary, "/usr/local/bin/wasmtee-shim is missing beside the shim: every wasm container will fail at start"},
	} {
		if err := os.Remove(filepath.Join(root, "usr/local/bin", missing.bin)); err != nil {
			t.Fatal(err)
		}
		code, stdout, _ = run(t, "doctor", "--json", "--root", root)
		rep = doctorReport{}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatal(err)
		}
		if code != ExitError {
			t.Errorf("doctor without %s: exit %d, want %d", missing.bin, code, ExitError)
		}
		wantCheck(t, rep, "shim", "error", "/usr/local/bin/"+shimBinary, missing.detail)
	}

	// A confidential VM (configfs-tsm through the library's fake).
	r := faketsm.ReportV7(0)
	base := r.ReadAttr
	r.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		if attr == "provider" {
			return []byte("tdx_guest\n"), nil
		}
		return base(e, attr)
	}
	root = doctorRoot(t, "6.8.0", v2Mounts, map[string]string{"/dev/tdx_guest": ""})
	p := doctorProbe{
		root:              root,
		nodeKey:           process.DefaultKeyPath,
		lookPath:          doctorLookPathUnder(root),
		containerdVersion: func(string) (string, error) { return "v2.1.4", nil },
		tsmClient:         &faketsm.Client{Subsystems: map[string]configfsi.Client{"report": r}},
	}
	rep = p.run()
	wantCheck(t, rep, "configfs-tsm", "ok", "tdx_guest", "confidential VM attestation (tdx)")
	wantCheck(t, rep, "/dev/tdx_guest", "ok", "present", "TDX trust domain")
	wantCheck(t, rep, "backend (auto)", "info", "tsm (tee tdx, provider tdx_guest)", "configfs-tsm provider tdx_guest")
	wantCheck(t, rep, "containerd", "absent", "", "")

	// containerd found and asked for its version.
	p.lookPath = func(name string) (string, error) { return "/usr/bin/" + name, nil }
	rep = p.run()
	wantCheck(t, rep, "containerd", "info", "v2.1.4", "/usr/bin/containerd")
}

// An SGX host with gramine-sgx but without gramine-sgx-sign cannot start
// enclaves, and no line of the report says it can.
func TestDoctorGramineInPart(t *testing.T) {
	t.Setenv("PATH", "/usr/local/bin")
	root := doctorRoot(t, "6.8.0", v2Mounts, map[string]string{
		"/dev/sgx_enclave":                "",
		"/dev/sgx_provision":              "",
		"/usr/local/bin/gramine-sgx":      "#!/bin/sh\n",
		"/usr/local/bin/gramine-manifest": "#!/bin/sh\n",
	})
	code, stdout, stderr := run(t, "doctor", "--root", root)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{
		"gramine-sgx         warning  /usr/local/bin/gramine-sgx\n",
		"gramine-sgx-sign not on PATH: Gramine is installed only in part",
		"this host cannot start Gramine SGX enclaves: gramine-sgx-sign not on PATH",
		"sgx: /dev/attestation does not exist",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "can start") || strings.Contains(stdout, "can run") {
		t.Errorf("the report says enclaves can start without gramine-sgx-sign:\n%s", stdout)
	}
}

func TestDoctorNodeKey(t *testing.T) {
	root := doctorRoot(t, "6.8.0", v2Mounts, nil)
	key := filepath.Join(root, "etc/wasmtee/node.key")
	if _, err := process.New(key); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "doctor", "--root", root, "--node-key", "/etc/wasmtee/node.key")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "node key            ok       /etc/wasmtee/node.key\n") {
		t.Errorf("text output:\n%s", stdout)
	}

	if err := os.Chmod(key, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run(t, "doctor", "--root", root, "--node-key", "/etc/wasmtee/node.key")
	if code != ExitError {
		t.Errorf("exit %d with a world-readable key, want %d", code, ExitError)
	}
	if !strings.Contains(stdout, "accessible by group or others (mode 0644)") {
		t.Errorf("text output does not explain the key's problem:\n%s", stdout)
	}
	if !strings.Contains(stderr, "doctor: found a problem with: node key") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestDoctorText(t *testing.T) {
	root := doctorRoot(t, "5.15.0", "", nil)
	code, stdout, _ := run(t, "doctor", "--root", root)
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		"kernel              info     5.15.0\n",
		"too old for configfs-tsm reports (6.7+), SGX EDMM (6.0+)",
		"cgroups             warning  none\n",
		"backend (auto)      info     process (tee none)\n",
		"TEE backends not available:\n  tsm: ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestDoctorUsage(t *testing.T) {
	if code, _, stderr := run(t, "doctor", "extra"); code != ExitUsage || !strings.Contains(stderr, `doctor: unexpected argument "extra"`) {
		t.Errorf("exit %d stderr %q", code, stderr)
	}
	if code, stdout, _ := run(t, "help", "doctor"); code != ExitOK || !strings.HasPrefix(stdout, "Usage: wasmtee doctor [--json]") {
		t.Errorf("help: %d %q", code, stdout)
	}
}

func TestDoctorKernelVersion(t *testing.T) {
	for _, tt := range []struct {
		in           string
		major, minor int
		ok           bool
	}{
		{"6.8.0-45-generic", 6, 8, true},
		{"6.18.44-fc-v657", 6, 18, true},
		{"5.10", 5, 10, true},
		{"6.7-rc1", 6, 7, true},
		{"garbage", 0, 0, false},
	} {
		ma, mi, ok := doctorKernelVersion(tt.in)
		if ok != tt.ok || (ok && (ma != tt.major || mi != tt.minor)) {
			t.Errorf("%q: %d.%d %v", tt.in, ma, mi, ok)
		}
	}
}
