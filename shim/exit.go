package shim

import (
	"context"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// watchExit records the module host's exit and publishes TaskExit.
func (s *service) watchExit(c *container) {
	<-c.host.Done()
	status, at := c.host.Exit()
	c.mu.Lock()
	c.status = taskapi.StatusStopped
	c.exitErr, c.exitAt = status, at
	s.send(&taskapi.TaskExit{
		ContainerID: c.id,
		ID:          c.id,
		Pid:         uint32(c.host.Pid()),
		ExitStatus:  uint32(status),
		ExitedAt:    at,
	})
	close(c.exited)
	c.mu.Unlock()
	logger(withNamespace(context.Background(), c.ns), c.id).WithField("exit_status", status).Info("module exited")
}
