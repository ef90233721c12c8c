package shim

import (
	"context"
	"sync"
	"syscall"
	"time"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// moduleHost is the protected process that hosts one container's module,
// as the task service uses it (enclave.Process implements it).
type moduleHost interface {
	Pid() int
	Start(ctx context.Context) error
	Signal(sig syscall.Signal) error
	Done() <-chan struct{}
	Exit() (int, time.Time)
	Close() error
}

// container is one task of this shim: its module host and what Create set
// up for it, which Delete takes down.
type container struct {
	id     string
	ns     string
	bundle string
	module string // module path in the rootfs; "" for a pod sandbox

	host    moduleHost
	stdio   *stdio
	cgroup  cgroup       // nil when none was requested
	rootfs  string       // mounted rootfs to unmount (at exit or delete), or ""
	attest  *attestation // nil when not a wasm module
	stdPath stdioPaths
	stopOOM func() // ends the OOM watch; nil when there is none
	// spawned says when the module host was started: "early" (as the
	// shim started, see earlyStart) or "create".
	spawned string

	// mu orders Start against the exit handler, so that TaskStart is
	// published before TaskExit.
	mu      sync.Mutex
	status  taskapi.Status
	exitErr int
	exitAt  time.Time
	// exited is closed once the exit is recorded and TaskExit is queued.
	exited chan struct{}

	// rootfsReleased is closed by the exit handler once it has unmounted
	// the rootfs of a module host that exited (unmountErr says how that
	// went). It is nil where the rootfs waits for Delete: a pod sandbox, a
	// runc container, a container whose Create failed.
	rootfsReleased chan struct{}
	unmountErr     error
}

func (c *container) state() (taskapi.Status, int, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.exitErr, c.exitAt
}

// hasExited reports whether the exit has been recorded.
func (c *container) hasExited() bool {
	select {
	case <-c.exited:
		return true
	default:
		return false
	}
}
