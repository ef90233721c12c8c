package shim

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestWatchOOMV2: the cgroup v2 watch reports a rise of memory.events'
// oom_kill count once, ignores changes of the other counters, and ends
// when the file goes away (as it does with its cgroup) or on stop.
func TestWatchOOMV2(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "memory.events")
	write := func(oom, kill int) {
		t.Helper()
		data := []byte("low 0\nhigh 0\nmax 3\noom " + itoa(oom) + "\noom_kill " + itoa(kill) + "\n")
		if err := os.WriteFile(events, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(0, 1) // a kill before the watch began is not reported
	kills := make(chan struct{}, 8)
	stop, err := v2group{dir: dir}.watchOOM(func() { kills <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	expect := func(n int) {
		t.Helper()
		deadline := time.After(2 * time.Second)
		for got := 0; got < n; got++ {
			select {
			case <-kills:
			case <-deadline:
				t.Fatalf("%d OOM kills reported, want %d", got, n)
			}
		}
		select {
		case <-kills:
			t.Fatalf("more than %d OOM kills reported", n)
		case <-time.After(200 * time.Millisecond):
		}
	}
	write(1, 1) // oom without a kill
	expect(0)
	write(2, 2)
	expect(1)
	if err := os.Remove(events); err != nil {
		t.Fatal(err)
	}
	write(3, 5) // a new file: the old watch has ended
	expect(0)
}

func TestOOMKillsParse(t *testing.T) {
	p := filepath.Join(t.TempDir(), "memory.events")
	os.WriteFile(p, []byte("low 0\nhigh 0\nmax 0\noom 4\noom_kill 3\noom_group_kill 0\n"), 0o644)
	if n, err := oomKills(p); err != nil || n != 3 {
		t.Fatalf("oomKills: %d %v, want 3", n, err)
	}
	os.WriteFile(p, []byte("low 0\n"), 0o644)
	if _, err := oomKills(p); err == nil {
		t.Fatal("no oom_kill line and no error")
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestWatchOOMV2WithoutMemoryController: a cgroup without memory.events
// (the memory controller not enabled) has nothing to watch, and that is
// not an error.
func TestWatchOOMV2WithoutMemoryController(t *testing.T) {
	stop, err := v2group{dir: t.TempDir()}.watchOOM(func() { t.Error("OOM reported") })
	if err != nil || stop == nil {
		t.Fatalf("watch without memory.events: stop %v, err %v", stop != nil, err)
	}
	stop()
}
