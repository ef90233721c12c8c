package shim

import (
	"context"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Wait blocks until the module host exits, or the request is cancelled.
func (s *service) Wait(ctx context.Context, r *taskapi.WaitRequest) (*taskapi.WaitResponse, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.exited:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	_, status, at := c.state()
	return &taskapi.WaitResponse{ExitStatus: uint32(status), ExitedAt: at}, nil
}
