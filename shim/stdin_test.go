package shim

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// newFifo makes a FIFO in a test directory.
func newFifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stdin")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// startCopy opens the FIFO at p and copies it into a pipe, as openStdio
// does; it returns the reader and the pipe's read end (the module's stdin).
func startCopy(t *testing.T, p string) (*fifoReader, *os.File) {
	t.Helper()
	r, err := openFifoReader(p)
	if err != nil {
		t.Fatal(err)
	}
	in, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	go r.copyTo(w)
	return r, in
}

// readAll reads the module's stdin to end-of-file, failing after a timeout.
func readAll(t *testing.T, in *os.File) string {
	t.Helper()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(in)
		got <- b
	}()
	select {
	case b := <-got:
		return string(b)
	case <-time.After(5 * time.Second):
		t.Fatal("the module's stdin never reached end-of-file")
		return ""
	}
}

// closeWithin runs r.close, failing if it does not return in time.
func closeWithin(t *testing.T, r *fifoReader) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- r.close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("close did not return")
	}
}

func TestFifoReaderCopiesUntilWriterCloses(t *testing.T) {
	p := newFifo(t)
	r, in := startCopy(t, p)
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString("line one\nline two\n"); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got := readAll(t, in); got != "line one\nline two\n" {
		t.Errorf("module's stdin = %q", got)
	}
	closeWithin(t, r)
}

// A client that never opens its side (or opened and closed it before the
// shim's open): close must end the blocked open and the copy.
func TestFifoReaderCloseWithoutWriter(t *testing.T) {
	p := newFifo(t)
	r, in := startCopy(t, p)
	time.Sleep(20 * time.Millisecond) // let the open block
	closeWithin(t, r)
	select {
	case <-r.opened:
	default:
		t.Fatal("the open is still blocked after close")
	}
	if got := readAll(t, in); got != "" {
		t.Errorf("module's stdin = %q, want nothing", got)
	}
}

// CloseIO while a writer is connected and silent ends the module's stdin.
func TestFifoReaderCloseWithIdleWriter(t *testing.T) {
	p := newFifo(t)
	r, in := startCopy(t, p)
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString("hi"); err != nil {
		t.Fatal(err)
	}
	<-r.opened
	time.Sleep(20 * time.Millisecond) // let the copy pass "hi" on
	closeWithin(t, r)
	if got := readAll(t, in); got != "hi" {
		t.Errorf("module's stdin = %q, want %q", got, "hi")
	}
}

// The bundle (and the FIFO's name) may be gone by the time the container
// is deleted: the reader reopens the FIFO through its handle.
func TestFifoReaderCloseAfterUnlink(t *testing.T) {
	p := newFifo(t)
	r, in := startCopy(t, p)
	time.Sleep(20 * time.Millisecond)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	closeWithin(t, r)
	if got := readAll(t, in); got != "" {
		t.Errorf("module's stdin = %q, want nothing", got)
	}
}

func TestFifoReaderMissing(t *testing.T) {
	if _, err := openFifoReader(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("opened a FIFO that does not exist")
	}
}
