package ttrpc

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	ttrpclib "github.com/containerd/ttrpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// testService is the service name the tests register.
const testService = "wasmtee.test.v1.Test"

// serve starts s on a new unix socket in a temporary directory and returns
// its path. At cleanup s is closed and Serve must have returned
// ErrServerClosed.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(l) }()
	t.Cleanup(func() {
		closed := make(chan struct{})
		go func() {
			s.Close()
			close(closed)
		}()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Error("Close did not return")
			return
		}
		select {
		case err := <-errc:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
	})
	return path
}

// serveLib starts containerd/ttrpc's server with handlers on a new unix
// socket and returns its path.
func serveLib(t *testing.T, methods map[string]ttrpclib.Method) string {
	t.Helper()
	s, err := ttrpclib.NewServer()
	if err != nil {
		t.Fatal(err)
	}
	s.Register(testService, methods)
	path := filepath.Join(t.TempDir(), "l.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(context.Background(), l)
	t.Cleanup(func() { s.Close() })
	return path
}

// libClient connects containerd/ttrpc's client to path.
func libClient(t *testing.T, path string) *ttrpclib.Client {
	t.Helper()
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	c := ttrpclib.NewClient(nc)
	t.Cleanup(func() { c.Close() })
	return c
}

// dial connects this package's Client to path.
func dial(t *testing.T, path string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, "unix://"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func marshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// str decodes a StringValue payload (in handlers, where t is not at hand).
func str(p []byte) (string, error) {
	var v wrapperspb.StringValue
	if err := proto.Unmarshal(p, &v); err != nil {
		return "", err
	}
	return v.Value, nil
}

func strBytes(s string) []byte {
	b, err := proto.Marshal(wrapperspb.String(s))
	if err != nil {
		panic(err)
	}
	return b
}

// testMethods are the methods of the test service, for this package's
// Server:
//
//	Upper    StringValue -> StringValue upper-cased
//	Meta     StringValue key -> StringValue: the request metadata's values
//	         of key, joined with ","; "<none>" without metadata
//	Deadline Empty -> Int64Value: ns left until the ctx deadline, -1 if none
//	Fail     StringValue kind -> error: "status", "wrapped", "plain"
func testMethods() map[string]Method {
	return map[string]Method{
		"Upper": func(ctx context.Context, req []byte) ([]byte, error) {
			s, err := str(req)
			if err != nil {
				return nil, err
			}
			return strBytes(strings.ToUpper(s)), nil
		},
		"Meta": func(ctx context.Context, req []byte) ([]byte, error) {
			key, err := str(req)
			if err != nil {
				return nil, err
			}
			md := Metadata(ctx)
			if md == nil {
				return strBytes("<none>"), nil
			}
			first, _ := md.Get(key)
			return strBytes(first + "|" + strings.Join(md[key], ",")), nil
		},
		"Deadline": func(ctx context.Context, req []byte) ([]byte, error) {
			left := int64(-1)
			if dl, ok := ctx.Deadline(); ok {
				left = int64(time.Until(dl))
			}
			return proto.Marshal(wrapperspb.Int64(left))
		},
		"Fail": func(ctx context.Context, req []byte) ([]byte, error) {
			kind, err := str(req)
			if err != nil {
				return nil, err
			}
			switch kind {
			case "status":
				return nil, &Status{Code: NotFound, Message: `container "c1" not found`}
			case "wrapped":
				return nil, fmt.Errorf("create: %w", &Status{Code: AlreadyExists, Message: "exists"})
			case "plain":
				return nil, errors.New("plain failure")
			}
			return nil, nil
		},
	}
}

// rawConn is a connection to a server spoken to frame by frame.
type rawConn struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func rawDial(t *testing.T, path string) *rawConn {
	t.Helper()
	nc, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, r: bufio.NewReader(nc)}
}

func (c *rawConn) send(stream uint32, typ msgType, flags uint8, p []byte) {
	c.t.Helper()
	if err := writeFrame(c.nc, stream, typ, flags, p); err != nil {
		c.t.Fatal(err)
	}
}

// sendRequest sends a request frame for the test service's method.
func (c *rawConn) sendRequest(stream uint32, method string, payload []byte) {
	c.t.Helper()
	c.send(stream, typeRequest, 0, appendRequest(nil, &request{service: testService, method: method, payload: payload}))
}

// response reads the next frame, which must be a response, and decodes it.
func (c *rawConn) response() (stream uint32, code Code, msg string, payload []byte) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, p, err := readFrame(c.r)
	if err != nil {
		c.t.Fatalf("reading a response: %v", err)
	}
	if h.typ != typeResponse {
		c.t.Fatalf("got a %s frame, want a response", h.typ)
	}
	code, msg, payload, err = parseResponse(p)
	if err != nil {
		c.t.Fatal(err)
	}
	return h.stream, code, msg, payload
}

// quiet checks that nothing arrives within d.
func (c *rawConn) quiet(d time.Duration) {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(d))
	h, _, err := readFrame(c.r)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("got frame %+v (err %v), want nothing", h, err)
	}
	c.nc.SetReadDeadline(time.Time{})
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// gate lets a test hold handlers and know when they arrived.
type gate struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func newGate() *gate {
	return &gate{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("handler not entered")
	}
}

// block is a Method that reports it was entered, waits for the gate to
// open and answers out.
func (g *gate) block(out []byte) Method {
	return func(ctx context.Context, req []byte) ([]byte, error) {
		g.entered <- struct{}{}
		<-g.release
		return out, nil
	}
}

// echo is a Method answering its request.
func echo(ctx context.Context, req []byte) ([]byte, error) { return req, nil }

// writeOversized writes a frame of maxData+1 zero bytes on stream, header
// and data written raw: writeFrame refuses to.
func writeOversized(w io.Writer, stream uint32, t msgType) {
	var hb [headerLen]byte
	binary.BigEndian.PutUint32(hb[0:4], maxData+1)
	binary.BigEndian.PutUint32(hb[4:8], stream)
	hb[8] = byte(t)
	w.Write(hb[:])
	w.Write(make([]byte, maxData+1))
}
