package cli

import (
	"fmt"
	"sort"
	"strings"
)

const progName = "wasmtee"

// command is a node of the command tree: either a group with
// subcommands, or a leaf with a run function.
type command struct {
	name    string // e.g. "build"
	summary string // one line, shown in the parent's command list
	// usage is the leaf's help text, starting with its "Usage:" line.
	// Groups get theirs generated from their subcommands.
	usage  string
	run    func(e *env, c *command, args []string) error
	parent *command
	subs   []*command
}

var root = &command{
	name:    progName,
	summary: "run WebAssembly modules as containerd containers",
}

// register adds c below the group at path (space-separated names, "" for
// the top level). Groups on the path are created as needed, and an
// existing placeholder group of the same name takes over c's fields, so
// files may register in any order.
func register(path string, c *command) {
	parent := root
	for _, name := range strings.Fields(path) {
		parent = parent.ensureSub(&command{name: name})
	}
	parent.ensureSub(c)
}

// ensureSub adds c as a subcommand, or merges it into an existing one.
func (g *command) ensureSub(c *command) *command {
	if s := g.sub(c.name); s != nil {
		if c.summary != "" {
			s.summary = c.summary
		}
		if c.usage != "" {
			s.usage = c.usage
		}
		if c.run != nil {
			s.run = c.run
		}
		return s
	}
	c.parent = g
	g.subs = append(g.subs, c)
	sort.Slice(g.subs, func(i, j int) bool { return g.subs[i].name < g.subs[j].name })
	return c
}

func (g *command) sub(name string) *command {
	for _, s := range g.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// path returns the full command name, e.g. "wasmtee image build".
func (c *command) path() string {
	if c.parent == nil {
		return c.name
	}
	return c.parent.path() + " " + c.name
}

// pathAfterRoot returns the path without the program name, with a leading
// space, e.g. " image build"; it is "" for the root.
func (c *command) pathAfterRoot() string {
	return strings.TrimPrefix(c.path(), progName)
}

// usageText returns the help text of c.
func (c *command) usageText() string {
	if c.run != nil {
		return c.usage
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s <command> [arguments]\n\n", c.path())
	if c == root {
		b.WriteString("wasmtee runs WebAssembly modules as containerd containers.\n\n")
	}
	b.WriteString("Commands:\n")
	width := 0
	for _, s := range c.subs {
		width = max(width, len(s.name))
	}
	for _, s := range c.subs {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, s.name, s.summary)
	}
	fmt.Fprintf(&b, "\nRun '%s help%s <command>' for details.\n", progName, c.pathAfterRoot())
	return b.String()
}
