package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/oci"
	"github.com/wasmtee/wasmtee/oci/image"
)

// defaultEnv is the environment containerd's default spec starts with
// (before the image's and the user's variables).
const defaultEnv = "PATH=" + oci.DefaultPath

func init() {
	register("", &command{
		name:    "measure",
		summary: "compute a container's launch measurement offline",
		usage: `Usage: wasmtee measure [options] IMAGE.tar|MODULE.wasm [ARGS...]

Compute the launch measurement that a wasm container will have (see
docs/attestation.md), from an OCI image-layout tar (as 'wasmtee image build'
or 'ctr images export' writes) or a bare module, without running it, so a
verifier can put the expected value in its policy.

For an image, the container is taken to run as containerd would start it:
process args from ARGS (which replace the image's, as with 'ctr run') or the
image's entrypoint and cmd; environment containerd's default PATH, then the
image's variables, then --env; the working directory from --cwd or the
image. For a bare module, taken to be at /MODULE.wasm in the image, the
args are /MODULE.wasm followed by ARGS, and the environment only --env.

Options:
  --env KEY=VALUE        environment variable (repeatable)
  --cwd DIR              working directory (sets PWD)
  --read-only            the root filesystem is read-only
  --mount GUEST:ro|rw    a bind-mounted directory (repeatable, in mount order)
  --memory-limit BYTES   linux.resources.memory.limit
  --backend NAME         TEE backend: process (default), tsm or sgx
  --json                 print the measured launch configuration too
`,
		run: runMeasure,
	})
}

func runMeasure(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	var envs, mounts stringList
	fs.Var(&envs, "env", "")
	fs.Var(&mounts, "mount", "")
	cwd := fs.String("cwd", "", "")
	readOnly := fs.Bool("read-only", false, "")
	memLimit := fs.Int64("memory-limit", 0, "")
	backend := fs.String("backend", "process", "")
	asJSON := fs.Bool("json", false, "")
	pos, err := parseArgs(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf(c, "measure: want IMAGE.tar or MODULE.wasm")
	}
	switch *backend {
	case "process", "tsm", "sgx":
	default:
		return usageErrorf(c, "measure: --backend %q: want process, tsm or sgx", *backend)
	}
	proc, module, err := measuredProcess(pos[0], pos[1:], envs, *cwd)
	if err != nil {
		return err
	}
	s := &specs.Spec{Process: proc, Root: &specs.Root{Path: "rootfs", Readonly: *readOnly}}
	if *memLimit > 0 {
		s.Linux = &specs.Linux{Resources: &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: memLimit}}}
	}
	w, err := oci.Load(s, "/")
	if err != nil {
		return err
	}
	for _, m := range mounts {
		guest, mode, ok := strings.Cut(m, ":")
		if !ok || !filepath.IsAbs(guest) || (mode != "ro" && mode != "rw") {
			return usageErrorf(c, "measure: --mount %q: want GUEST:ro or GUEST:rw", m)
		}
		w.Preopens = append(w.Preopens, oci.Preopen{Guest: filepath.Clean(guest), ReadOnly: mode == "ro"})
	}
	code, err := module(w.ModulePath)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(code)
	launch, m, err := w.Measure(hex.EncodeToString(sum[:]), *backend)
	if err != nil {
		return err
	}
	if *asJSON {
		out, _ := json.MarshalIndent(struct {
			Version     int            `json:"version"`
			Measurement string         `json:"measurement"`
			Launch      measure.Launch `json:"launch"`
		}{measure.Version, m.String(), launch}, "", "  ")
		_, err = fmt.Fprintf(e.stdout, "%s\n", out)
		return err
	}
	_, err = fmt.Fprintln(e.stdout, m)
	return err
}

// measuredProcess builds the process of the container that runs path (an
// image tar or a module), and a function that returns the module's bytes.
func measuredProcess(path string, args, envs []string, cwd string) (*specs.Process, func(string) ([]byte, error), error) {
	data, isModule, err := readIfModule(path)
	if err != nil {
		return nil, nil, err
	}
	if isModule {
		args = append([]string{"/" + filepath.Base(path)}, args...)
		p := &specs.Process{Args: args, Env: append([]string(nil), envs...), Cwd: orRoot(cwd)}
		return p, func(string) ([]byte, error) { return data, nil }, nil
	}
	im, err := image.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s is neither a wasm module nor an OCI image-layout tar: %w", path, err)
	}
	cfg := im.Config.Config
	if len(args) == 0 {
		args = append(append([]string(nil), cfg.Entrypoint...), cfg.Cmd...)
	}
	if len(args) == 0 {
		return nil, nil, fmt.Errorf("%s: the image has no entrypoint or cmd: pass ARGS", path)
	}
	env := mergeEnv(mergeEnv([]string{defaultEnv}, cfg.Env), envs)
	if cwd == "" {
		cwd = cfg.WorkingDir
	}
	p := &specs.Process{Args: args, Env: env, Cwd: orRoot(cwd)}
	return p, func(modulePath string) ([]byte, error) {
		b, ok := im.File(modulePath)
		if !ok {
			return nil, fmt.Errorf("%s: no file %s in the image", path, modulePath)
		}
		return b, nil
	}, nil
}

// wasmMagic starts every binary WebAssembly module (and component).
const wasmMagic = "\x00asm"

// readIfModule returns the content of path if it starts with the wasm
// magic. Anything else (an image tar, which can be large) is only peeked
// at: its first bytes are read and the rest is left for image.Open to
// stream.
func readIfModule(path string) (data []byte, isModule bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	head := make([]byte, len(wasmMagic))
	n, err := io.ReadFull(f, head)
	if err == io.EOF || err == io.ErrUnexpectedEOF || (err == nil && string(head) != wasmMagic) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	var buf bytes.Buffer
	if fi, err := f.Stat(); err == nil && fi.Size() > int64(n) {
		buf.Grow(int(fi.Size()))
	}
	buf.Write(head[:n])
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	return buf.Bytes(), true, nil
}

// mergeEnv sets each KEY=VALUE of add in base, replacing an earlier value
// of the same key in place, as containerd does.
func mergeEnv(base, add []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
				break
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

func orRoot(dir string) string {
	if dir == "" {
		return "/"
	}
	return dir
}
