package sgx

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Where things appear inside the enclave.
const (
	DefaultHostPath   = "/wasmtee/module-host"
	DefaultModulePath = "/wasmtee/module.wasm"
	// preopenRoot is the enclave directory below which preopened
	// directories are mounted, at preopenRoot + guest path, so that a
	// guest path never shadows the enclave's own files (/lib...).
	preopenRoot = "/wasmtee/preopens"
)

// defaultLibraries are the host libraries a module host binary needs when
// the caller does not say (ManifestOptions.Libraries): none, as make links
// it statically. The shim says, from the binary itself (HostLibraries).
var defaultLibraries = []string{}

// Defaults of ManifestOptions.
const (
	// defaultEnclaveSize is large because wasmtime reserves address space
	// for each linear memory (4 GiB plus guard pages by default); with EDMM
	// only the pages touched are committed, so the size costs address
	// space, not EPC.
	defaultEnclaveSize = "64G"
	// defaultMaxThreads leaves room for the Go runtime's threads,
	// wasmtime's compiler threads and Gramine's own helper threads.
	defaultMaxThreads = 64
	// defaultStackSize is the main thread's stack, and glibc's default
	// for new threads: wasm runs on the calling thread's stack (wasmtime
	// allows it 512 KiB by default).
	defaultStackSize = "8M"
)

// ManifestOptions describe one module host enclave.
type ManifestOptions struct {
	// HostBinary is the module host binary on the host
	// (wasmtee-module-host). Absolute path.
	HostBinary string
	// HostSHA256 is the binary's hex SHA-256 when the caller already has
	// it (Manifest hashes HostBinary otherwise): the shim hashes it once
	// (enclave.SGXNode), not for every enclave.
	HostSHA256 string
	// Argv is the module host's argv, fixed in the manifest
	// (loader.argv), e.g. {"wasmtee-module-host", "<container ID>"}.
	Argv []string
	// Module is the module file on the host. Absolute path.
	Module string
	// ModuleSHA256 is the module's hex SHA-256 when the caller already
	// has it (Manifest hashes Module otherwise).
	ModuleSHA256 string
	// HostPath and ModulePath are where the binary and the module appear
	// inside the enclave (DefaultHostPath, DefaultModulePath if empty).
	HostPath, ModulePath string
	// Preopens are the module's preopened directories.
	Preopens []Preopen
	// Libraries are host libraries the binary needs besides glibc (which
	// a dynamically linked binary gets from Gramine), each mounted at its
	// own path and pinned by SHA-256 (defaultLibraries if nil; see
	// HostLibraries).
	Libraries []string
	// EnclaveSize (defaultEnclaveSize if empty), MaxThreads
	// (defaultMaxThreads if 0) and StackSize (defaultStackSize if empty)
	// size the enclave.
	EnclaveSize string
	MaxThreads  int
	StackSize   string
	// UID and GID are the user and group Gramine reports to the module
	// host (loader.uid, loader.gid).
	UID, GID uint32
	// Debug makes a debug enclave, whose memory the host can read: never
	// in production, and verifiers should refuse its quotes.
	Debug bool
	// Dir, if set, is the directory that relative Module and Preopen.Host
	// paths are relative to: the directory gramine-sgx runs in, against
	// which Gramine resolves relative URIs. With relative paths the
	// manifest, and so MRENCLAVE, does not depend on where that directory
	// is (e.g. on the container's ID).
	Dir string
	// Passthrough names environment variables that Gramine passes from
	// the host into the enclave (loader.env.NAME = { passthrough = true }).
	// Their values are untrusted input.
	Passthrough []string
	// LogFile is where Gramine writes its own log (loader.log_file),
	// relative to the directory gramine-sgx runs in, or absolute; "" for
	// the enclave's stderr.
	LogFile string
}

// Preopen is a preopened directory of the module.
type Preopen struct {
	// Host is the directory on the host (absolute); Guest is the path the
	// module sees. Inside the enclave it is mounted at preopenRoot+Guest.
	Host, Guest string
	// ReadOnly is enforced by the module host (WASI), not by Gramine.
	ReadOnly bool
	// KeyName, if set, makes an encrypted mount with that Gramine key
	// (e.g. "_sgx_mrenclave", sealed to this enclave): the host sees only
	// ciphertext. Otherwise the directory is an allowed (plain) mount:
	// the host can read and change its files.
	KeyName string
}

