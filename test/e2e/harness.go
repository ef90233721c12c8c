//go:build e2e

package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tc is one test against one daemon: a *testing.T plus the daemon and the container IDs
// the test made (the leak check looks for those).
type tc struct {
	*testing.T
	d   *daemon
	ids []string
}

// each runs f as a subtest per daemon ("1.6", "2.4"), each followed by the leak check.
func each(t *testing.T, f func(c *tc)) {
	t.Helper()
	for _, d := range daemons {
		t.Run(d.version, func(t *testing.T) {
			if d.err != nil {
				t.Fatalf("containerd %s did not start: %v", d.version, d.err)
			}
			c := &tc{T: t, d: d}
			before := d.snapshot()
			// Cleanups run last-in first-out: this one runs after the test's own.
			t.Cleanup(func() { d.checkLeaks(t, before, c.ids) })
			f(c)
		})
	}
}

var idSeq atomic.Int64

var nonID = regexp.MustCompile(`[^a-z0-9]+`)

// id returns a container ID unique in the run, derived from the test name.
func (c *tc) id() string {
	name := strings.Trim(nonID.ReplaceAllString(strings.ToLower(c.Name()), "-"), "-")
	name = strings.TrimPrefix(name, "test")
	if len(name) > 40 {
		name = name[:40]
	}
	id := fmt.Sprintf("%s-%d", strings.Trim(name, "-"), idSeq.Add(1))
	c.ids = append(c.ids, id)
	return id
}

// ref is the reference of a test image in c's daemon; the test fails if the image is
// not there.
func (c *tc) ref(image string) string {
	c.Helper()
	err, ok := c.d.images[image]
	if !ok {
		c.Fatalf("unknown test image %q", image)
	}
	if err != nil {
		c.Fatalf("image %s is not available in containerd %s: %v", image, c.d.version, err)
	}
	return imageRef(image)
}

// ctr runs ctr against c's daemon with the default timeout.
func (c *tc) ctr(args ...string) result {
	return c.d.ctr(defaultTimeout, args...)
}

// run is `ctr run --rm --runtime io.containerd.wasmtee.v1 FLAGS... REF ID ARGS...` on a
// fresh container ID. Without ARGS the image's entrypoint runs; ARGS replace the process
// args entirely, so ARGS[0] is the module path.
func (c *tc) run(image string, flags []string, args ...string) result {
	c.Helper()
	return c.ctr(runArgs(c.ref(image), c.id(), flags, args)...)
}

// runBG starts the same in the background; it returns the process and the container ID.
func (c *tc) runBG(image string, flags []string, args ...string) (*proc, string) {
	c.Helper()
	id := c.id()
	p := c.d.startCtr(2*time.Minute, runArgs(c.ref(image), id, flags, args)...)
	c.Cleanup(func() {
		if _, done := p.wait(0); !done {
			p.kill()
		}
	})
	return p, id
}

// expect checks the exit code and that the combined output has every string in want.
func (c *tc) expect(r result, code int, want ...string) {
	c.Helper()
	if r.Err != nil || r.Code != code {
		c.Errorf("want exit code %d:\n%s", code, r)
		return
	}
	for _, w := range want {
		if !strings.Contains(r.Out, w) {
			c.Errorf("output lacks %q:\n%s", w, r)
		}
	}
}

// expectFail checks a non-zero exit (by ctr, not by a timeout) and that the combined
// output has every string in want, case-insensitively.
func (c *tc) expectFail(r result, want ...string) {
	c.Helper()
	if r.Err != nil || r.Code == 0 {
		c.Errorf("want a non-zero exit code:\n%s", r)
		return
	}
	for _, w := range want {
		if !strings.Contains(strings.ToLower(r.Out), strings.ToLower(w)) {
			c.Errorf("output lacks %q (any case):\n%s", w, r)
		}
	}
}

// stdoutLines splits stdout into lines, without the last empty one.
func stdoutLines(r result) []string {
	s := strings.TrimSuffix(r.Stdout, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// taskStatus is the STATUS column of `ctr task ls` for id ("" if absent).
func (c *tc) taskStatus(id string) string {
	c.Helper()
	r := c.ctr("task", "ls")
	if r.Code != 0 {
		c.Fatalf("ctr task ls failed:\n%s", r)
	}
	for _, line := range stdoutLines(r) {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == id {
			return f[len(f)-1]
		}
	}
	return ""
}

// waitStatus polls `ctr task ls` until id shows status, or fails after max.
func (c *tc) waitStatus(id, status string, max time.Duration) {
	c.Helper()
	deadline := time.Now().Add(max)
	last := ""
	for time.Now().Before(deadline) {
		if last = c.taskStatus(id); last == status {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Fatalf("task %s: want status %s within %v, last seen %q\n%s", id, status, max, last, c.ctr("task", "ls"))
}

// taskPID is the PID of container id's task (its module host), from ctr task ps.
func (c *tc) taskPID(id string) int {
	c.Helper()
	ps := c.ctr("task", "ps", id)
	m := regexp.MustCompile(`(?m)^(\d+)\s`).FindStringSubmatch(ps.Stdout)
	if m == nil {
		c.Fatalf("no pid in ctr task ps:\n%s", ps)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}
