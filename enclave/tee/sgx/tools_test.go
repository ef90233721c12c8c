package sgx

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	f := newFixture(t)
	files := Files{Dir: f.dir, Name: "module-host"}
	if err := files.WriteTemplate(f.opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "module-host.manifest.template")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tools := Tools{Manifest: "/opt/gramine/bin/gramine-manifest", Sign: "/opt/gramine/bin/gramine-sgx-sign", Run: "/opt/gramine/bin/gramine-sgx"}
	mc, err := tools.ManifestCommand(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := tools.SignCommand(ctx, files, "/etc/wasmtee/enclave-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	tm := filepath.Join(f.dir, "module-host.manifest")
	for _, c := range []struct {
		cmd  *exec.Cmd
		path string
		want []string
	}{
		{mc, tools.Manifest, []string{"gramine-manifest", tm + ".template", tm}},
		{sc, tools.Sign, []string{"gramine-sgx-sign", "--manifest", tm, "--output", tm + ".sgx", "--key", "/etc/wasmtee/enclave-key.pem"}},
	} {
		// Run by the path found before, not looked up again.
		if c.cmd.Path != c.path || c.cmd.Err != nil {
			t.Errorf("%s runs %q (%v), want %q", c.want[0], c.cmd.Path, c.cmd.Err, c.path)
		}
		if !reflect.DeepEqual(c.cmd.Args, c.want) {
			t.Errorf("args %q, want %q", c.cmd.Args, c.want)
		}
		if c.cmd.Dir != f.dir {
			t.Errorf("command runs in %q, want %q", c.cmd.Dir, f.dir)
		}
	}
	if sc, _ := tools.SignCommand(ctx, files, ""); strings.Contains(strings.Join(sc.Args, " "), "--key") {
		t.Errorf("sign without a key: %q", sc.Args)
	}
	if _, err := tools.ManifestCommand(ctx, Files{Dir: f.dir, Name: "../x"}); err == nil {
		t.Error("ManifestCommand accepted a name with a slash")
	}
	if _, err := (Tools{}).SignCommand(ctx, files, ""); err == nil || !strings.Contains(err.Error(), "gramine-sgx-sign was not found") {
		t.Errorf("SignCommand without gramine-sgx-sign: %v", err)
	}
	if files.Sig() != filepath.Join(f.dir, "module-host.sig") {
		t.Errorf("Sig() = %q", files.Sig())
	}
}

func TestFindTools(t *testing.T) {
	var asked []string
	noSign := func(name string) (string, error) {
		asked = append(asked, name)
		if name == signTool {
			return "", errors.New("not found")
		}
		return "/usr/bin/" + name, nil
	}
	tools := FindTools(noSign)
	if tools != (Tools{Manifest: "/usr/bin/gramine-manifest", Run: "/usr/bin/gramine-sgx"}) {
		t.Errorf("FindTools: %+v", tools)
	}
	if got := tools.Missing(); !reflect.DeepEqual(got, []string{signTool}) {
		t.Errorf("Missing: %q", got)
	}
	if len(asked) != 3 {
		t.Errorf("looked up %q", asked)
	}
}
