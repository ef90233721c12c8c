package ttrpc

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	ttrpclib "github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The tests in this file call containerd/ttrpc's server with this package's
// Client, as a shim calls containerd's events service.

// libMethods are the test service's methods for containerd/ttrpc's server:
//
//	Upper    StringValue -> StringValue upper-cased
//	Meta     StringValue key -> StringValue: the metadata's values of key
//	Deadline Empty -> Int64Value: ns left until the deadline, -1 if none
//	Fail     StringValue code number -> that grpc status, message "failed"
func libMethods() map[string]ttrpclib.Method {
	return map[string]ttrpclib.Method{
		"Upper": func(ctx context.Context, unmarshal func(any) error) (any, error) {
			var req wrapperspb.StringValue
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			return wrapperspb.String(strings.ToUpper(req.Value)), nil
		},
		"Meta": func(ctx context.Context, unmarshal func(any) error) (any, error) {
			var req wrapperspb.StringValue
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			md, ok := ttrpclib.GetMetadata(ctx)
			if !ok {
				return wrapperspb.String("<none>"), nil
			}
			return wrapperspb.String(strings.Join(md[req.Value], ",")), nil
		},
		"Deadline": func(ctx context.Context, unmarshal func(any) error) (any, error) {
			left := int64(-1)
			if dl, ok := ctx.Deadline(); ok {
				left = int64(time.Until(dl))
			}
			return wrapperspb.Int64(left), nil
		},
		"Fail": func(ctx context.Context, unmarshal func(any) error) (any, error) {
			var req wrapperspb.Int32Value
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			return nil, status.Error(codes.Code(req.Value), "failed")
		},
	}
}

func TestClientRoundTripWithLibServer(t *testing.T) {
	c := dial(t, serveLib(t, libMethods()))
	out, err := c.Call(context.Background(), testService, "Upper", marshal(t, wrapperspb.String("event")))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := str(out); got != "EVENT" {
		t.Fatalf("got %q", got)
	}
}

func TestClientMetadataToLibServer(t *testing.T) {
	c := dial(t, serveLib(t, libMethods()))
	ctx := WithMetadata(context.Background(), MD{"containerd-namespace-ttrpc": {"default"}, "multi": {"x", "y"}})
	for key, want := range map[string]string{"containerd-namespace-ttrpc": "default", "multi": "x,y"} {
		out, err := c.Call(ctx, testService, "Meta", marshal(t, wrapperspb.String(key)))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := str(out); got != want {
			t.Errorf("server saw %q = %q, want %q", key, got, want)
		}
	}
	out, err := c.Call(context.Background(), testService, "Meta", marshal(t, wrapperspb.String("multi")))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := str(out); got != "<none>" {
		t.Errorf("without metadata the server saw %q", got)
	}
}

func TestClientDeadlineToLibServer(t *testing.T) {
	c := dial(t, serveLib(t, libMethods()))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := c.Call(ctx, testService, "Deadline", nil)
	if err != nil {
		t.Fatal(err)
	}
	var left wrapperspb.Int64Value
	if err := proto.Unmarshal(out, &left); err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(left.Value); d <= 15*time.Second || d > 20*time.Second {
		t.Errorf("server's deadline is %v away, want about 20s", d)
	}
}

func TestClientStatusFromLibServer(t *testing.T) {
	c := dial(t, serveLib(t, libMethods()))
	for code := Canceled; code <= Unauthenticated; code++ {
		_, err := c.Call(context.Background(), testService, "Fail", marshal(t, wrapperspb.Int32(int32(code))))
		var st *Status
		if !errors.As(err, &st) || st.Code != code || st.Message != "failed" {
			t.Errorf("code %v: got %#v", code, err)
		}
	}
	_, err := c.Call(context.Background(), testService, "Nope", nil)
	var st *Status
	if !errors.As(err, &st) || st.Code != Unimplemented || st.Message != "method Nope" {
		t.Errorf("unknown method: got %#v", err)
	}
	// The connection is still good.
	if _, err := c.Call(context.Background(), testService, "Upper", nil); err != nil {
		t.Fatal(err)
	}
}

func TestClientConcurrentCallsToLibServer(t *testing.T) {
	c := dial(t, serveLib(t, libMethods()))
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := fmt.Sprintf("call-%d", i)
			out, err := c.Call(context.Background(), testService, "Upper", strBytes(in))
			if err != nil {
				errs <- err
				return
			}
			if got, _ := str(out); got != strings.ToUpper(in) {
				errs <- fmt.Errorf("call %d got %q", i, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestClientWithOwnServer runs this package's Client against its Server.
func TestClientWithOwnServer(t *testing.T) {
	s := NewServer()
	s.Register(testService, testMethods())
	c := dial(t, serve(t, s))
	ctx := WithMetadata(context.Background(), MD{"k": {"v1", "v2"}})
	out, err := c.Call(ctx, testService, "Meta", strBytes("k"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := str(out); got != "v1|v1,v2" {
		t.Errorf("Meta: got %q", got)
	}
	_, err = c.Call(ctx, testService, "Fail", strBytes("wrapped"))
	var st *Status
	if !errors.As(err, &st) || st.Code != AlreadyExists || st.Message != "create: exists" {
		t.Errorf("Fail: got %#v", err)
	}
	out, err = c.Call(ctx, testService, "Deadline", marshal(t, &emptypb.Empty{}))
	if err != nil {
		t.Fatal(err)
	}
	var left wrapperspb.Int64Value
	if err := proto.Unmarshal(out, &left); err != nil || left.Value != -1 {
		t.Errorf("Deadline: got %v, %v", left.Value, err)
	}
}

// TestClientContextEnds checks a call whose ctx ends returns ctx.Err() and
// leaves the client usable, and that a ctx already past its deadline sends
// nothing.
func TestClientContextEnds(t *testing.T) {
	g := newGate()
	s := NewServer()
	s.Register(testService, map[string]Method{
		"Block": g.block(nil),
		"Echo":  echo,
	})
	c := dial(t, serve(t, s))
	defer g.open()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, testService, "Block", nil)
		errc <- err
	}()
	g.waitEntered(t)
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Call did not return when its ctx was canceled")
	}
	g.open() // the late answer is dropped
	out, err := c.Call(context.Background(), testService, "Echo", []byte("again"))
	if err != nil || string(out) != "again" {
		t.Fatalf("after a canceled call: %q, %v", out, err)
	}
	past, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := c.Call(past, testService, "Echo", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired ctx: got %v", err)
	}
}

// TestClientClosed checks calls fail with ErrClosed after Close, and a call
// in flight fails when the server goes away.
func TestClientClosed(t *testing.T) {
	g := newGate()
	defer g.open()
	s := NewServer()
	s.Register(testService, map[string]Method{
		"Block": g.block(nil),
	})
	path := serve(t, s)
	c := dial(t, path)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), testService, "Block", nil)
		errc <- err
	}()
	g.waitEntered(t)
	s.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("in flight when the server closed: got %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Call did not return when the server closed")
	}
	c2 := dial(t, serveLib(t, libMethods()))
	if err := c2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Call(context.Background(), testService, "Upper", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: got %v, want ErrClosed", err)
	}
}
