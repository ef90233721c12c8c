package shim

import (
	"context"
	"os"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/protobuf"
	ptypes "github.com/containerd/containerd/protobuf/types"
)

// State reports the container's status, module host PID and exit.
func (s *service) State(ctx context.Context, r *taskAPI.StateRequest) (*taskAPI.StateResponse, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	st, status, at := c.state()
	return &taskAPI.StateResponse{
		ID:         r.ID,
		Bundle:     c.bundle,
		Pid:        uint32(c.host.Pid()),
		Status:     st,
		Stdin:      c.stdPath.stdin,
		Stdout:     c.stdPath.stdout,
		Stderr:     c.stdPath.stderr,
		ExitStatus: uint32(status),
		ExitedAt:   protobuf.ToTimestamp(at),
	}, nil
}

// Pids lists the module host: the one process of a wasm container.
func (s *service) Pids(ctx context.Context, r *taskAPI.PidsRequest) (*taskAPI.PidsResponse, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if c.hasExited() {
		return &taskAPI.PidsResponse{}, nil
	}
	return &taskAPI.PidsResponse{Processes: []*task.ProcessInfo{{Pid: uint32(c.host.Pid())}}}, nil
}

// Connect tells containerd the shim's and the module host's PIDs.
func (s *service) Connect(ctx context.Context, r *taskAPI.ConnectRequest) (*taskAPI.ConnectResponse, error) {
	resp := &taskAPI.ConnectResponse{ShimPid: uint32(os.Getpid())}
	if c, err := s.get(r.ID); err == nil {
		resp.TaskPid = uint32(c.host.Pid())
	}
	return resp, nil
}

// Shutdown ends the shim once it serves no container.
func (s *service) Shutdown(ctx context.Context, r *taskAPI.ShutdownRequest) (*ptypes.Empty, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.containers) > 0 {
		return empty, nil
	}
	s.shutdown.Shutdown()
	return empty, nil
}

// CloseIO closes the module's stdin.
func (s *service) CloseIO(ctx context.Context, r *taskAPI.CloseIORequest) (*ptypes.Empty, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if r.Stdin && c.stdio != nil {
		c.stdio.closeStdin()
	}
	return empty, nil
}
