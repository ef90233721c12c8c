package cli

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// run calls Main and returns its exit code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMain(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // substrings
		wantStderr []string // substrings; stderr must be empty if nil
	}{
		{"no arguments", nil, ExitUsage, nil, []string{"Usage: wasmtee <command>", "image", "version"}},
		{"help", []string{"help"}, ExitOK, []string{"Usage: wasmtee <command>", "help ", "image ", "version "}, nil},
		{"-h", []string{"-h"}, ExitOK, []string{"Usage: wasmtee <command>"}, nil},
		{"--help", []string{"--help"}, ExitOK, []string{"Usage: wasmtee <command>"}, nil},
		{"help image", []string{"help", "image"}, ExitOK, []string{"Usage: wasmtee image <command>", "build "}, nil},
		{"help image build", []string{"help", "image", "build"}, ExitOK, []string{"Usage: wasmtee image build -t REF -o OUT.tar", "--file HOST:GUEST"}, nil},
		{"help help", []string{"help", "help"}, ExitOK, []string{"Usage: wasmtee help [COMMAND...]"}, nil},
		{"help unknown", []string{"help", "nope"}, ExitUsage, nil, []string{`wasmtee: help: unknown command "nope"`, "Run 'wasmtee help help' for usage."}},
		{"help image unknown", []string{"help", "image", "nope"}, ExitUsage, nil, []string{`unknown command "image nope"`}},
		{"unknown command", []string{"frobnicate"}, ExitUsage, nil, []string{`wasmtee: unknown command "frobnicate"`, "Run 'wasmtee help' for usage."}},
		{"unknown flag", []string{"--frob"}, ExitUsage, nil, []string{`wasmtee: unknown command "--frob"`}},
		{"image without subcommand", []string{"image"}, ExitUsage, nil, []string{"Usage: wasmtee image <command>"}},
		{"image -h", []string{"image", "-h"}, ExitOK, []string{"Usage: wasmtee image <command>"}, nil},
		{"image unknown", []string{"image", "push"}, ExitUsage, nil, []string{`wasmtee: unknown command "push"`, "Run 'wasmtee help image' for usage."}},
		{"image build -h", []string{"image", "build", "-h"}, ExitOK, []string{"Usage: wasmtee image build"}, nil},
		{"image build --help after args", []string{"image", "build", "x.wasm", "--help"}, ExitOK, []string{"Usage: wasmtee image build"}, nil},
		{"version", []string{"version"}, ExitOK, []string{"wasmtee ", "go1."}, nil},
		{"--version", []string{"--version"}, ExitOK, []string{"wasmtee "}, nil},
		{"version extra", []string{"version", "x"}, ExitUsage, nil, []string{`wasmtee: version: unexpected argument "x"`}},
		{"version bad flag", []string{"version", "-x"}, ExitUsage, nil, []string{"wasmtee: version: flag provided but not defined: -x", "Run 'wasmtee help version' for usage."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			for _, s := range tt.wantStdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout %q does not contain %q", stdout, s)
				}
			}
			if tt.wantStdout == nil && stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr %q does not contain %q", stderr, s)
				}
			}
			if tt.wantStderr == nil && stderr != "" {
				t.Errorf("stderr = %q, want empty", stderr)
			}
		})
	}
}

func TestVersionOverride(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.9.9"
	if _, stdout, _ := run(t, "version"); !strings.HasPrefix(stdout, "wasmtee v9.9.9 (") {
		t.Errorf("version output %q", stdout)
	}
}

func TestRegisterMergesPlaceholders(t *testing.T) {
	saved := root.subs
	t.Cleanup(func() { root.subs = saved })

	// A subcommand may register before its group does.
	register("zz", &command{name: "leaf", summary: "a leaf", usage: "Usage: wasmtee zz leaf\n", run: func(*env, *command, []string) error { return nil }})
	register("", &command{name: "zz", summary: "a group"})
	if code, stdout, _ := run(t, "help"); code != ExitOK || !regexp.MustCompile(`(?m)^  zz +a group$`).MatchString(stdout) {
		t.Errorf("help = %d %q, want the zz group listed", code, stdout)
	}
	if code, _, stderr := run(t, "zz", "leaf"); code != ExitOK {
		t.Errorf("zz leaf = %d %q", code, stderr)
	}
}
