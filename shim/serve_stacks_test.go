package shim

import (
	"bytes"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
)

// TestDumpStacksOnSIGUSR1: SIGUSR1 logs the stack of every goroutine,
// however many there are.
func TestDumpStacksOnSIGUSR1(t *testing.T) {
	var buf syncBuffer
	l := logrus.New()
	l.Out = &buf
	old := log.L
	log.L = logrus.NewEntry(l)
	defer func() { log.L = old }()
	block := make(chan struct{})
	defer close(block)
	for range 200 { // more stack text than the first buffer holds
		go func() { <-block }()
	}
	go dumpStacksOnSIGUSR1()
	time.Sleep(50 * time.Millisecond) // let it register for the signal
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out := buf.Bytes()
		if bytes.Contains(out, []byte("end of goroutine stacks")) {
			if n := bytes.Count(out, []byte("TestDumpStacksOnSIGUSR1.func")); n < 200 {
				t.Fatalf("%d of the 200 blocked goroutines in the dump", n)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no stack dump logged after SIGUSR1")
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
