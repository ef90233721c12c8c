package shim

import (
	"context"
	"fmt"
	"syscall"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	ptypes "github.com/containerd/containerd/protobuf/types"
)

var empty = &ptypes.Empty{}

// Kill signals the module host. SIGTERM and SIGKILL end a module even while
// it is blocked in a WASI call, since they act on the whole process.
func (s *service) Kill(ctx context.Context, r *taskAPI.KillRequest) (*ptypes.Empty, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if c.hasExited() {
		return nil, fmt.Errorf("container %s: process already finished: %w", r.ID, errNotFound)
	}
	if err := c.host.Signal(syscall.Signal(r.Signal)); err != nil {
		return nil, fmt.Errorf("signal %d to %s: %w", r.Signal, r.ID, err)
	}
	return empty, nil
}
