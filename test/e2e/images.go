//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// imageMsg is the content of /data/msg.txt in the goguest image.
const imageMsg = "a file from the image: 7d1f3c\n"

// imageSpec describes one test image: MODULE (a file in env.work) at /MODULE, its
// entrypoint, plus extra files (HOSTNAME in env.work : GUEST path).
type imageSpec struct {
	name   string
	module string
	files  []string
}

// images are built once and imported into every daemon.
var images = []imageSpec{
	{name: "goguest", module: "goguest.wasm", files: []string{"msg.txt:/data/msg.txt"}},
	{name: "hello", module: "hello.wasm"},
	// A layer of its own (the extra file), which digest_test.go rewrites in place.
	{name: "digest", module: "hello.wasm", files: []string{"msg.txt:/digest-layer.txt"}},
	{name: "exit42", module: "exit42.wasm"},
	{name: "trap", module: "trap.wasm"},
	{name: "sleep", module: "sleep.wasm"},
	{name: "entry", module: "entry.wasm"},
	{name: "unknown-import", module: "unknown_import.wasm"},
	{name: "oom", module: "oom.wasm"},
	// Hostile modules (hostile_test.go): a busy loop, endless recursion, endless growth.
	{name: "loop", module: "loop.wasm"},
	{name: "recurse", module: "recurse.wasm"},
	{name: "grow", module: "grow.wasm"},
	// wasmtee image build refuses a module without the \0asm header, so the broken modules
	// ride along as plain files of a valid image; tests name them as the process's args[0].
	{name: "broken", module: "hello.wasm", files: []string{
		"bad.wasm:/bad.wasm", "truncated.wasm:/truncated.wasm", "unknown_import.wasm:/unknown_import.wasm",
	}},
}

// imageErrs: image name -> why it could not be built (absent: built).
var imageErrs = map[string]error{}

func imageRef(name string) string { return "docker.io/wasmtee-e2e/" + name + ":test" }

func imageTar(name string) string { return filepath.Join(env.work, name+".tar") }

func command(timeout time.Duration, dir string, extraEnv []string, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), extraEnv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// buildGuests compiles the Go guest and every WAT guest into env.work, and makes the
// broken modules and the image's data file.
func buildGuests() error {
	if err := command(5*time.Minute, env.repo, []string{"GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0"},
		"go", "build", "-o", filepath.Join(env.work, "goguest.wasm"), "./test/guests/goguest"); err != nil {
		return err
	}
	wats, err := filepath.Glob(filepath.Join(env.repo, "test/guests/wat/*.wat"))
	if err != nil || len(wats) == 0 {
		return fmt.Errorf("no WAT guests in test/guests/wat (%v)", err)
	}
	for _, w := range wats {
		out := filepath.Join(env.work, strings.TrimSuffix(filepath.Base(w), ".wat")+".wasm")
		if err := command(time.Minute, env.repo, nil, "wat2wasm", w, "-o", out); err != nil {
			return err
		}
	}
	hello, err := os.ReadFile(filepath.Join(env.work, "hello.wasm"))
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"bad.wasm":       []byte("this is text, not a WebAssembly module\n"),
		"truncated.wasm": hello[:len(hello)/2],
		"msg.txt":        []byte(imageMsg),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(env.work, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// buildImages runs `wasmtee image build` for every image; failures are kept per image.
func buildImages() {
	for _, im := range images {
		args := []string{"image", "build", "-t", imageRef(im.name), "-o", imageTar(im.name)}
		for _, f := range im.files {
			args = append(args, "--file", filepath.Join(env.work, f))
		}
		args = append(args, filepath.Join(env.work, im.module))
		if err := command(time.Minute, env.work, nil, env.wasmtee, args...); err != nil {
			imageErrs[im.name] = err
		}
	}
}

// importImages imports every built image into d; failures are kept per image.
func (d *daemon) importImages() {
	for _, im := range images {
		if err := imageErrs[im.name]; err != nil {
			d.images[im.name] = fmt.Errorf("not built: %w", err)
			continue
		}
		if _, err := d.importImage(namespace, imageTar(im.name), imageRef(im.name)); err != nil {
			d.images[im.name] = err
			continue
		}
		d.images[im.name] = nil
	}
}

// importImage imports the OCI image-layout tar holding ref into d's namespace ns with
// `ctr images import --all-platforms FLAGS TAR`, then checks that `ctr images ls` lists
// ref: an import can "succeed" importing nothing (e.g. when filtered by platform). It
// returns the import's result for further checks.
func (d *daemon) importImage(ns, tar, ref string, flags ...string) (result, error) {
	args := append(append([]string{"images", "import", "--all-platforms"}, flags...), tar)
	r := d.ctrNS(2*time.Minute, ns, args...)
	if r.Code != 0 || r.Err != nil {
		return r, fmt.Errorf("import into %s failed: %s", ns, cmdString(r))
	}
	if ls := d.ctrNS(time.Minute, ns, "images", "ls", "-q"); !hasLine(ls.Stdout, ref) {
		return r, fmt.Errorf("%s not in the %s image store after import:\n%s\n%s", ref, ns, cmdString(r), cmdString(ls))
	}
	return r, nil
}

func hasLine(s, line string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
