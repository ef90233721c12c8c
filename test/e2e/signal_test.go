//go:build e2e

package e2e

import (
	"testing"
	"time"
)

func TestSIGTERM(t *testing.T) { each(t, func(c *tc) { killSleeper(c, "SIGTERM", 143) }) }

func TestSIGKILL(t *testing.T) { each(t, func(c *tc) { killSleeper(c, "SIGKILL", 137) }) }

// killSleeper runs sleep.wasm (60 s) with ctr run in the background, signals the task
// once RUNNING, and wants ctr run to exit with code soon after.
func killSleeper(c *tc, signal string, code int) {
	c.Helper()
	p, id := c.runBG("sleep", nil)
	c.waitRunning(p, id, 20*time.Second)
	t0 := time.Now()
	if k := c.ctr("task", "kill", "-s", signal, id); k.Code != 0 {
		c.Fatalf("ctr task kill failed:\n%s", k)
	}
	r, ok := p.wait(5 * time.Second)
	took := time.Since(t0)
	if !ok {
		c.Fatalf("ctr run still running 5s after %s; killed it:\n%s", signal, p.kill())
	}
	c.expect(r, code)
	c.Logf("ctr run exited %v after ctr task kill -s %s", took.Round(time.Millisecond), signal)
	if took > 2*time.Second {
		c.Logf("slow: want ctr run to exit within 2s of the kill")
	}
}

// waitRunning waits until `ctr task ls` shows id RUNNING; it fails at once if the
// background ctr run p ends first.
func (c *tc) waitRunning(p *proc, id string, max time.Duration) {
	c.Helper()
	deadline := time.Now().Add(max)
	last := ""
	for time.Now().Before(deadline) {
		if r, done := p.wait(0); done {
			c.Fatalf("ctr run ended before task %s was seen RUNNING:\n%s", id, r)
		}
		if last = c.taskStatus(id); last == "RUNNING" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Fatalf("task %s not RUNNING within %v (last status %q)", id, max, last)
}
