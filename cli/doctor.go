package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-configfs-tsm/configfs/configfsi"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/enclave/tee"
	"github.com/wasmtee/wasmtee/enclave/tee/process"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/enclave/tee/tsm"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/shim/bootstrap"
)

func init() {
	register("", &command{
		name:    "doctor",
		summary: "report what this node offers for running modules in TEEs",
		usage: `Usage: wasmtee doctor [--json] [--node-key PATH] [--root DIR]

Report what this node offers: the kernel, the cgroup mode, the TEE
interfaces (configfs-tsm and its provider, /dev/tdx_guest, /dev/sev-guest,
/dev/sgx_enclave, /dev/sgx_provision, gramine-sgx, Gramine's
/dev/attestation), the process backend's node key, containerd's version,
whether the shim is on PATH with wasmtee-module-host beside it, and the
backend that the TEE selection "auto" would pick, each with a short
explanation. It changes nothing: it does not create the node key (probing
configfs-tsm makes and removes a report entry, as every quote does).

It exits with status 1 when a check finds something broken (a node key
that others can read, a shim without its module host), else 0.

Options:
  --json             print the report as JSON
  --node-key PATH    the node key to check (default /var/lib/wasmtee/node.key)
  --root DIR         prefix every path looked at with DIR (for tests and for
                     inspecting a mounted root; containerd is then not run)
`,
		run: runDoctor,
	})
}

// Check statuses.
const (
	doctorOK      = "ok"      // present and usable
	doctorAbsent  = "absent"  // not there; often normal
	doctorInfo    = "info"    // a fact
	doctorWarning = "warning" // there, but not usable as is
	doctorError   = "error"   // broken: doctor exits 1
)

// doctorCheck is one line of the report.
type doctorCheck struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Value  string `json:"value,omitempty"`
	Detail string `json:"detail"`
}

// doctorReport is what doctor prints.
type doctorReport struct {
	Checks []doctorCheck `json:"checks"`
	// Auto is what the TEE selection "auto" picks on this node.
	Auto tee.Choice `json:"auto"`
}

// doctorProbe says where to look; tests fill it with fakes.
type doctorProbe struct {
	root    string // prefix of every path ("" for the real system)
	nodeKey string // the node key's path, without root
	// lookPath finds a command; containerdVersion runs containerd
	// --version (nil: not run).
	lookPath          func(string) (string, error)
	containerdVersion func(bin string) (string, error)
	// tsmClient, if set, stands in for configfs-tsm (tests).
	tsmClient configfsi.Client
}

func runDoctor(e *env, c *command, args []string) error {
	flags := newFlagSet(c)
	asJSON := flags.Bool("json", false, "")
	nodeKey := flags.String("node-key", process.DefaultKeyPath, "")
	root := flags.String("root", "", "")
	pos, err := parseArgs(c, flags, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf(c, "doctor: unexpected argument %q", pos[0])
	}
	p := doctorProbe{nodeKey: *nodeKey, lookPath: exec.LookPath, containerdVersion: doctorContainerdVersion}
	if *root != "" {
		r, err := filepath.Abs(*root)
		if err != nil {
			return err
		}
		if r != "/" {
			p.root = r
			p.lookPath = doctorLookPathUnder(r)
			p.containerdVersion = nil
		}
	}
	rep := p.run()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := rep.write(e.stdout); err != nil {
		return err
	}
	var broken []string
	for _, ch := range rep.Checks {
		if ch.Status == doctorError {
			broken = append(broken, ch.Name)
		}
	}
	if len(broken) > 0 {
		return fmt.Errorf("doctor: found a problem with: %s", strings.Join(broken, ", "))
	}
	return nil
}

// path returns p below the probe's root.
func (p doctorProbe) path(name string) string {
	if p.root == "" {
		return name
	}
	return filepath.Join(p.root, name)
}

func (p doctorProbe) exists(name string) bool {
	_, err := os.Stat(p.path(name))
	return err == nil
}

