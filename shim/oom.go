package shim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/containerd/cgroups/v3/cgroup1"
	"golang.org/x/sys/unix"
)

// OOM kills are watched through file descriptors in non-blocking mode, so
// that the Go runtime's poller waits on them: a container's watch costs a
// goroutine, not a thread.

// watchOOM calls notify each time the kernel's OOM killer acts in the v1
// cgroup, until stop is called or the cgroup is removed. The memory
// controller signals an eventfd registered on memory.oom_control.
func (g v1group) watchOOM(notify func()) (stop func(), err error) {
	fd, err := g.cg.OOMEventFD()
	if errors.Is(err, cgroup1.ErrMemoryNotSupported) {
		return func() {}, nil // no memory controller: no OOM kills to watch
	}
	if err != nil {
		return nil, fmt.Errorf("register OOM eventfd: %w", err)
	}
	if err := unix.SetNonblock(int(fd), true); err != nil {
		unix.Close(int(fd))
		return nil, err
	}
	f := os.NewFile(fd, "oom-eventfd")
	go func() {
		buf := make([]byte, 8)
		for {
			if _, err := f.Read(buf); err != nil {
				return // stopped
			}
			// The eventfd also fires when the cgroup is removed.
			if g.cg.State() == cgroup1.Deleted {
				return
			}
			notify()
		}
	}()
	return func() { f.Close() }, nil
}

// watchOOM on cgroup v2: inotify tells when memory.events changes, and a
// rise of its oom_kill count is a kill.
func (g v2group) watchOOM(notify func()) (stop func(), err error) {
	events := filepath.Join(g.dir, "memory.events")
	if _, err := os.Stat(events); errors.Is(err, fs.ErrNotExist) {
		return func() {}, nil // the memory controller is not enabled here
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, events, unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("watch %s: %w", events, err)
	}
	f := os.NewFile(uintptr(fd), "oom-inotify")
	seen, _ := oomKills(events)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return // stopped
			}
			if removed(buf[:n]) {
				return
			}
			if kills, err := oomKills(events); err == nil && kills > seen {
				seen = kills
				notify()
			}
		}
	}()
	return func() { f.Close() }, nil
}

// removed reports whether inotify events include IN_IGNORED: the watched
// file (and its cgroup) is gone.
func removed(b []byte) bool {
	for len(b) >= unix.SizeofInotifyEvent {
		// struct inotify_event: wd, mask, cookie, len (u32 each), name.
		mask := binary.NativeEndian.Uint32(b[4:])
		nameLen := binary.NativeEndian.Uint32(b[12:])
		if mask&unix.IN_IGNORED != 0 {
			return true
		}
		if uint64(len(b)) < uint64(unix.SizeofInotifyEvent)+uint64(nameLen) {
			return false
		}
		b = b[unix.SizeofInotifyEvent+int(nameLen):]
	}
	return false
}

// oomKills reads the oom_kill count of a v2 memory.events file.
func oomKills(path string) (uint64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if k, v, ok := bytes.Cut(sc.Bytes(), []byte(" ")); ok && string(k) == "oom_kill" {
			return strconv.ParseUint(string(v), 10, 64)
		}
	}
	return 0, errors.New("no oom_kill in " + path)
}
