package cli

import (
	"fmt"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/wasmtee/wasmtee/oci/image"
)

func init() {
	register("image", &command{
		name:    "build",
		summary: "build an OCI image archive from a WebAssembly module",
		usage: `Usage: wasmtee image build -t REF -o OUT.tar [options] MODULE.wasm

Build a reproducible OCI image archive (an image layout tar) that holds
MODULE.wasm, a WebAssembly core module, for platform wasip1/wasm. Load it
with 'ctr images import --all-platforms OUT.tar'. Prints the manifest
digest and the normalized image reference.

Options:
  -t, --tag REF             image reference, e.g. example.com/hello:1 (required);
                            names without a registry go to docker.io
  -o, --output OUT.tar      file to write, or - for standard output (required)
  --file HOST:GUEST         add host file HOST at absolute path GUEST (repeatable)
  --module-path GUEST       path of the module in the image (default /MODULE.wasm)
  --entrypoint PATH[#FUNC]  entrypoint, optionally naming an exported function
                            (default: the module's path)
  --env KEY=VALUE           set an environment variable (repeatable)
`,
		run: runImageBuild,
	})
}

func runImageBuild(e *env, c *command, args []string) error {
	var (
		tag, output, modulePath, entrypoint string
		files, envs                         stringList
	)
	fs := newFlagSet(c)
	fs.StringVar(&tag, "t", "", "")
	fs.StringVar(&tag, "tag", "", "")
	fs.StringVar(&output, "o", "", "")
	fs.StringVar(&output, "output", "", "")
	fs.Var(&files, "file", "")
	fs.StringVar(&modulePath, "module-path", "", "")
	fs.StringVar(&entrypoint, "entrypoint", "", "")
	fs.Var(&envs, "env", "")
	pos, err := parseArgs(c, fs, args)
	if err != nil {
		return err
	}

	switch {
	case len(pos) == 0:
		return usageErrorf(c, "image build: missing MODULE.wasm")
	case len(pos) > 1:
		return usageErrorf(c, "image build: want one MODULE.wasm, got %d arguments: %q", len(pos), pos)
	case tag == "":
		return usageErrorf(c, "image build: missing -t REF")
	case output == "":
		return usageErrorf(c, "image build: missing -o OUT.tar")
	}
	ref, err := image.ParseReference(tag)
	if err != nil {
		return usageErrorf(c, "image build: %v", err)
	}
	opts := image.BuildOptions{
		Ref:             tag,
		Module:          pos[0],
		ModuleGuestPath: modulePath,
		Entrypoint:      entrypoint,
		Env:             envs,
	}
	for _, spec := range files {
		f, err := image.ParseFileSpec(spec)
		if err != nil {
			return usageErrorf(c, "image build: --file: %v", err)
		}
		opts.Files = append(opts.Files, f)
	}

	report := e.stdout
	var dgst digest.Digest
	if output == "-" {
		report = e.stderr // keep standard output for the tar stream
		dgst, err = image.Build(opts, e.stdout)
	} else {
		dgst, err = buildToFile(opts, output)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(report, "digest: %s\nref: %s\n", dgst, ref)
	return err
}

// buildToFile builds into a temporary file next to name and renames it
// into place on success, so a failed build never leaves a partial file.
func buildToFile(opts image.BuildOptions, name string) (_ digest.Digest, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	d, err := image.Build(opts, tmp)
	if err != nil {
		return "", err
	}
	if err := closeFile(tmp); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", fmt.Errorf("output: %w", err)
	}
	return d, nil
}

// closeFile syncs f, makes it world-readable like a normally created file,
// and closes it.
func closeFile(f *os.File) error {
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	return f.Close()
}
