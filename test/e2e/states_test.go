//go:build e2e

package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/oci"
)

// TestTaskStates walks a task through CREATED, RUNNING and STOPPED as `ctr task ls`
// shows them. ctr cannot create a task without starting it, so the containerd 1.7 Go
// client does the work.
func TestTaskStates(t *testing.T) {
	each(t, func(c *tc) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		client := c.client()
		img, err := client.GetImage(ctx, c.ref("sleep"))
		if err != nil {
			c.Fatalf("get image: %v", err)
		}
		if ok, err := img.IsUnpacked(ctx, ""); err != nil || !ok {
			if err := img.Unpack(ctx, ""); err != nil {
				c.Fatalf("unpack: %v", err)
			}
		}
		id := c.id()
		cont, err := client.NewContainer(ctx, id,
			containerd.WithNewSnapshot(id+"-snap", img),
			containerd.WithNewSpec(oci.WithImageConfig(img), oci.WithProcessArgs("/sleep.wasm")),
			containerd.WithRuntime(runtimeType, nil))
		if err != nil {
			c.Fatalf("new container: %v", err)
		}
		c.Cleanup(func() { cont.Delete(context.Background(), containerd.WithSnapshotCleanup) })

		task, err := cont.NewTask(ctx, cio.NullIO)
		if err != nil {
			c.Fatalf("new task: %v", err)
		}
		c.Cleanup(func() { task.Delete(context.Background(), containerd.WithProcessKill) })
		c.waitStatus(id, "CREATED", 5*time.Second)

		exited, err := task.Wait(ctx)
		if err != nil {
			c.Fatalf("wait: %v", err)
		}
		if err := task.Start(ctx); err != nil {
			c.Fatalf("start: %v", err)
		}
		c.waitStatus(id, "RUNNING", 5*time.Second)

		if err := task.Kill(ctx, syscall.SIGKILL); err != nil {
			c.Fatalf("kill: %v", err)
		}
		select {
		case st := <-exited:
			if code, _, err := st.Result(); err != nil || code != 137 {
				c.Errorf("exit status: want 137, got %d (%v)", code, err)
			}
		case <-time.After(10 * time.Second):
			c.Fatalf("task did not exit within 10s of SIGKILL")
		}
		c.waitStatus(id, "STOPPED", 5*time.Second)

		if _, err := task.Delete(ctx); err != nil {
			c.Errorf("delete task: %v", err)
		}
		if err := cont.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
			c.Errorf("delete container: %v", err)
		}
		if st := c.taskStatus(id); st != "" {
			c.Errorf("task still listed as %s after delete", st)
		}
	})
}

// client is a containerd 1.7 Go client for c's daemon, closed when the test ends.
func (c *tc) client() *containerd.Client {
	c.Helper()
	cl, err := containerd.New(c.d.sock, containerd.WithDefaultNamespace(namespace),
		containerd.WithTimeout(10*time.Second))
	if err != nil {
		c.Fatalf("containerd client for %s: %v", c.d.sock, err)
	}
	c.Cleanup(func() { cl.Close() })
	return cl
}
