package shim

import (
	"context"
	"fmt"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/protobuf"
	"github.com/containerd/typeurl/v2"
)

// Stats returns the cgroup metrics of the container's module host.
func (s *service) Stats(ctx context.Context, r *taskAPI.StatsRequest) (*taskAPI.StatsResponse, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if c.cgroup == nil {
		return nil, fmt.Errorf("container %s has no cgroup (no linux.cgroupsPath in its spec): %w", r.ID, errNotFound)
	}
	m, err := c.cgroup.stats()
	if err != nil {
		return nil, fmt.Errorf("cgroup stats: %w", err)
	}
	data, err := typeurl.MarshalAny(m)
	if err != nil {
		return nil, err
	}
	return &taskAPI.StatsResponse{Stats: protobuf.FromAny(data)}, nil
}
