package shim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Update applies new resource limits to a container's cgroup in place (CPU,
// memory, pids). The module's linear-memory bound stays the one set at
// create: wasmtime cannot change a running store's limits safely.
func (s *service) Update(ctx context.Context, r *taskapi.UpdateTaskRequest) error {
	c, err := s.get(r.ID)
	if err != nil {
		return err
	}
	if c.cgroup == nil {
		return fmt.Errorf("container %s has no cgroup to update: %w", r.ID, errPrecondition)
	}
	res, err := linuxResources(r.Resources)
	if err != nil {
		return err
	}
	if err := c.cgroup.update(res); err != nil {
		return fmt.Errorf("update cgroup of %s: %w", r.ID, err)
	}
	return nil
}

// linuxResources decodes an update's resources: containerd sends the
// runtime spec's LinuxResources as JSON, under the type URL it registers
// for it (".../opencontainers/runtime-spec/1/LinuxResources").
func linuxResources(a *taskapi.Any) (*specs.LinuxResources, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: update without resources", errInvalid)
	}
	if !strings.HasSuffix(a.TypeURL, "/LinuxResources") {
		return nil, fmt.Errorf("%w: resources of type %q, want the runtime spec's LinuxResources", errInvalid, a.TypeURL)
	}
	var res specs.LinuxResources
	if err := json.Unmarshal(a.Value, &res); err != nil {
		return nil, fmt.Errorf("%w: resources: %v", errInvalid, err)
	}
	return &res, nil
}
