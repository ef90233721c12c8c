package ttrpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"time"
)

// ErrClosed is what a Client's calls return once its connection is closed
// (by Close, by the server or by a failure).
var ErrClosed = errors.New("ttrpc: closed")

// Client makes unary calls on one connection. Its methods are safe for
// concurrent use.
type Client struct {
	nc net.Conn

	wmu sync.Mutex // serializes writes; held from a stream id's choice to its request's write, so ids reach the wire in order

	mu      sync.Mutex
	next    uint64 // the next stream id; past math.MaxUint32, ids are used up
	pending map[uint32]chan result
	closing bool

	closeOnce sync.Once
	done      chan struct{} // closed when the reader ends: no more results
}

// result is a call's outcome, as the reader delivers it.
type result struct {
	payload []byte
	err     error
}

// Dial connects to the unix socket at path (containerd's TTRPC_ADDRESS is a
// path; an optional "unix://" prefix is accepted).
func Dial(ctx context.Context, path string) (*Client, error) {
	path = strings.TrimPrefix(path, "unix://")
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	c := &Client{
		nc:      nc,
		next:    1,
		pending: map[uint32]chan result{},
		done:    make(chan struct{}),
	}
	go c.read()
	return c, nil
}

// Call makes one unary call and waits for its response payload. A ctx
// deadline is sent as timeout_nano and ctx's Metadata as the request's
// metadata; a ctx that ends first ends the wait (the answer, if it comes,
// is dropped). Concurrent calls are allowed: each gets the next odd stream
// id, and responses are matched by id. A non-OK status is returned as
// *Status; a closed connection as ErrClosed.
func (c *Client) Call(ctx context.Context, service, method string, req []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r := request{service: service, method: method, payload: req, md: Metadata(ctx)}
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return nil, context.DeadlineExceeded
		}
		r.timeoutNano = int64(left)
	}
	b := appendRequest(nil, &r)
	if len(b) > maxData {
		return nil, tooLarge(uint64(len(b)))
	}

	ch := make(chan result, 1)
	c.wmu.Lock()
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		c.wmu.Unlock()
		return nil, ErrClosed
	}
	if c.next > math.MaxUint32 {
		c.mu.Unlock()
		c.wmu.Unlock()
		return nil, errors.New("ttrpc: stream ids used up on this connection")
	}
	id := uint32(c.next)
	c.next += 2
	c.pending[id] = ch
	c.mu.Unlock()
	err := writeFrame(c.nc, id, typeRequest, 0, b)
	c.wmu.Unlock()
	if err != nil {
		c.forget(id)
		c.shut() // a partly written frame leaves the connection out of step
		return nil, fmt.Errorf("%w: sending a request: %v", ErrClosed, err)
	}

	select {
	case res := <-ch:
		return res.payload, res.err
	case <-ctx.Done():
		c.forget(id)
		return nil, ctx.Err()
	case <-c.done:
		select {
		case res := <-ch: // answered just before the connection ended
			return res.payload, res.err
		default:
			return nil, ErrClosed
		}
	}
}

// Close closes the connection, failing calls in flight with ErrClosed, and
// waits for the reading goroutine to end.
func (c *Client) Close() error {
	err := c.shut()
	<-c.done
	return err
}

// shut closes the connection once; the reader then ends.
func (c *Client) shut() error {
	var err error
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		err = c.nc.Close()
	})
	return err
}

// forget drops the pending call on stream id.
func (c *Client) forget(id uint32) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// deliver hands res to the call waiting on stream id, if any.
func (c *Client) deliver(id uint32, res result) {
	c.mu.Lock()
	ch := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ch != nil {
		ch <- res // buffered: never blocks
	}
}

// read reads the server's frames and delivers them until the connection
// fails or is closed.
func (c *Client) read() {
	defer close(c.done)
	defer c.shut()
	r := bufio.NewReader(c.nc)
	for {
		h, p, err := readFrame(r)
		if err != nil {
			if st, ok := err.(*Status); ok {
				c.deliver(h.stream, result{err: st}) // oversized: read past
				continue
			}
			return
		}
		if h.typ != typeResponse {
			c.deliver(h.stream, result{err: fmt.Errorf("ttrpc: unexpected %s message on a unary call", h.typ)})
			continue
		}
		code, msg, payload, err := parseResponse(p)
		switch {
		case err != nil:
			c.deliver(h.stream, result{err: fmt.Errorf("ttrpc: bad response: %w", err)})
		case code != OK:
			c.deliver(h.stream, result{err: &Status{Code: code, Message: msg}})
		default:
			c.deliver(h.stream, result{payload: payload})
		}
	}
}
