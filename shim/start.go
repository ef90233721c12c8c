package shim

import (
	"context"
	"fmt"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
)

// Start runs the module's entry function in its already loaded host.
func (s *service) Start(ctx context.Context, r *taskAPI.StartRequest) (*taskAPI.StartResponse, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	// Hold mu until TaskStart is queued: the exit handler waits for it, so
	// a module that exits at once still publishes Start before Exit.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status != task.Status_CREATED {
		return nil, fmt.Errorf("container %s is %s, not created: %w", r.ID, c.status, errPrecondition)
	}
	if err := c.host.Start(ctx); err != nil {
		return nil, fmt.Errorf("start %s: %w", r.ID, err)
	}
	c.status = task.Status_RUNNING
	pid := uint32(c.host.Pid())
	s.send(&eventstypes.TaskStart{ContainerID: r.ID, Pid: pid})
	return &taskAPI.StartResponse{Pid: pid}, nil
}
