package ttrpc

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	ttrpclib "github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// blockingServer serves "Block" (waits for g, answers "done") and "Wait"
// (waits for its ctx to end, reports it on canceled) on a socket it
// returns, with the error Serve returned.
func blockingServer(t *testing.T, g *gate, canceled chan<- error) (*Server, string, <-chan error) {
	s := NewServer()
	s.Register(testService, map[string]Method{
		"Block": g.block(strBytes("done")),
		"Wait": func(ctx context.Context, req []byte) ([]byte, error) {
			g.entered <- struct{}{}
			<-ctx.Done()
			canceled <- ctx.Err()
			return nil, ctx.Err()
		},
	})
	path := filepath.Join(t.TempDir(), "s.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	return s, path, served
}

func TestShutdownWaitsForCallInFlight(t *testing.T) {
	g := newGate()
	defer g.open()
	s, path, served := blockingServer(t, g, nil)
	c := libClient(t, path)

	type reply struct {
		value string
		err   error
	}
	replied := make(chan reply, 1)
	go func() {
		var resp wrapperspb.StringValue
		err := c.Call(context.Background(), testService, "Block", wrapperspb.String(""), &resp)
		replied <- reply{resp.Value, err}
	}()
	g.waitEntered(t)

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()

	// Serve returns at once: nothing more is accepted.
	select {
	case err := <-served:
		if !errors.Is(err, ErrServerClosed) {
			t.Fatalf("Serve returned %v, want ErrServerClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return on Shutdown")
	}
	if nc, err := net.Dial("unix", path); err == nil {
		nc.Close()
		t.Fatal("a new connection was accepted after Shutdown")
	}
	// A new request on the open connection is refused, not served.
	var resp wrapperspb.StringValue
	err := c.Call(context.Background(), testService, "Block", wrapperspb.String(""), &resp)
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable {
		t.Fatalf("call during Shutdown: got %v, want Unavailable", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a call was in flight", err)
	case r := <-replied:
		t.Fatalf("the call in flight returned early: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}

	g.open()
	select {
	case r := <-replied:
		if r.err != nil || r.value != "done" {
			t.Fatalf("call in flight during Shutdown: %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight got no answer")
	}
	select {
	case err := <-shut:
		if err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown did not return after the call finished")
	}
	// Shutdown closed the connection.
	if err := c.Call(context.Background(), testService, "Block", wrapperspb.String(""), &resp); !errors.Is(err, ttrpclib.ErrClosed) {
		t.Fatalf("call after Shutdown: got %v, want ttrpc.ErrClosed", err)
	}
	// Serving again is refused.
	l, err := net.Listen("unix", filepath.Join(t.TempDir(), "again.sock"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(l); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

func TestShutdownContextEnds(t *testing.T) {
	g := newGate()
	canceled := make(chan error, 1)
	s, path, served := blockingServer(t, g, canceled)
	c := libClient(t, path)
	callErr := make(chan error, 1)
	go func() {
		var resp wrapperspb.StringValue
		callErr <- c.Call(context.Background(), testService, "Wait", wrapperspb.String(""), &resp)
	}()
	g.waitEntered(t)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: got %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("Shutdown returned after %v, before its ctx ended", d)
	}
	// The connection was closed: the call fails, its handler's ctx ends.
	select {
	case err := <-callErr:
		if !errors.Is(err, ttrpclib.ErrClosed) {
			t.Fatalf("call: got %v, want ttrpc.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the call did not end when Shutdown closed its connection")
	}
	select {
	case err := <-canceled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("handler's ctx ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's ctx was not canceled")
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
}

func TestShutdownIdle(t *testing.T) {
	g := newGate()
	s, path, served := blockingServer(t, g, nil)
	c := dial(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown of an idle server took %v", d)
	}
	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v", err)
	}
	if _, err := c.Call(ctx, testService, "Block", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("call after Shutdown: got %v, want ErrClosed", err)
	}
	if _, err := Dial(ctx, path); err == nil {
		t.Fatal("Dial succeeded after Shutdown")
	}
}