// run makes every check.
func (p doctorProbe) run() doctorReport {
	var rep doctorReport
	add := func(c doctorCheck) { rep.Checks = append(rep.Checks, c) }
	add(p.kernel())
	add(p.cgroups())
	add(p.tsm())
	add(p.device("/dev/tdx_guest", "Intel TDX guest device: this VM is a TDX trust domain (its quotes come through configfs-tsm)",
		"not a TDX guest, or the tdx_guest driver is not loaded"))
	add(p.device("/dev/sev-guest", "AMD SEV-SNP guest device: this VM is an SEV-SNP guest (reports through configfs-tsm, derived sealing keys through this device)",
		"not an SEV-SNP guest, or the sev-guest driver is not loaded"))
	sgxStatus, gramine := sgx.Probe(p.root), sgx.FindTools(p.lookPath)
	add(p.device(sgx.EnclaveDevice, "the in-kernel SGX driver: this host can create SGX enclaves",
		"no SGX: the CPU lacks it, it is disabled in firmware, or the kernel is older than 5.11"))
	add(p.device(sgx.ProvisionDev, "SGX provisioning: the DCAP quoting enclave can get its key, so enclaves can be quoted",
		"without it there are no DCAP quotes for SGX enclaves"))
	add(gramineCheck(gramine))
	if ok, why := sgxStatus.CanLaunch(gramine); ok {
		add(doctorCheck{Name: "sgx launch", Status: doctorOK,
			Detail: "the shim can start module hosts in Gramine SGX enclaves (asked for with wasmtee.io/tee=sgx or require:sgx; never tried on SGX hardware by this project)"})
	} else {
		add(doctorCheck{Name: "sgx launch", Status: doctorAbsent, Detail: why})
	}
	if ok, why := sgxStatus.Available(); ok {
		add(doctorCheck{Name: sgx.AttestationDir, Status: doctorOK, Value: sgxStatus.AttestationType, Detail: why})
	} else if sgxStatus.InEnclave {
		add(doctorCheck{Name: sgx.AttestationDir, Status: doctorWarning, Value: sgxStatus.AttestationType, Detail: why})
	} else {
		add(doctorCheck{Name: sgx.AttestationDir, Status: doctorAbsent,
			Detail: "this process is not inside a Gramine enclave (as expected on a host)"})
	}
	add(p.nodeKeyCheck())
	add(p.containerd())
	add(p.shimBinaries())

	env := tee.Env{
		TSMRoot:         p.path(tsm.DefaultRoot),
		TSMClient:       p.tsmClient,
		AttestationRoot: p.root,
		NodeKey:         p.path(p.nodeKey),
		LookPath:        p.lookPath,
	}
	choice, err := tee.Decide(tee.Auto, env)
	rep.Auto = choice
	bc := doctorCheck{Name: "backend (auto)", Status: doctorInfo, Detail: choice.Reason}
	switch {
	case err != nil:
		bc.Status, bc.Detail = doctorError, err.Error()
	case choice.Provider != "":
		bc.Value = fmt.Sprintf("%s (tee %s, provider %s)", choice.Backend, choice.TEE, choice.Provider)
	default:
		bc.Value = fmt.Sprintf("%s (tee %s)", choice.Backend, choice.TEE)
	}
	add(bc)
	return rep
}

// gramineCheck says whether the Gramine tools the sgx backend runs are on
// PATH: all of them, as sgx.Status.CanLaunch requires.
func gramineCheck(tools sgx.Tools) doctorCheck {
	c := doctorCheck{Name: "gramine-sgx", Value: tools.Run}
	switch missing := tools.Missing(); {
	case len(missing) == 0:
		c.Status, c.Detail = doctorOK, "Gramine is installed (gramine-manifest, gramine-sgx-sign and gramine-sgx on PATH), as the sgx backend needs to run the module host in an enclave"
	case len(missing) == 3:
		c.Status, c.Detail = doctorAbsent, strings.Join(missing, ", ")+" not on PATH: Gramine is not installed (Debian does not package it); the sgx backend needs it on SGX hosts"
	default:
		c.Status, c.Detail = doctorWarning, strings.Join(missing, ", ")+" not on PATH: Gramine is installed only in part, and the sgx backend cannot start enclaves without it"
	}
	return c
}

