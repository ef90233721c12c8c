package shim

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Stats returns the cgroup metrics of the container's module host, as the
// cgroups library's Metrics message for the cgroup's version.
func (s *service) Stats(ctx context.Context, r *taskapi.StatsRequest) (*taskapi.StatsResponse, error) {
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
	data, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode cgroup stats: %w", err)
	}
	return &taskapi.StatsResponse{Stats: &taskapi.Any{TypeURL: string(proto.MessageName(m)), Value: data}}, nil
}
