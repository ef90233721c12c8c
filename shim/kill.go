package shim

import (
	"context"
	"fmt"
	"syscall"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Kill signals the module host. SIGTERM and SIGKILL end a module even while
// it is blocked in a WASI call, since they act on the whole process.
func (s *service) Kill(ctx context.Context, r *taskapi.KillRequest) error {
	if r.ExecID != "" {
		return errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return err
	}
	if c.hasExited() {
		return fmt.Errorf("container %s: process already finished: %w", r.ID, errNotFound)
	}
	if err := c.host.Signal(syscall.Signal(r.Signal)); err != nil {
		return fmt.Errorf("signal %d to %s: %w", r.Signal, r.ID, err)
	}
	return nil
}
