package shim

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// fifoReader is the read side of containerd's stdin FIFO. Opening a FIFO
// for reading blocks until a writer opens it, which a client may never do
// (ctr opens and closes its side before Create when its own stdin is
// empty), so the open runs on a goroutine of its own, and close unblocks it
// with one open of its own instead of spinning (containerd's fifo package
// reopens the other side in a loop until its opener returns: 60 to 200
// opens per `ctr run --rm` here).
type fifoReader struct {
	handle *os.File // O_PATH: reopened through /proc/self/fd, the name may go
	opened chan struct{}
	file   *os.File // set, or err, when opened is closed
	err    error
	once   sync.Once
}

// openFifoReader starts opening the FIFO at path for reading.
func openFifoReader(path string) (*fifoReader, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	r := &fifoReader{handle: os.NewFile(uintptr(fd), path), opened: make(chan struct{})}
	go func() {
		r.file, r.err = os.OpenFile(r.proc(), os.O_RDONLY, 0)
		close(r.opened)
	}()
	return r, nil
}

// proc names the FIFO through the handle.
func (r *fifoReader) proc() string {
	return "/proc/self/fd/" + strconv.Itoa(int(r.handle.Fd()))
}

// copyTo copies what the writers send into w until they are all gone or
// close is called, then closes w: the module sees end-of-file.
func (r *fifoReader) copyTo(w *os.File) {
	defer w.Close()
	<-r.opened
	if r.err == nil {
		io.Copy(w, r.file)
	}
}

// close stops the copy. A reader still waiting for its first writer gets
// one: an O_RDWR open of a FIFO never blocks and counts as a writer.
func (r *fifoReader) close() error {
	var err error
	r.once.Do(func() {
		select {
		case <-r.opened:
		default:
			w, werr := os.OpenFile(r.proc(), os.O_RDWR, 0)
			if werr != nil {
				// The opener stays blocked (it resolved the name
				// already); the handle is of no more use.
				r.handle.Close()
				err = fmt.Errorf("stop waiting for a stdin writer: %w", werr)
				return
			}
			<-r.opened
			defer w.Close()
		}
		if r.file != nil {
			r.file.Close()
		}
		r.handle.Close()
	})
	return err
}