func (p doctorProbe) kernel() doctorCheck {
	c := doctorCheck{Name: "kernel", Status: doctorInfo}
	b, err := os.ReadFile(p.path("/proc/sys/kernel/osrelease"))
	if err != nil {
		c.Status, c.Detail = doctorWarning, "cannot read the kernel release: "+err.Error()
		return c
	}
	c.Value = strings.TrimSpace(string(b))
	major, minor, ok := doctorKernelVersion(c.Value)
	if !ok {
		c.Detail = "cannot parse the kernel release"
		return c
	}
	at := func(ma, mi int) bool { return major > ma || (major == ma && minor >= mi) }
	var have, lack []string
	for _, f := range []struct {
		what   string
		ma, mi int
	}{
		{"configfs-tsm reports (6.7+)", 6, 7},
		{"SGX EDMM (6.0+)", 6, 0},
		{"the in-kernel SGX driver (5.11+)", 5, 11},
	} {
		if at(f.ma, f.mi) {
			have = append(have, f.what)
		} else {
			lack = append(lack, f.what)
		}
	}
	switch {
	case len(lack) == 0:
		c.Detail = "new enough for " + strings.Join(have, ", ")
	case len(have) == 0:
		c.Detail = "too old for " + strings.Join(lack, ", ")
	default:
		c.Detail = "new enough for " + strings.Join(have, ", ") + "; too old for " + strings.Join(lack, ", ")
	}
	return c
}

// doctorKernelVersion parses the major and minor of a kernel release, e.g.
// "6.8.0-45-generic".
func doctorKernelVersion(release string) (major, minor int, ok bool) {
	parts := strings.SplitN(release, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	digits := func(s string) string {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return s[:i]
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(digits(parts[1]))
	return major, minor, err1 == nil && err2 == nil
}

// cgroups tells the cgroup mode from the mount table.
func (p doctorProbe) cgroups() doctorCheck {
	c := doctorCheck{Name: "cgroups", Status: doctorInfo}
	f, err := os.Open(p.path("/proc/self/mounts"))
	if err != nil {
		c.Status, c.Detail = doctorWarning, "cannot read the mount table: "+err.Error()
		return c
	}
	defer f.Close()
	var unified, hybrid, v1 bool
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		dir, typ := fields[1], fields[2]
		switch {
		case typ == "cgroup2" && dir == "/sys/fs/cgroup":
			unified = true
		case typ == "cgroup2" && dir == "/sys/fs/cgroup/unified":
			hybrid = true
		case typ == "cgroup":
			v1 = true
		}
	}
	switch {
	case unified:
		c.Value, c.Detail = "v2", "unified hierarchy (cgroup v2) at /sys/fs/cgroup"
	case hybrid && v1:
		c.Value, c.Detail = "hybrid", "cgroup v1 controllers, plus a cgroup v2 hierarchy at /sys/fs/cgroup/unified"
	case v1:
		c.Value, c.Detail = "v1", "legacy hierarchies (cgroup v1)"
	default:
		c.Status, c.Value, c.Detail = doctorWarning, "none", "no cgroup file system is mounted: containers cannot be limited"
	}
	return c
}

func (p doctorProbe) tsm() doctorCheck {
	c := doctorCheck{Name: "configfs-tsm"}
	var provider, why string
	var ok bool
	if p.tsmClient != nil {
		provider, ok, why = tsm.AvailableClient(p.tsmClient)
	} else {
		provider, ok, why = tsm.AvailableAt(p.path(tsm.DefaultRoot))
	}
	c.Value = provider
	switch {
	case ok:
		c.Status = doctorOK
		c.Detail = fmt.Sprintf("confidential VM attestation (%s) through %s/report", tsm.Providers[provider], tsm.DefaultRoot)
	case provider != "":
		c.Status, c.Detail = doctorWarning, why
	case p.exists(tsm.DefaultRoot + "/report"):
		c.Status, c.Detail = doctorWarning, why
	default:
		c.Status, c.Detail = doctorAbsent, why
	}
	return c
}

func (p doctorProbe) device(name, present, absent string) doctorCheck {
	if p.exists(name) {
		return doctorCheck{Name: name, Status: doctorOK, Value: "present", Detail: present}
	}
	return doctorCheck{Name: name, Status: doctorAbsent, Detail: absent}
}

func (p doctorProbe) nodeKeyCheck() doctorCheck {
	c := doctorCheck{Name: "node key", Value: p.nodeKey}
	err := process.CheckKeyFile(p.path(p.nodeKey))
	switch {
	case err == nil:
		c.Status, c.Detail = doctorOK, "exists and is private to its owner: the process backend signs evidence with it"
	case errors.Is(err, fs.ErrNotExist):
		c.Status, c.Detail = doctorAbsent, "not created yet: the process backend creates it (mode 0600) on first use"
	default:
		c.Status, c.Detail = doctorError, err.Error()
	}
	return c
}

func (p doctorProbe) containerd() doctorCheck {
	c := doctorCheck{Name: "containerd"}
	bin, err := p.lookPath("containerd")
	if err != nil {
		c.Status, c.Detail = doctorAbsent, "not on PATH"
		return c
	}
	if p.containerdVersion == nil {
		c.Status, c.Value, c.Detail = doctorInfo, bin, "found (not run below --root)"
		return c
	}
	v, err := p.containerdVersion(bin)
	if err != nil {
		c.Status, c.Value, c.Detail = doctorWarning, bin, "cannot tell its version: "+err.Error()
		return c
	}
	c.Status, c.Value, c.Detail = doctorInfo, v, bin
	return c
}

// shimBinaries checks that the shim is on PATH and that the binaries it
// starts from its own directory, the serving shim and the module host, are
// beside it.
func (p doctorProbe) shimBinaries() doctorCheck {
	c := doctorCheck{Name: "shim"}
	shim, err := p.lookPath(shimBinary)
	if err != nil {
		c.Status, c.Detail = doctorAbsent, shimBinary+" is not on PATH: wasmtee is not installed here (wasmtee install)"
		return c
	}
	c.Value = shim
	for _, b := range []struct{ path, fails string }{
		{bootstrap.ServerPath(shim), "start"},
		{enclave.HostBinary(shim), "create"},
	} {
		st, err := os.Stat(p.path(b.path))
		switch {
		case err != nil:
			c.Status, c.Detail = doctorError, fmt.Sprintf("%s is missing beside the shim: every wasm container will fail at %s (wasmtee install puts them all there)", b.path, b.fails)
			return c
		case !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0:
			c.Status, c.Detail = doctorError, fmt.Sprintf("%s is not an executable file: every wasm container will fail at %s", b.path, b.fails)
			return c
		}
	}
	c.Status, c.Detail = doctorOK, "installed, with "+serverBinary+" and "+hostBinary+" beside it"
	return c
}

// doctorContainerdVersion runs bin --version and returns its version word,
// e.g. "v1.7.35" or "1.6.20~ds1".
func doctorContainerdVersion(bin string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "", err
	}
	// "containerd github.com/containerd/containerd v1.7.35 <commit>"
	// "containerd containerd.io 1.7.27 <commit>"
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	fields := strings.Fields(line)
	for _, f := range fields[min(1, len(fields)):] {
		if len(f) > 1 && (f[0] >= '0' && f[0] <= '9' || f[0] == 'v' && f[1] >= '0' && f[1] <= '9') {
			return f, nil
		}
	}
	if line == "" {
		return "", errors.New("no output")
	}
	return line, nil
}

