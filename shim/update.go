package shim

import (
	"context"
	"fmt"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	ptypes "github.com/containerd/containerd/protobuf/types"
	"github.com/containerd/typeurl/v2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Update applies new resource limits to a container's cgroup in place (CPU,
// memory, pids). The module's linear-memory bound stays the one set at
// create: wasmtime cannot change a running store's limits safely.
func (s *service) Update(ctx context.Context, r *taskAPI.UpdateTaskRequest) (*ptypes.Empty, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if c.cgroup == nil {
		return nil, fmt.Errorf("container %s has no cgroup to update: %w", r.ID, errPrecondition)
	}
	v, err := typeurl.UnmarshalAny(r.Resources)
	if err != nil {
		return nil, fmt.Errorf("%w: resources: %v", errInvalid, err)
	}
	res, ok := v.(*specs.LinuxResources)
	if !ok {
		return nil, fmt.Errorf("%w: resources of type %T, want LinuxResources", errInvalid, v)
	}
	if err := c.cgroup.update(res); err != nil {
		return nil, fmt.Errorf("update cgroup of %s: %w", r.ID, err)
	}
	return empty, nil
}
