package ttrpc

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// serverConn is one accepted connection.
type serverConn struct {
	s      *Server
	nc     net.Conn
	ctx    context.Context // parent of the calls' contexts; canceled when the connection ends
	cancel context.CancelFunc

	wmu sync.Mutex // serializes writes to nc

	mu    sync.Mutex
	calls map[uint32]struct{} // streams of running calls not yet answered
}

func newServerConn(s *Server, nc net.Conn) *serverConn {
	ctx, cancel := context.WithCancel(context.Background())
	return &serverConn{s: s, nc: nc, ctx: ctx, cancel: cancel, calls: map[uint32]struct{}{}}
}

// close ends the connection: its reader fails and ends, running calls see
// their ctx canceled and their answers fail.
func (c *serverConn) close() {
	c.cancel()
	c.nc.Close()
}

// serve reads frames until the connection fails or is closed, starting a
// goroutine for each call.
func (c *serverConn) serve() {
	defer c.s.untrack(c)
	defer c.close()
	r := bufio.NewReader(c.nc)
	var last uint32 // the largest request stream id so far
	for {
		h, p, err := readFrame(r)
		if err != nil {
			if st, ok := err.(*Status); ok {
				c.reject(h.stream, st) // oversized: read past, answered, go on
				continue
			}
			return // EOF, a read error or a closed connection
		}
		c.dispatch(h, p, &last)
	}
}

// dispatch handles one frame, checking it as containerd/ttrpc does.
func (c *serverConn) dispatch(h header, p []byte, last *uint32) {
	if h.stream%2 != 1 {
		c.reject(h.stream, &Status{Code: InvalidArgument, Message: "StreamID must be odd for client initiated streams"})
		return
	}
	if h.typ != typeRequest {
		// Data frames belong to streaming calls; response frames and
		// unknown types have no meaning on a server.
		c.reject(h.stream, &Status{Code: Unimplemented, Message: "ttrpc: " + h.typ.String() + " messages are not supported (unary calls only)"})
		return
	}
	if h.stream <= *last {
		c.reject(h.stream, &Status{Code: InvalidArgument, Message: "StreamID cannot be re-used and must increment"})
		return
	}
	*last = h.stream
	req, err := parseRequest(p)
	if err != nil {
		c.reject(h.stream, &Status{Code: InvalidArgument, Message: "unmarshal request error: " + err.Error()})
		return
	}
	m, st := c.s.lookup(req.service, req.method)
	if st != nil {
		c.reject(h.stream, st)
		return
	}
	if h.flags&flagRemoteOpen != 0 {
		c.reject(h.stream, &Status{Code: Unimplemented, Message: "ttrpc: streaming requests are not supported (unary calls only)"})
		return
	}
	if !c.s.beginCall() {
		c.reject(h.stream, &Status{Code: Unavailable, Message: ErrServerClosed.Error()})
		return
	}
	c.mu.Lock()
	c.calls[h.stream] = struct{}{}
	c.mu.Unlock()
	go c.call(h.stream, m, req)
}

// call runs one Method and answers it.
func (c *serverConn) call(id uint32, m Method, req request) {
	defer c.s.endCall()
	ctx := c.ctx
	if len(req.md) > 0 {
		ctx = WithMetadata(ctx, req.md)
	}
	if req.timeoutNano != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.timeoutNano))
		defer cancel()
	}
	out, err := m(ctx, req.payload)

	c.mu.Lock()
	_, open := c.calls[id]
	delete(c.calls, id)
	c.mu.Unlock()
	if !open {
		return // already answered with an error (a bad frame on its stream)
	}
	if err != nil {
		code, msg := statusOf(err)
		c.answer(id, code, msg, nil)
		return
	}
	c.answer(id, OK, "", out)
}

// reject answers stream id with st. If a call runs on that stream, this is
// its answer: the Method's result is dropped.
func (c *serverConn) reject(id uint32, st *Status) {
	c.mu.Lock()
	delete(c.calls, id)
	c.mu.Unlock()
	c.answer(id, st.Code, st.Message, nil)
}

// answer writes the response of stream id. A response too large to send is
// answered ResourceExhausted instead. A failed write closes the connection.
func (c *serverConn) answer(id uint32, code Code, msg string, payload []byte) {
	b := appendResponse(nil, code, msg, payload)
	if len(b) > maxData {
		st := tooLarge(uint64(len(b)))
		b = appendResponse(nil, st.Code, st.Message, nil)
	}
	c.wmu.Lock()
	err := writeFrame(c.nc, id, typeResponse, 0, b)
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
}
