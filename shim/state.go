package shim

import (
	"context"
	"os"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// State reports the container's status, module host PID and exit.
func (s *service) State(ctx context.Context, r *taskapi.StateRequest) (*taskapi.StateResponse, error) {
	if r.ExecID != "" {
		return nil, errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	st, status, at := c.state()
	return &taskapi.StateResponse{
		ID:         r.ID,
		Bundle:     c.bundle,
		Pid:        uint32(c.host.Pid()),
		Status:     st,
		Stdin:      c.stdPath.stdin,
		Stdout:     c.stdPath.stdout,
		Stderr:     c.stdPath.stderr,
		ExitStatus: uint32(status),
		ExitedAt:   at,
	}, nil
}

// Pids lists the module host: the one process of a wasm container.
func (s *service) Pids(ctx context.Context, r *taskapi.PidsRequest) (*taskapi.PidsResponse, error) {
	c, err := s.get(r.ID)
	if err != nil {
		return nil, err
	}
	if c.hasExited() {
		return &taskapi.PidsResponse{}, nil
	}
	return &taskapi.PidsResponse{Processes: []*taskapi.ProcessInfo{{Pid: uint32(c.host.Pid())}}}, nil
}

// Connect tells containerd the shim's and the module host's PIDs.
func (s *service) Connect(ctx context.Context, r *taskapi.ConnectRequest) (*taskapi.ConnectResponse, error) {
	resp := &taskapi.ConnectResponse{ShimPid: uint32(os.Getpid())}
	if c, err := s.get(r.ID); err == nil {
		resp.TaskPid = uint32(c.host.Pid())
	}
	return resp, nil
}

// Shutdown ends the shim once it serves no container.
func (s *service) Shutdown(ctx context.Context, r *taskapi.ShutdownRequest) error {
	s.mu.Lock()
	busy := len(s.containers) > 0
	s.mu.Unlock()
	if busy {
		return nil
	}
	// A container set up early that no Create took (it never came, or
	// failed before taking it) is undone before the reply: containerd
	// removes the bundle next.
	s.dropEarly(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.containers) > 0 {
		return nil
	}
	s.shutdown()
	return nil
}

// CloseIO closes the module's stdin.
func (s *service) CloseIO(ctx context.Context, r *taskapi.CloseIORequest) error {
	if r.ExecID != "" {
		return errExec
	}
	c, err := s.get(r.ID)
	if err != nil {
		return err
	}
	if r.Stdin && c.stdio != nil {
		c.stdio.closeStdin()
	}
	return nil
}
