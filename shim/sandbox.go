package shim

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// CRI marks the pod's sandbox ("pause") container with this annotation.
const (
	containerTypeAnnotation = "io.kubernetes.cri.container-type"
	containerTypeSandbox    = "sandbox"
)

func isSandbox(s *specs.Spec) bool {
	return s.Annotations[containerTypeAnnotation] == containerTypeSandbox
}

// sandboxHost runs a CRI pod sandbox natively in the shim: like the pause
// program it only holds the pod until it is signalled, so a pod needs no
// pause binary and works with any sandbox image. Its PID is the shim's.
type sandboxHost struct {
	once   sync.Once
	done   chan struct{}
	status int
	at     time.Time
}

func newSandboxHost() *sandboxHost { return &sandboxHost{done: make(chan struct{})} }

func (h *sandboxHost) Pid() int                    { return os.Getpid() }
func (h *sandboxHost) Start(context.Context) error { return nil }
func (h *sandboxHost) Done() <-chan struct{}       { return h.done }
func (h *sandboxHost) Exit() (int, time.Time)      { return h.status, h.at }
func (h *sandboxHost) Close() error                { return nil }

// Signal ends the sandbox as pause would: SIGINT and SIGTERM are a clean
// shutdown (0), SIGKILL kills (137), other signals are ignored.
func (h *sandboxHost) Signal(sig syscall.Signal) error {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM:
		h.exit(0)
	case syscall.SIGKILL:
		h.exit(128 + int(syscall.SIGKILL))
	}
	return nil
}

func (h *sandboxHost) exit(status int) {
	h.once.Do(func() {
		h.status, h.at = status, time.Now()
		close(h.done)
	})
}