// EnclavePath is where a preopened guest path is mounted in the enclave.
func EnclavePath(guest string) string {
	return preopenRoot + path.Clean("/"+guest)
}

// Manifest returns a Gramine manifest template (TOML, with Gramine's own
// Jinja variables for its runtime) that runs the module host in an SGX
// enclave. It reads the host binary, the module and the libraries to pin
// their SHA-256 as trusted files: the module is thereby part of MRENCLAVE.
// The template is rendered by gramine-manifest (Tools.ManifestCommand) and
// signed by gramine-sgx-sign (Tools.SignCommand), which hashes Gramine's
// own runtime.
//
// The syntax is current Gramine's (1.8 and later: loader.entrypoint is a
// table, trusted files may carry their sha256); it has not been run
// through Gramine here.
func Manifest(opts ManifestOptions) (string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return "", err
	}
	hostSum := o.HostSHA256
	if hostSum == "" {
		if hostSum, err = FileSHA256(o.HostBinary); err != nil {
			return "", fmt.Errorf("module host binary: %w", err)
		}
	}
	moduleSum := o.ModuleSHA256
	if moduleSum == "" {
		if moduleSum, err = FileSHA256(o.local(o.Module)); err != nil {
			return "", fmt.Errorf("module: %w", err)
		}
	}
	libSums := make([]string, len(o.Libraries))
	for i, lib := range o.Libraries {
		if libSums[i], err = FileSHA256(lib); err != nil {
			return "", fmt.Errorf("library: %w", err)
		}
	}

	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Gramine manifest template of a wasmtee module host (generated by wasmtee).\n")
	w("# Render with gramine-manifest, sign with gramine-sgx-sign, run with gramine-sgx.\n\n")

	w("loader.entrypoint.uri = \"file:{{ gramine.libos }}\"\n")
	w("libos.entrypoint = %s\n", q(o.HostPath))
	w("loader.log_level = \"error\"\n")
	if o.LogFile != "" {
		w("loader.log_file = %s\n", q(o.LogFile))
	}
	w("# The module host's argv is fixed: the untrusted host cannot change it.\n")
	w("loader.argv = [%s]\n", qlist(o.Argv))
	libDirs := []string{"/lib"}
	for _, lib := range o.Libraries {
		if d := filepath.Dir(lib); !contains(libDirs, d) {
			libDirs = append(libDirs, d)
		}
	}
	w("loader.env.LD_LIBRARY_PATH = %s\n", q(strings.Join(libDirs, ":")))
	w("loader.env.RUST_BACKTRACE = \"0\"\n")
	for _, name := range o.Passthrough {
		w("# From the untrusted host: its value is input, not configuration.\n")
		w("loader.env.%s = { passthrough = true }\n", name)
	}
	w("loader.uid = %d\n", o.UID)
	w("loader.gid = %d\n\n", o.GID)

	w("# Thread stacks: wasm code runs on the calling thread's stack.\n")
	w("sys.stack.size = %s\n", q(o.StackSize))
	w("# The shim stops a container with SIGTERM; the host could always kill the enclave anyway.\n")
	w("sys.enable_sigterm_injection = true\n\n")

	w("fs.mounts = [\n")
	w("  # Gramine's patched glibc and loader (a dynamically linked module host's).\n")
	w("  { path = \"/lib\", uri = \"file:{{ gramine.runtimedir() }}\" },\n")
	for _, lib := range o.Libraries {
		w("  { path = %s, uri = %s },\n", q(lib), q("file:"+lib))
	}
	w("  { path = %s, uri = %s },\n", q(o.HostPath), q("file:"+o.HostBinary))
	w("  { path = %s, uri = %s },\n", q(o.ModulePath), q("file:"+o.Module))
	for _, p := range o.Preopens {
		if p.KeyName != "" {
			w("  { type = \"encrypted\", path = %s, uri = %s, key_name = %s },\n", q(EnclavePath(p.Guest)), q("file:"+p.Host), q(p.KeyName))
		} else {
			w("  { path = %s, uri = %s },\n", q(EnclavePath(p.Guest)), q("file:"+p.Host))
		}
	}
	w("]\n\n")

	w("sgx.debug = %t\n", o.Debug)
	w("# wasmtime's JIT allocates executable memory at run time, which an enclave can only\n")
	w("# do with SGX2's EDMM (Linux 6.0+, Gramine refuses to start on CPUs without it).\n")
	w("# Whether the Go runtime and wasmtime run correctly under Gramine is NOT verified.\n")
	w("sgx.edmm_enable = true\n")
	w("sgx.enclave_size = %s\n", q(o.EnclaveSize))
	w("sgx.max_threads = %d\n", o.MaxThreads)
	w("# Quotes through /dev/attestation (Intel DCAP).\n")
	w("sgx.remote_attestation = \"dcap\"\n\n")

	w("# Pinned by SHA-256, and so measured into MRENCLAVE: the module host binary, the\n")
	w("# module and the libraries; gramine-sgx-sign hashes Gramine's runtime.\n")
	w("sgx.trusted_files = [\n")
	w("  \"file:{{ gramine.libos }}\",\n")
	w("  \"file:{{ gramine.runtimedir() }}/\",\n")
	for i, lib := range o.Libraries {
		w("  { uri = %s, sha256 = %s },\n", q("file:"+lib), q(libSums[i]))
	}
	w("  { uri = %s, sha256 = %s },\n", q("file:"+o.HostBinary), q(hostSum))
	w("  { uri = %s, sha256 = %s },\n", q("file:"+o.Module), q(moduleSum))
	w("]\n")

	var allowed []string
	for _, p := range o.Preopens {
		if p.KeyName == "" {
			allowed = append(allowed, "file:"+strings.TrimSuffix(p.Host, "/")+"/")
		}
	}
	if len(allowed) > 0 {
		w("\n# Plain preopened directories: neither confidential nor integrity-protected.\n")
		w("sgx.allowed_files = [%s]\n", qlist(allowed))
	}
	return b.String(), nil
}

