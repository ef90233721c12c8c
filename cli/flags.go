package cli

import (
	"errors"
	"flag"
	"io"
	"strings"
)

// newFlagSet returns a flag set for c that reports errors through
// parseArgs instead of printing them.
func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.path(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses args with fs, allowing flags after positional
// arguments (everything after "--" is positional), and returns the
// positional arguments. Errors are usage errors of c; -h asks for help.
func parseArgs(c *command, fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, &helpRequest{cmd: c}
			}
			return nil, usageErrorf(c, "%s: %v", strings.TrimPrefix(c.pathAfterRoot(), " "), err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
