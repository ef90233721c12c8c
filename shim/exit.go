package shim

import (
	"context"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// watchExit records the module host's exit and publishes TaskExit, then
// unmounts the rootfs of a module host (rootfsReleased).
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
	// Nothing reads the rootfs of a module host that is gone: unmount it
	// now, while containerd handles the exit, instead of in Delete, which
	// ctr waits for (an overlay's unmount syncs its upper directory: 0.4
	// to 2.8 ms here).
	if c.rootfsReleased != nil {
		c.unmountErr = unmountRootfs(c.rootfs)
		close(c.rootfsReleased)
	}
}