// doctorLookPathUnder finds commands in $PATH's directories below root.
func doctorLookPathUnder(root string) func(string) (string, error) {
	return func(name string) (string, error) {
		path := os.Getenv("PATH")
		if path == "" {
			path = oci.DefaultPath
		}
		for _, dir := range filepath.SplitList(path) {
			if !filepath.IsAbs(dir) {
				continue
			}
			p := filepath.Join(dir, name)
			if st, err := os.Stat(filepath.Join(root, p)); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
				return p, nil
			}
		}
		return "", fmt.Errorf("%s: not found below %s", name, root)
	}
}

// write prints the report as text: one line per check, its explanation
// indented below.
func (r doctorReport) write(w io.Writer) error {
	width := 0
	for _, c := range r.Checks {
		width = max(width, len(c.Name))
	}
	var b strings.Builder
	for _, c := range r.Checks {
		value := c.Value
		if value == "" {
			value = "-"
		}
		fmt.Fprintf(&b, "%-*s  %-7s  %s\n", width, c.Name, c.Status, value)
		if c.Detail != "" {
			fmt.Fprintf(&b, "%-*s  %s\n", width, "", c.Detail)
		}
	}
	if len(r.Auto.Unavailable) > 0 {
		b.WriteString("\nTEE backends not available:\n")
		for _, name := range []string{"tsm", "sgx"} {
			if why, ok := r.Auto.Unavailable[name]; ok {
				fmt.Fprintf(&b, "  %s: %s\n", name, why)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
