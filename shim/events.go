package shim

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/containerd/log"

	"github.com/wasmtee/wasmtee/shim/taskapi"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// send queues a task event. Events are published in the order sent; once
// the shim is shutting down (endEvents), further events are dropped, and a
// send waiting for room in a full queue gives up.
func (s *service) send(e taskapi.Event) {
	select {
	case <-s.eventsEnd:
		return
	default:
	}
	select {
	case s.events <- e:
	case <-s.eventsEnd:
	}
}

// endEvents ends the event queue: forward publishes what is queued and
// returns. It never waits, not even for senders blocked on a full queue.
func (s *service) endEvents() {
	s.endEventsOnce.Do(func() { close(s.eventsEnd) })
}

// forward publishes queued events in order, in namespace ns, until
// endEvents; then it publishes what is still queued and returns.
func (s *service) forward(p *publisher, ns string) {
	defer p.close()
	for {
		select {
		case e := <-s.events:
			p.publish(ns, e)
		case <-s.eventsEnd:
			for {
				select {
				case e := <-s.events:
					p.publish(ns, e)
				default:
					return
				}
			}
		}
	}
}

// Event delivery to containerd's events service.
const (
	eventsService = "containerd.services.events.ttrpc.v1.Events"
	eventsForward = "Forward"
	ttrpcAddrEnv  = "TTRPC_ADDRESS"
	// publishAttempts and publishTimeout bound how long an event waits for
	// containerd (it may be restarting): attempt n waits n seconds first.
	publishAttempts = 5
	publishTimeout  = 5 * time.Second
)

// publisher forwards events to containerd over ttrpc, at the address
// containerd gives its shims (TTRPC_ADDRESS), connecting when first needed
// and again after a failure.
type publisher struct {
	address string
	mu      sync.Mutex
	client  *ttrpc.Client
}

func newPublisher() *publisher { return &publisher{address: os.Getenv(ttrpcAddrEnv)} }

// publish delivers one event, retrying with a fresh connection while
// containerd does not answer; an event it cannot deliver is logged and
// dropped, as containerd's own shims do.
func (p *publisher) publish(ns string, e taskapi.Event) {
	req := taskapi.MarshalForward(time.Now(), ns, e)
	var err error
	for attempt := range publishAttempts {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * time.Second)
		}
		if err = p.forward(ns, req); err == nil {
			return
		}
		var st *ttrpc.Status
		if errors.As(err, &st) {
			break // containerd answered: trying again would not help
		}
	}
	log.L.WithError(err).WithField("topic", e.Topic()).Error("publish event: dropped")
}

func (p *publisher) forward(ns string, req []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	ctx = ttrpc.WithMetadata(ctx, ttrpc.MD{nsMetadataKey: {ns}})
	reused := p.client != nil
	err := p.call(ctx, req)
	if reused && errors.Is(err, ttrpc.ErrClosed) {
		// The connection is from before containerd restarted: connect
		// again at once, as containerd's shim library does, rather than
		// hold this event (and those queued after it) for a retry.
		err = p.call(ctx, req)
	}
	return err
}

// call forwards req on the publisher's connection, connecting first if it
// has none; a failed call drops the connection.
func (p *publisher) call(ctx context.Context, req []byte) error {
	if p.client == nil {
		c, err := ttrpc.Dial(ctx, p.address)
		if err != nil {
			return err
		}
		p.client = c
	}
	if _, err := p.client.Call(ctx, eventsService, eventsForward, req); err != nil {
		p.client.Close()
		p.client = nil
		return err
	}
	return nil
}

func (p *publisher) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
}
