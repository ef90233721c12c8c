package ttrpc

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ttrpclib "github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The tests in this file call this package's Server with containerd/ttrpc's
// client, as containerd calls a shim.

func newTestServer(t *testing.T) (*ttrpclib.Client, string) {
	s := NewServer()
	s.Register(testService, testMethods())
	path := serve(t, s)
	return libClient(t, path), path
}

func TestServerRoundTripWithLibClient(t *testing.T) {
	c, _ := newTestServer(t)
	var resp wrapperspb.StringValue
	if err := c.Call(context.Background(), testService, "Upper", wrapperspb.String("hello, shim"), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Value != "HELLO, SHIM" {
		t.Fatalf("got %q", resp.Value)
	}
	// An empty request and an empty answer are empty payloads.
	if err := c.Call(context.Background(), testService, "Upper", &emptypb.Empty{}, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Value != "" {
		t.Fatalf("got %q for an empty request", resp.Value)
	}
}

func TestServerMetadataFromLibClient(t *testing.T) {
	c, _ := newTestServer(t)
	ctx := ttrpclib.WithMetadata(context.Background(), ttrpclib.MD{
		"containerd-namespace-ttrpc": {"k8s.io"},
		"multi":                      {"a", "b", "c"},
	})
	for key, want := range map[string]string{
		"containerd-namespace-ttrpc": "k8s.io|k8s.io",
		"multi":                      "a|a,b,c",
		"absent":                     "|",
	} {
		var resp wrapperspb.StringValue
		if err := c.Call(ctx, testService, "Meta", wrapperspb.String(key), &resp); err != nil {
			t.Fatal(err)
		}
		if resp.Value != want {
			t.Errorf("metadata %q: handler saw %q, want %q", key, resp.Value, want)
		}
	}
	var resp wrapperspb.StringValue
	if err := c.Call(context.Background(), testService, "Meta", wrapperspb.String("multi"), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Value != "<none>" {
		t.Errorf("without metadata the handler saw %q", resp.Value)
	}
}

func TestServerDeadlineFromLibClient(t *testing.T) {
	c, _ := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var left wrapperspb.Int64Value
	if err := c.Call(ctx, testService, "Deadline", &emptypb.Empty{}, &left); err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(left.Value); d <= 25*time.Second || d > 30*time.Second {
		t.Errorf("handler's deadline is %v away, want about 30s", d)
	}
	if err := c.Call(context.Background(), testService, "Deadline", &emptypb.Empty{}, &left); err != nil {
		t.Fatal(err)
	}
	if left.Value != -1 {
		t.Errorf("handler has a deadline %v away, want none", time.Duration(left.Value))
	}
}

func TestServerStatusesToLibClient(t *testing.T) {
	c, _ := newTestServer(t)
	for _, tc := range []struct {
		service, method, arg string
		code                 codes.Code
		msg                  string
	}{
		{testService, "Nope", "", codes.Unimplemented, "method Nope"},
		{"no.such.Service", "Upper", "", codes.Unimplemented, "service no.such.Service"},
		{testService, "Fail", "status", codes.NotFound, `container "c1" not found`},
		{testService, "Fail", "wrapped", codes.AlreadyExists, "create: exists"},
		{testService, "Fail", "plain", codes.Unknown, "plain failure"},
	} {
		var resp wrapperspb.StringValue
		err := c.Call(context.Background(), tc.service, tc.method, wrapperspb.String(tc.arg), &resp)
		st, ok := status.FromError(err)
		if !ok || st.Code() != tc.code || st.Message() != tc.msg {
			t.Errorf("%s/%s(%q): got %v, want %v %q", tc.service, tc.method, tc.arg, err, tc.code, tc.msg)
		}
	}
}

func TestServerConcurrentCallsOneConnection(t *testing.T) {
	const n = 64
	all := make(chan struct{})
	var once sync.Once
	var count int
	var mu sync.Mutex
	s := NewServer()
	s.Register(testService, map[string]Method{
		"Upper": func(ctx context.Context, req []byte) ([]byte, error) {
			// Every call waits until all n are running at once: calls
			// served one after another would never get there.
			mu.Lock()
			count++
			if count == n {
				once.Do(func() { close(all) })
			}
			mu.Unlock()
			select {
			case <-all:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			v, err := str(req)
			if err != nil {
				return nil, err
			}
			return strBytes("<" + v + ">"), nil
		},
	})
	c := libClient(t, serve(t, s))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf("call-%d", i)
			var resp wrapperspb.StringValue
			if err := c.Call(ctx, testService, "Upper", wrapperspb.String(want), &resp); err != nil {
				errs <- err
				return
			}
			if resp.Value != "<"+want+">" {
				errs <- fmt.Errorf("call %d got %q", i, resp.Value)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
