package shim

import (
	"context"

	eventstypes "github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/runtime"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
)

// send queues a task event. Events are published in the order sent.
func (s *service) send(evt any) { s.events <- evt }

// forward publishes queued events in order, with a context that carries only
// the namespace (never a request's context, which ends with the request).
func (s *service) forward(ctx context.Context, publisher shim.Publisher) {
	ns, _ := namespaces.Namespace(ctx)
	ctx = namespaces.WithNamespace(context.Background(), ns)
	for e := range s.events {
		if err := publisher.Publish(ctx, topic(e), e); err != nil {
			log.G(ctx).WithError(err).Error("publish event")
		}
	}
	publisher.Close()
}

func topic(e any) string {
	switch e.(type) {
	case *eventstypes.TaskCreate:
		return runtime.TaskCreateEventTopic
	case *eventstypes.TaskStart:
		return runtime.TaskStartEventTopic
	case *eventstypes.TaskExit:
		return runtime.TaskExitEventTopic
	case *eventstypes.TaskDelete:
		return runtime.TaskDeleteEventTopic
	case *eventstypes.TaskOOM:
		return runtime.TaskOOMEventTopic
	}
	return runtime.TaskUnknownTopic
}
