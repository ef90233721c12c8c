package shim

import (
	"context"

	eventstypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/protobuf"
)

// watchExit records the module host's exit and publishes TaskExit.
func (s *service) watchExit(c *container) {
	<-c.host.Done()
	status, at := c.host.Exit()
	c.mu.Lock()
	c.status = task.Status_STOPPED
	c.exitErr, c.exitAt = status, at
	s.send(&eventstypes.TaskExit{
		ContainerID: c.id,
		ID:          c.id,
		Pid:         uint32(c.host.Pid()),
		ExitStatus:  uint32(status),
		ExitedAt:    protobuf.ToTimestamp(at),
	})
	close(c.exited)
	c.mu.Unlock()
	logger(namespaces.WithNamespace(context.Background(), c.ns), c.id).WithField("exit_status", status).Info("module exited")
}