func (o ManifestOptions) withDefaults() (ManifestOptions, error) {
	if o.HostPath == "" {
		o.HostPath = DefaultHostPath
	}
	if o.ModulePath == "" {
		o.ModulePath = DefaultModulePath
	}
	if o.Libraries == nil {
		o.Libraries = defaultLibraries
	}
	if o.EnclaveSize == "" {
		o.EnclaveSize = defaultEnclaveSize
	}
	if o.MaxThreads == 0 {
		o.MaxThreads = defaultMaxThreads
	}
	if o.StackSize == "" {
		o.StackSize = defaultStackSize
	}
	if len(o.Argv) == 0 {
		return o, errors.New("sgx manifest: no argv for the module host")
	}
	for what, d := range map[string]string{"module host binary": o.HostSHA256, "module": o.ModuleSHA256} {
		if b, err := hex.DecodeString(d); d != "" && (err != nil || len(b) != sha256.Size) {
			return o, fmt.Errorf("sgx manifest: the %s's SHA-256 %q is not 64 hex digits", what, d)
		}
	}
	if o.MaxThreads < 4 {
		return o, fmt.Errorf("sgx manifest: max threads %d: Gramine needs at least 4", o.MaxThreads)
	}
	for _, s := range []string{o.EnclaveSize, o.StackSize} {
		if _, ok := parseSize(s); !ok {
			return o, fmt.Errorf("sgx manifest: size %q: want a number with an optional K, M or G suffix", s)
		}
	}
	if n, _ := parseSize(o.EnclaveSize); n&(n-1) != 0 {
		return o, fmt.Errorf("sgx manifest: enclave size %q is not a power of two, as SGX requires", o.EnclaveSize)
	}
	abs := map[string]string{"module host binary": o.HostBinary, "enclave host path": o.HostPath, "enclave module path": o.ModulePath}
	for i, lib := range o.Libraries {
		abs[fmt.Sprintf("library %d", i+1)] = lib
	}
	// With Dir, the module, the preopened directories and the log file may
	// be relative to it (but must stay inside it).
	rel := map[string]string{"module": o.Module}
	if o.LogFile != "" {
		rel["log file"] = o.LogFile
	}
	for what, p := range rel {
		switch {
		case filepath.IsAbs(p):
		case o.Dir == "" || !filepath.IsAbs(o.Dir):
			abs[what] = p
		case !filepath.IsLocal(p):
			return o, fmt.Errorf("sgx manifest: %s %q is not inside the enclave's directory", what, p)
		}
	}
	for _, name := range o.Passthrough {
		if !envName(name) {
			return o, fmt.Errorf("sgx manifest: %q is not an environment variable name", name)
		}
	}
	seen := map[string]bool{}
	for i, p := range o.Preopens {
		what := fmt.Sprintf("preopen %d host directory", i+1)
		switch {
		case filepath.IsAbs(p.Host):
		case o.Dir == "" || !filepath.IsAbs(o.Dir):
			abs[what] = p.Host
		case !filepath.IsLocal(p.Host):
			return o, fmt.Errorf("sgx manifest: %s %q is not inside the enclave's directory", what, p.Host)
		}
		if p.Guest == "" {
			return o, fmt.Errorf("sgx manifest: preopen %d (%s) has no guest path", i+1, p.Host)
		}
		if e := EnclavePath(p.Guest); seen[e] {
			return o, fmt.Errorf("sgx manifest: guest path %q is preopened twice", p.Guest)
		} else {
			seen[e] = true
		}
	}
	for what, p := range abs {
		if !filepath.IsAbs(p) {
			return o, fmt.Errorf("sgx manifest: %s %q is not an absolute path", what, p)
		}
	}
	// Everything written must be safe in TOML strings (q escapes) and
	// must not look like Jinja to gramine-manifest.
	all := append([]string{o.HostBinary, o.Module, o.HostPath, o.ModulePath, o.LogFile}, o.Argv...)
	all = append(all, o.Libraries...)
	for _, p := range o.Preopens {
		all = append(all, p.Host, p.Guest, p.KeyName)
	}
	for _, s := range all {
		if strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#") {
			return o, fmt.Errorf("sgx manifest: %q would be read as a Jinja template by gramine-manifest", s)
		}
	}
	return o, nil
}

