// Package sgxfakebin builds the Gramine test double (test/sgxfake) once per
// test binary and installs it into the homes of the tests that use it.
package sgxfakebin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// pkg is the fake's import path.
const pkg = "github.com/wasmtee/wasmtee/test/sgxfake"

var build struct {
	once sync.Once
	dir  string
	exe  string
	err  error
}

// built returns the fake's binary, building it into a temporary directory
// the first time it is called.
func built() (string, error) {
	build.once.Do(func() {
		if build.dir, build.err = os.MkdirTemp("", "sgxfake-build-"); build.err != nil {
			return
		}
		exe := filepath.Join(build.dir, "sgxfake")
		if out, err := exec.Command("go", "build", "-o", exe, pkg).CombinedOutput(); err != nil {
			build.err = fmt.Errorf("build the Gramine test double: %w\n%s", err, out)
			return
		}
		build.exe = exe
	})
	return build.exe, build.err
}

// Cleanup removes the build; TestMain calls it once the tests have run.
func Cleanup() {
	if build.dir != "" {
		os.RemoveAll(build.dir)
	}
}

// Install puts the built fake at exe (the fake finds its home from its own
// path): a hard link, or a copy where one cannot be made (another file
// system).
func Install(exe string) error {
	bin, err := built()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(exe), 0o755); err != nil {
		return err
	}
	if os.Link(bin, exe) == nil {
		return nil
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	return os.WriteFile(exe, data, 0o755)
}
