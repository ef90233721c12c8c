package shim

import (
	"context"
	"fmt"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Start runs the module's entry function in its already loaded host.
func (s *service) Start(ctx context.Context, r *taskapi.StartRequest) (*taskapi.StartResponse, error) {
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
	if c.status != taskapi.StatusCreated {
		return nil, fmt.Errorf("container %s is %s, not created: %w", r.ID, c.status, errPrecondition)
	}
	if err := c.host.Start(ctx); err != nil {
		return nil, fmt.Errorf("start %s: %w", r.ID, err)
	}
	c.status = taskapi.StatusRunning
	pid := uint32(c.host.Pid())
	s.send(&taskapi.TaskStart{ContainerID: r.ID, Pid: pid})
	return &taskapi.StartResponse{Pid: pid}, nil
}
