//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// defaultTimeout bounds one ctr call; a wasm container runs in well under a second.
const defaultTimeout = 60 * time.Second

// result of one ctr call.
type result struct {
	Args    []string
	Out     string // stdout and stderr interleaved as written
	Stdout  string
	Stderr  string // ctr 2.4 puts a cgroup v1 deprecation warning here on every call
	Code    int    // exit code; -1 if ctr did not exit by itself (timeout, signal)
	Err     error  // set when ctr could not be run or timed out
	Elapsed time.Duration
}

func (r result) String() string {
	s := fmt.Sprintf("ctr %s\n  exit code %d after %v", strings.Join(r.Args, " "), r.Code, r.Elapsed.Round(time.Millisecond))
	if r.Err != nil {
		s += fmt.Sprintf(" (%v)", r.Err)
	}
	out := r.Out
	if len(out) > 4000 {
		out = out[:2000] + "\n[... " + fmt.Sprint(len(out)-4000) + " bytes cut ...]\n" + out[len(out)-2000:]
	}
	return s + "\n  output:\n" + indent(out)
}

func indent(s string) string {
	if s == "" {
		return "    (none)"
	}
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// lockedWriter lets stdout and stderr share one combined buffer.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// proc is a ctr process that may run in the background.
type proc struct {
	cmd                 *exec.Cmd
	args                []string
	start               time.Time
	cancel              context.CancelFunc
	done                chan struct{}
	mu                  sync.Mutex
	out, stdout, stderr bytes.Buffer
	res                 result
}

// startCtr starts `ctr -a SOCK -n wasmtee-e2e ARGS...`, killed after timeout.
func (d *daemon) startCtr(timeout time.Duration, args ...string) *proc {
	full := append([]string{"-a", d.sock, "-n", namespace}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	p := &proc{args: args, cancel: cancel, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, d.ctrBin, full...)
	p.cmd.Stdout = io.MultiWriter(&p.stdout, lockedWriter{&p.mu, &p.out})
	p.cmd.Stderr = io.MultiWriter(&p.stderr, lockedWriter{&p.mu, &p.out})
	p.cmd.WaitDelay = 5 * time.Second // do not hang on pipes held by children
	p.start = time.Now()
	if err := p.cmd.Start(); err != nil {
		p.res = result{Args: args, Code: -1, Err: err}
		close(p.done)
		cancel()
		return p
	}
	go func() {
		err := p.cmd.Wait()
		p.res = result{Args: args, Elapsed: time.Since(p.start), Code: p.cmd.ProcessState.ExitCode()}
		var exit *exec.ExitError
		if ctx.Err() != nil {
			p.res.Err = fmt.Errorf("timed out after %v and killed", timeout)
		} else if err != nil && !errors.As(err, &exit) {
			p.res.Err = err
		}
		p.mu.Lock()
		p.res.Out, p.res.Stdout, p.res.Stderr = p.out.String(), p.stdout.String(), p.stderr.String()
		p.mu.Unlock()
		cancel()
		close(p.done)
	}()
	return p
}

// wait returns the result, or ok=false if the process is still running after max.
func (p *proc) wait(max time.Duration) (r result, ok bool) {
	select {
	case <-p.done:
		return p.res, true
	case <-time.After(max):
		return result{}, false
	}
}

// kill stops the process now and returns its result.
func (p *proc) kill() result {
	p.cancel()
	<-p.done
	return p.res
}

// ctr runs ctr to completion.
func (d *daemon) ctr(timeout time.Duration, args ...string) result {
	p := d.startCtr(timeout, args...)
	<-p.done
	return p.res
}

// runArgs is the argument list of `ctr run --rm` for IMAGE ID [ARGS...].
func runArgs(ref, id string, flags []string, args []string) []string {
	a := []string{"run", "--rm", "--runtime", runtimeType}
	a = append(a, flags...)
	a = append(a, ref, id)
	return append(a, args...)
}
