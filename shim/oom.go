package shim

import (
	"context"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/containerd/events"
	"github.com/containerd/containerd/pkg/oom"
	oomv1 "github.com/containerd/containerd/pkg/oom/v1"
	oomv2 "github.com/containerd/containerd/pkg/oom/v2"
	"github.com/containerd/containerd/runtime/v2/shim"
)

// newOOMWatcher watches cgroups for OOM kills with containerd's watcher for
// this host's cgroup version.
func newOOMWatcher(p shim.Publisher) (oom.Watcher, error) {
	if cgroups.Mode() == cgroups.Unified {
		return oomv2.New(p)
	}
	return oomv1.New(p)
}

// queuePublisher hands events to the service's ordered queue, so a TaskOOM
// reaches containerd in order with the task's other events.
type queuePublisher struct{ s *service }

func (q queuePublisher) Publish(ctx context.Context, topic string, event events.Event) error {
	q.s.send(event)
	return nil
}

func (q queuePublisher) Close() error { return nil }
