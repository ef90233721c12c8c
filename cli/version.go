package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the wasmtee version. Release builds set it with
// -ldflags "-X github.com/wasmtee/wasmtee/cli.Version=v1.2.3"; otherwise
// it comes from the module build information.
var Version = ""

func init() {
	register("", &command{
		name:    "version",
		summary: "print the wasmtee version",
		usage: `Usage: wasmtee version

Print the wasmtee version, the Go version it was built with, and the
platform.
`,
		run: runVersion,
	})
}

func runVersion(e *env, c *command, args []string) error {
	pos, err := parseArgs(c, newFlagSet(c), args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf(c, "version: unexpected argument %q", pos[0])
	}
	_, err = fmt.Fprintf(e.stdout, "%s %s (%s %s/%s)\n", progName, version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// version returns Version, or the main module's version, or "(devel)".
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		v := bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && v == "(devel)" && len(s.Value) >= 12 {
				v += " " + s.Value[:12]
			}
		}
		return v
	}
	return "(devel)"
}
