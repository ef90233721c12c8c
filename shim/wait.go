package shim

import (
	"context"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/protobuf"
)

// Wait blocks until the module host exits, or the request is cancelled.
func (s *service) Wait(ctx context.Context, r *taskAPI.WaitRequest) (*taskAPI.WaitResponse, error) {
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
	return &taskAPI.WaitResponse{ExitStatus: uint32(status), ExitedAt: protobuf.ToTimestamp(at)}, nil
}