// local is path p as the shim reads it: relative paths are relative to
// Dir.
func (o ManifestOptions) local(p string) string {
	if filepath.IsAbs(p) || o.Dir == "" {
		return p
	}
	return filepath.Join(o.Dir, p)
}

// envName reports whether s is a portable environment variable name.
func envName(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return s != ""
}

// parseSize parses a Gramine size: a number with an optional K, M or G
// suffix (powers of 1024).
func parseSize(s string) (uint64, bool) {
	shift := 0
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		}
		if shift != 0 {
			s = s[:n-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > (1<<(64-shift))-1 {
		return 0, false
	}
	return n << shift, true
}

// FileSHA256 is the hex SHA-256 of a file's content.
func FileSHA256(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// q quotes s as a TOML basic string.
func q(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func qlist(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Files names one enclave's files in Dir: NAME.manifest.template (what
// Manifest returns), NAME.manifest (rendered), NAME.manifest.sgx (with
// trusted files expanded) and NAME.sig (the SIGSTRUCT). gramine-sgx NAME
// runs it from Dir.
type Files struct {
	Dir  string
	Name string
}

func (f Files) Template() string    { return filepath.Join(f.Dir, f.Name+".manifest.template") }
func (f Files) Manifest() string    { return filepath.Join(f.Dir, f.Name+".manifest") }
func (f Files) SGXManifest() string { return filepath.Join(f.Dir, f.Name+".manifest.sgx") }
func (f Files) Sig() string         { return filepath.Join(f.Dir, f.Name+".sig") }

func (f Files) check() error {
	if f.Name == "" || strings.ContainsAny(f.Name, "/\x00") || f.Name == "." || f.Name == ".." {
		return fmt.Errorf("sgx: enclave name %q is not a plain file name", f.Name)
	}
	return nil
}

// WriteTemplate writes Manifest(opts) to f.Template(), mode 0644.
func (f Files) WriteTemplate(opts ManifestOptions) error {
	if err := f.check(); err != nil {
		return err
	}
	m, err := Manifest(opts)
	if err != nil {
		return err
	}
	return os.WriteFile(f.Template(), []byte(m), 0o644)
}
