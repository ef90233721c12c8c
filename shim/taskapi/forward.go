package taskapi

import (
	"time"

	"github.com/wasmtee/wasmtee/internal/pbwire"
)

// MarshalForward encodes the containerd.services.events.ttrpc.v1
// ForwardRequest a shim sends to containerd's Events service (method
// Forward) to publish e: its envelope (field 1) is a containerd.types
// Envelope with timestamp = 1 (at), namespace = 2, topic = 3 (e.Topic())
// and event = 4, a google.protobuf.Any of e.TypeURL() and e.Marshal().
func MarshalForward(at time.Time, namespace string, e Event) []byte {
	return pbwire.AppendMessage(nil, 1, func(b []byte) []byte {
		b = appendTime(b, 1, at)
		b = pbwire.AppendString(b, 2, namespace)
		b = pbwire.AppendString(b, 3, e.Topic())
		return appendOptional(b, 4, &Any{TypeURL: e.TypeURL(), Value: e.Marshal()})
	})
}
