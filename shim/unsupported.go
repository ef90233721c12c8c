package shim

import (
	"context"
	"fmt"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	ptypes "github.com/containerd/containerd/protobuf/types"
)

// errExec answers any request about an exec'd process: wasm containers
// have one process, the module.
var errExec = fmt.Errorf("exec processes are not supported yet for wasm containers: %w", errNotImplemented)

func (s *service) Exec(ctx context.Context, r *taskAPI.ExecProcessRequest) (*ptypes.Empty, error) {
	return nil, errExec
}

func (s *service) Pause(ctx context.Context, r *taskAPI.PauseRequest) (*ptypes.Empty, error) {
	return nil, fmt.Errorf("pause is not supported yet for wasm containers: %w", errNotImplemented)
}

func (s *service) Resume(ctx context.Context, r *taskAPI.ResumeRequest) (*ptypes.Empty, error) {
	return nil, fmt.Errorf("resume is not supported yet for wasm containers: %w", errNotImplemented)
}

func (s *service) Checkpoint(ctx context.Context, r *taskAPI.CheckpointTaskRequest) (*ptypes.Empty, error) {
	return nil, fmt.Errorf("checkpoint is not supported yet for wasm containers: %w", errNotImplemented)
}

func (s *service) ResizePty(ctx context.Context, r *taskAPI.ResizePtyRequest) (*ptypes.Empty, error) {
	return nil, fmt.Errorf("terminals are not supported yet for wasm containers: %w", errNotImplemented)
}
