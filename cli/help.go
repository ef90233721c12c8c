package cli

import "strings"

func init() {
	register("", &command{
		name:    "help",
		summary: "show help for a command",
		usage: `Usage: wasmtee help [COMMAND...]

Show the usage of wasmtee or of one of its commands, e.g.
'wasmtee help image build'.
`,
		run: runHelp,
	})
}

func runHelp(_ *env, c *command, args []string) error {
	target := root
	for _, name := range args {
		if isHelpFlag(name) {
			return &helpRequest{cmd: c}
		}
		next := target.sub(name)
		if next == nil {
			return usageErrorf(c, "help: unknown command %q", strings.TrimSpace(target.pathAfterRoot()+" "+name))
		}
		target = next
	}
	return &helpRequest{cmd: target}
}
