// Package cli implements the wasmtee command line.
//
// Every command lives in its own file and registers itself from an init
// function with register; Main finds it by name and runs it.
package cli

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes returned by Main.
const (
	ExitOK    = 0 // success, or help that was asked for
	ExitError = 1 // the command failed
	ExitUsage = 2 // the command line was wrong
)

// env is what a command runs with.
type env struct {
	stdout io.Writer
	stderr io.Writer
}

// Main runs the wasmtee command line with args (without the program
// name), writing to stdout and stderr, and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	err := dispatch(e, root, args)

	var help *helpRequest
	var usage *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &help):
		fmt.Fprint(stdout, help.cmd.usageText())
		return ExitOK
	case errors.As(err, &usage):
		if usage.msg == "" {
			fmt.Fprint(stderr, usage.cmd.usageText())
		} else {
			fmt.Fprintf(stderr, "%s: %s\n", progName, usage.msg)
			fmt.Fprintf(stderr, "Run '%s help%s' for usage.\n", progName, usage.cmd.pathAfterRoot())
		}
		return ExitUsage
	default:
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		return ExitError
	}
}

// dispatch runs the command that args name below c.
func dispatch(e *env, c *command, args []string) error {
	if c.run != nil {
		return c.run(e, c, args)
	}
	if len(args) == 0 {
		return &usageError{cmd: c}
	}
	name := args[0]
	if isHelpFlag(name) {
		return &helpRequest{cmd: c}
	}
	sub := c.sub(name)
	if sub == nil {
		if c == root && (name == "-v" || name == "--version" || name == "-version") {
			sub = c.sub("version")
		}
		if sub == nil {
			return usageErrorf(c, "unknown command %q", name)
		}
	}
	return dispatch(e, sub, args[1:])
}

func isHelpFlag(s string) bool {
	return s == "-h" || s == "-help" || s == "--help"
}

// usageError reports a wrong command line; Main exits with ExitUsage. An
// empty msg prints the command's full usage instead of a one-line error.
type usageError struct {
	cmd *command
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(c *command, format string, args ...any) error {
	return &usageError{cmd: c, msg: fmt.Sprintf(format, args...)}
}

// helpRequest asks Main to print a command's usage on stdout and succeed.
type helpRequest struct{ cmd *command }

func (h *helpRequest) Error() string { return "help requested" }
