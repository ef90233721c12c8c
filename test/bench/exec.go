package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// cmdResult is one finished command.
type cmdResult struct {
	argv           []string
	stdout, stderr string
	code           int // -1: did not exit by itself
	elapsed        time.Duration
	err            error // could not run, timed out or was cancelled
}

func (r cmdResult) ok() bool { return r.err == nil && r.code == 0 }

func (r cmdResult) String() string {
	s := fmt.Sprintf("%s: exit code %d after %v", strings.Join(r.argv, " "), r.code, r.elapsed.Round(time.Millisecond))
	if r.err != nil {
		s += fmt.Sprintf(" (%v)", r.err)
	}
	out := strings.TrimSpace(r.stdout + r.stderr)
	if len(out) > 3000 {
		out = out[:1500] + "\n[...]\n" + out[len(out)-1500:]
	}
	if out != "" {
		s += "\n    " + strings.ReplaceAll(out, "\n", "\n    ")
	}
	return s
}

// runCmd runs name with args in its own process group (so a terminal's ^C
// reaches only this tool, which then cancels ctx and cleans up in order), and
// kills the whole group when ctx ends or timeout passes. elapsed is the wall
// time from just before the fork to the exit.
func runCmd(ctx context.Context, timeout time.Duration, dir string, env []string, name string, args ...string) cmdResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	r := cmdResult{argv: append([]string{name}, args...), code: -1}
	start := time.Now()
	err := cmd.Run()
	r.elapsed = time.Since(start)
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if cmd.ProcessState != nil {
		r.code = cmd.ProcessState.ExitCode()
	}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.err = fmt.Errorf("stopped after %v: %w", r.elapsed.Round(time.Millisecond), context.Cause(ctx))
	case err != nil && !errors.As(err, &exit):
		r.err = err
	}
	return r
}

// mustRun is runCmd that turns anything but exit 0 into an error.
func mustRun(ctx context.Context, timeout time.Duration, dir string, env []string, name string, args ...string) (cmdResult, error) {
	r := runCmd(ctx, timeout, dir, env, name, args...)
	if !r.ok() {
		return r, fmt.Errorf("%s", r)
	}
	return r, nil
}
