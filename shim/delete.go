package shim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/wasmtee/wasmtee/shim/bootstrap"
	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Delete removes a stopped (or never started) container and everything
// Create set up for it.
func (s *service) Delete(ctx context.Context, r *taskapi.DeleteRequest) (*taskapi.DeleteResponse, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if st, _, _ := c.state(); st == taskapi.StatusRunning {
		return nil, fmt.Errorf("container %s is running: kill it first: %w", r.ID, errPrecondition)
	}
	// A created container's host is still waiting for start: end it.
	c.host.Signal(syscall.SIGKILL)
	<-c.exited
	c.release(ctx)
	// Everything is released: containerd's "shim delete" after this shim
	// disconnects has nothing to do (see package bootstrap).
	if err := os.Remove(filepath.Join(c.bundle, bootstrap.CleanupMarker)); err != nil && !os.IsNotExist(err) {
		logger(ctx, r.ID).WithError(err).Warn("remove cleanup marker")
	}
	s.mu.Lock()
	delete(s.containers, r.ID)
	s.mu.Unlock()
	_, status, at := c.state()
	pid := uint32(c.host.Pid())
	s.send(&taskapi.TaskDelete{
		ContainerID: r.ID,
		ID:          r.ID,
		Pid:         pid,
		ExitStatus:  uint32(status),
		ExitedAt:    at,
	})
	return &taskapi.DeleteResponse{Pid: pid, ExitStatus: uint32(status), ExitedAt: at}, nil
}
