package ttrpc

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// ErrServerClosed is what Serve returns once Shutdown or Close was called.
var ErrServerClosed = errors.New("ttrpc: server closed")

// Method handles one unary call: req is the request payload, the result is
// the response payload. An error that is not (and does not wrap) a *Status
// is answered as Unknown with err.Error() as the message.
//
// ctx carries the request's metadata (Metadata) and, if the caller set
// one, its deadline; it is also canceled when the connection ends (the
// peer went away, or Close, or Shutdown's ctx ended). As in
// containerd/ttrpc, a panic in a Method is not recovered.
type Method func(ctx context.Context, req []byte) ([]byte, error)

// Server serves unary ttrpc calls on unix sockets.
type Server struct {
	euid uint32 // besides root, the one uid checkPeer admits

	svcMu    sync.RWMutex
	services map[string]map[string]Method

	mu        sync.Mutex
	closed    bool // Shutdown or Close was called: accept nothing new
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	readers   sync.WaitGroup // one per tracked connection, done when its reader ends
	active    int            // calls whose Method has not returned and answer not been written
	drained   chan struct{}  // made by Shutdown; closed once active is 0
}

// NewServer returns a Server with no services.
func NewServer() *Server {
	return &Server{
		euid:      uint32(os.Geteuid()),
		services:  map[string]map[string]Method{},
		listeners: map[net.Listener]struct{}{},
		conns:     map[*serverConn]struct{}{},
	}
}

// Register adds a service's methods; call before Serve. Registering a
// service again adds to its methods (a method already there is replaced).
func (s *Server) Register(service string, methods map[string]Method) {
	s.svcMu.Lock()
	defer s.svcMu.Unlock()
	ms := s.services[service]
	if ms == nil {
		ms = make(map[string]Method, len(methods))
		s.services[service] = ms
	}
	for name, m := range methods {
		ms[name] = m
	}
}

// lookup returns the method service/method, or the Unimplemented status
// containerd/ttrpc answers for an unknown service or method.
func (s *Server) lookup(service, method string) (Method, *Status) {
	s.svcMu.RLock()
	defer s.svcMu.RUnlock()
	ms, ok := s.services[service]
	if !ok {
		return nil, &Status{Code: Unimplemented, Message: "service " + service}
	}
	m, ok := ms[method]
	if !ok {
		return nil, &Status{Code: Unimplemented, Message: "method " + method}
	}
	return m, nil
}

// Serve accepts connections on l until Shutdown or Close; it returns
// ErrServerClosed then, or the accept error (l is closed either way). Each
// connection: frames are read in one goroutine, each request runs in its
// own goroutine, responses are written one at a time. Peers are checked
// with SO_PEERCRED: only uid 0 or this process's effective uid may connect;
// others are closed at once, as are connections that are not unix sockets.
// Serve may be called for several listeners at once.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			if transient(err) {
				// Out of file descriptors or memory: wait, then retry.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		if err := checkPeer(nc, s.euid); err != nil {
			nc.Close()
			continue
		}
		c := newServerConn(s, nc)
		if !s.track(c) {
			nc.Close()
			continue // the next Accept fails: the listener is closed
		}
		go c.serve()
	}
}

// transient reports whether an accept error may pass: the process or
// system is out of file descriptors or memory for now.
func transient(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track adds c to the connections Shutdown and Close close, unless the
// server is closed.
func (s *Server) track(c *serverConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.readers.Add(1)
	return true
}

// untrack is called by c's reader as it ends.
func (s *Server) untrack(c *serverConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.readers.Done()
}

// beginCall counts a call about to run, unless the server is closing.
func (s *Server) beginCall() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.active++
	return true
}

// endCall is called once a call's Method has returned and its answer was
// written (or could not be).
func (s *Server) endCall() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 && s.drained != nil {
		select {
		case <-s.drained:
		default:
			close(s.drained)
		}
	}
}

// stop marks the server closed and closes its listeners (which removes
// their socket files), returning the first close error.
func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	var err error
	for l := range s.listeners {
		if cerr := l.Close(); cerr != nil && err == nil && !errors.Is(cerr, net.ErrClosed) {
			err = cerr
		}
		delete(s.listeners, l)
	}
	return err
}

// closeConns closes every connection and waits for their readers to end.
// Methods still running see their ctx canceled; their answers are dropped.
func (s *Server) closeConns() {
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	s.readers.Wait()
}

// Shutdown stops accepting, lets in-flight calls finish and their responses
// be written (until ctx is done), then closes every connection. It returns
// ctx.Err() if ctx ended first, else the error of closing a listener.
// Requests that arrive meanwhile are answered Unavailable. A Method must not
// wait for Shutdown: Shutdown waits for it.
func (s *Server) Shutdown(ctx context.Context) error {
	lerr := s.stop()
	s.mu.Lock()
	if s.drained == nil {
		s.drained = make(chan struct{})
		if s.active == 0 {
			close(s.drained)
		}
	}
	drained := s.drained
	s.mu.Unlock()

	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
	}
	s.closeConns()
	if err != nil {
		return err
	}
	return lerr
}

// Close stops accepting and closes every connection at once: calls in
// flight are not answered. It returns the error of closing a listener.
func (s *Server) Close() error {
	err := s.stop()
	s.closeConns()
	return err
}
