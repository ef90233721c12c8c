package shim

import (
	"fmt"
	"net/url"
	"os"

	"github.com/containerd/log"
)

// stdioPaths are the stdio targets containerd asked for.
type stdioPaths struct {
	stdin, stdout, stderr string
}

// stdio holds the files a module host gets as fds 0-2, and the copy of
// containerd's stdin FIFO into the host's stdin pipe.
type stdio struct {
	in, out, err *os.File
	// stdinFifo and stdinW are set when stdin is copied from a FIFO.
	stdinFifo *fifoReader
	stdinW    *os.File
}

// openStdio opens containerd's FIFOs (or files) for a module host. stdout
// and stderr FIFOs are opened read-write so the open never blocks; the
// module host then writes to them directly and no output sits in the shim
// when the module exits. stdin is copied through a pipe, so the module sees
// end-of-file only when the writer closes its side.
func openStdio(p stdioPaths) (_ *stdio, retErr error) {
	s := &stdio{}
	defer func() {
		if retErr != nil {
			s.close()
		}
	}()
	var err error
	if s.out, err = openOutput(p.stdout); err != nil {
		return nil, fmt.Errorf("stdout: %w", err)
	}
	if s.err, err = openOutput(p.stderr); err != nil {
		return nil, fmt.Errorf("stderr: %w", err)
	}
	if p.stdin == "" {
		if s.in, err = os.Open(os.DevNull); err != nil {
			return nil, err
		}
		return s, nil
	}
	if s.stdinFifo, err = openFifoReader(p.stdin); err != nil {
		return nil, fmt.Errorf("stdin: %w", err)
	}
	if s.in, s.stdinW, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("stdin pipe: %w", err)
	}
	go s.stdinFifo.copyTo(s.stdinW)
	return s, nil
}

func openOutput(target string) (*os.File, error) {
	if target == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("%w: stdio %q: %v", errInvalid, target, err)
	}
	switch u.Scheme {
	case "", "fifo":
		return os.OpenFile(u.Path, os.O_RDWR, 0)
	case "file":
		return os.OpenFile(u.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	default:
		return nil, fmt.Errorf("%w: stdio scheme %q of %q is not supported yet (only FIFO and file:// targets)", errNotImplemented, u.Scheme, target)
	}
}

// releaseChild closes the shim's copies of the files the module host got.
func (s *stdio) releaseChild() {
	for _, f := range []*os.File{s.in, s.out, s.err} {
		if f != nil {
			f.Close()
		}
	}
	s.in, s.out, s.err = nil, nil, nil
}

// closeStdin ends the module's stdin (CloseIO).
func (s *stdio) closeStdin() {
	if s.stdinFifo != nil {
		if err := s.stdinFifo.close(); err != nil {
			log.L.WithError(err).Warn("close stdin")
		}
	}
}

func (s *stdio) close() {
	s.releaseChild()
	s.closeStdin()
}
