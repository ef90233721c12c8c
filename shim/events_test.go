package shim

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	eventsapi "github.com/containerd/containerd/api/services/ttrpc/events/v1"
	"google.golang.org/protobuf/proto"

	"github.com/wasmtee/wasmtee/shim/taskapi"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// fakeEvents is containerd's events service: it records each forwarded
// envelope's topic and namespace (the envelope's and the metadata's).
type fakeEvents struct {
	mu  sync.Mutex
	got []string
}

func (f *fakeEvents) serve(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "containerd.sock.ttrpc")
	f.serveAt(t, sock)
	return sock
}

// serveAt serves the events service on a new socket at sock.
func (f *fakeEvents) serveAt(t *testing.T, sock string) *ttrpc.Server {
	t.Helper()
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	server := ttrpc.NewServer()
	server.Register(eventsService, map[string]ttrpc.Method{eventsForward: func(ctx context.Context, b []byte) ([]byte, error) {
		var req eventsapi.ForwardRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			return nil, err
		}
		md, _ := ttrpc.Metadata(ctx).Get(nsMetadataKey)
		f.mu.Lock()
		f.got = append(f.got, req.Envelope.Namespace+"/"+md+req.Envelope.Topic)
		f.mu.Unlock()
		return nil, nil
	}})
	go server.Serve(l)
	t.Cleanup(func() { server.Close() })
	return server
}

func (f *fakeEvents) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

func newEventsService(queue int) *service {
	return &service{events: make(chan taskapi.Event, queue), eventsEnd: make(chan struct{}), containers: map[string]*container{}}
}

// TestEndEventsWithFullQueue: ending the queue at shutdown does not wait
// for a send blocked on a full queue (which waited for the publisher, up
// to its retries per event), and that send gives up.
func TestEndEventsWithFullQueue(t *testing.T) {
	s := newEventsService(1)
	s.send(&taskapi.TaskOOM{ContainerID: "a"})
	sent := make(chan struct{})
	go func() {
		s.send(&taskapi.TaskOOM{ContainerID: "b"}) // the queue is full
		close(sent)
	}()
	time.Sleep(20 * time.Millisecond)
	ended := make(chan struct{})
	go func() {
		s.endEvents()
		s.endEvents() // again: no panic
		close(ended)
	}()
	for name, ch := range map[string]chan struct{}{"endEvents": ended, "the blocked send": sent} {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s did not return with the queue full", name)
		}
	}
	s.send(&taskapi.TaskOOM{ContainerID: "c"}) // dropped, does not block
}

// TestForwardPublishesQueueAtEnd: what was queued before endEvents is
// published, in order and in the shim's namespace, then forward returns.
func TestForwardPublishesQueueAtEnd(t *testing.T) {
	var f fakeEvents
	p := &publisher{address: f.serve(t)}
	s := newEventsService(8)
	s.send(&taskapi.TaskStart{ContainerID: "c1"})
	s.send(&taskapi.TaskExit{ContainerID: "c1"})
	s.send(&taskapi.TaskDelete{ContainerID: "c1"})
	s.endEvents()
	done := make(chan struct{})
	go func() {
		s.forward(p, "k8s.io")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("forward did not return after endEvents")
	}
	want := []string{"k8s.io/k8s.io/tasks/start", "k8s.io/k8s.io/tasks/exit", "k8s.io/k8s.io/tasks/delete"}
	got := f.events()
	if len(got) != len(want) {
		t.Fatalf("published %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("published %v, want %v", got, want)
		}
	}
}

// TestPublisherReconnectsAtOnce: after containerd restarted, the first
// event goes out on a new connection at once, not after a retry's wait.
func TestPublisherReconnectsAtOnce(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "containerd.sock.ttrpc")
	var before, after fakeEvents
	old := before.serveAt(t, sock)
	p := &publisher{address: sock}
	defer p.close()
	p.publish("default", &taskapi.TaskStart{ContainerID: "c1"})
	if got := before.events(); len(got) != 1 {
		t.Fatalf("before the restart: published %v", got)
	}
	old.Close() // containerd stops...
	time.Sleep(20 * time.Millisecond)
	after.serveAt(t, sock) // ...and is back
	start := time.Now()
	p.publish("default", &taskapi.TaskExit{ContainerID: "c1"})
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("the first event after containerd restarted took %v", d)
	}
	if got := after.events(); len(got) != 1 || got[0] != "default/default/tasks/exit" {
		t.Fatalf("after the restart: published %v", got)
	}
}
