package taskapi

import (
	"testing"
	"time"

	eventsapi "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/proto"
)

// TestMarshalForward checks the forwarded envelope of every event against
// the official ForwardRequest, and that its Any decodes, through typeurl,
// to the official event.
func TestMarshalForward(t *testing.T) {
	for _, at := range []time.Time{exitedAt, {}} {
		for _, p := range eventPairs() {
			e := p.mine.(Event)
			var req eventsapi.ForwardRequest
			if err := proto.Unmarshal(MarshalForward(at, "k8s.io", e), &req); err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			if len(req.ProtoReflect().GetUnknown()) != 0 {
				t.Errorf("%s: unknown fields in ForwardRequest", p.name)
			}
			env := req.GetEnvelope()
			if env == nil {
				t.Fatalf("%s: no envelope", p.name)
			}
			if len(env.ProtoReflect().GetUnknown()) != 0 {
				t.Errorf("%s: unknown fields in Envelope", p.name)
			}
			if env.GetTimestamp() == nil || !proto.Equal(env.GetTimestamp(), ts(at)) {
				t.Errorf("%s: timestamp %v, want %v", p.name, env.GetTimestamp(), ts(at))
			}
			if env.GetNamespace() != "k8s.io" {
				t.Errorf("%s: namespace %q", p.name, env.GetNamespace())
			}
			if env.GetTopic() != e.Topic() {
				t.Errorf("%s: topic %q, want %q", p.name, env.GetTopic(), e.Topic())
			}
			want, err := typeurl.MarshalAny(p.official)
			if err != nil {
				t.Fatal(err)
			}
			if got := env.GetEvent().GetTypeUrl(); got != want.GetTypeUrl() {
				t.Errorf("%s: event type URL %q, want %q", p.name, got, want.GetTypeUrl())
			}
			v, err := typeurl.UnmarshalAny(env.GetEvent())
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			if got, ok := v.(proto.Message); !ok || !proto.Equal(got, p.official) {
				t.Errorf("%s: event %v, want %v", p.name, v, p.official)
			}
		}
	}
}
