package ttrpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The tests in this file send a server frames a well-behaved client never
// sends.

func TestOversizedRequestAnsweredLikeLib(t *testing.T) {
	s := NewServer()
	s.Register(testService, testMethods())
	ours := serve(t, s)
	lib := serveLib(t, libMethods())

	type answer struct {
		stream uint32
		code   Code
		msg    string
	}
	var got [2]answer
	for i, path := range []string{ours, lib} {
		c := rawDial(t, path)
		go writeOversized(c.nc, 1, typeRequest)
		stream, code, msg, _ := c.response()
		got[i] = answer{stream, code, msg}
		// The connection is still in step: a call on it works.
		c.sendRequest(3, "Upper", strBytes("still here"))
		stream, code, msg, payload := c.response()
		if v, _ := str(payload); stream != 3 || code != OK || v != "STILL HERE" {
			t.Errorf("server %d: after the oversized frame: stream %d %v %q %q", i, stream, code, msg, v)
		}
	}
	want := answer{1, ResourceExhausted, "message length 4194305 exceed maximum message size of 4194304"}
	if got[0] != want {
		t.Errorf("our server answered %+v, want %+v", got[0], want)
	}
	if got[1] != want {
		t.Errorf("containerd/ttrpc answered %+v, want %+v", got[1], want)
	}
}

func TestOversizedResponseAnsweredResourceExhausted(t *testing.T) {
	s := NewServer()
	s.Register(testService, map[string]Method{
		"Big": func(ctx context.Context, req []byte) ([]byte, error) { return make([]byte, maxData), nil },
	})
	c := dial(t, serve(t, s))
	_, err := c.Call(context.Background(), testService, "Big", nil)
	var st *Status
	if !errors.As(err, &st) || st.Code != ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
}

func TestClientOversizedRequestNotSent(t *testing.T) {
	c := dial(t, serveLib(t, libMethods()))
	_, err := c.Call(context.Background(), testService, "Upper", make([]byte, maxData))
	var st *Status
	if !errors.As(err, &st) || st.Code != ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
	if _, err := c.Call(context.Background(), testService, "Upper", nil); err != nil {
		t.Fatalf("after an oversized request: %v", err)
	}
}

// TestClientOversizedResponse has a fake server answer the first call with a
// frame over the limit and the second with a good one.
func TestClientOversizedResponse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fake.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		r := bufio.NewReader(nc)
		h, _, err := readFrame(r)
		if err != nil {
			return
		}
		writeOversized(nc, h.stream, typeResponse)
		h, _, err = readFrame(r)
		if err != nil {
			return
		}
		writeFrame(nc, h.stream, typeResponse, 0, appendResponse(nil, OK, "", []byte("fine")))
		readFrame(r) // until the client closes
	}()
	c := dial(t, path)
	_, err = c.Call(context.Background(), testService, "Any", nil)
	var st *Status
	if !errors.As(err, &st) || st.Code != ResourceExhausted {
		t.Fatalf("got %v, want ResourceExhausted", err)
	}
	out, err := c.Call(context.Background(), testService, "Any", nil)
	if err != nil || string(out) != "fine" {
		t.Fatalf("after an oversized response: %q, %v", out, err)
	}
}

// TestUnsupportedFramesAnswered checks each frame the server does not serve
// gets an error status on its stream, and the connection goes on.
func TestUnsupportedFramesAnswered(t *testing.T) {
	s := NewServer()
	s.Register(testService, testMethods())
	c := rawDial(t, serve(t, s))
	for _, tc := range []struct {
		name   string
		send   func()
		stream uint32
		code   Code
	}{
		{"not protobuf", func() { c.send(1, typeRequest, 0, []byte{0xff, 0xff, 0xff}) }, 1, InvalidArgument},
		{"even stream", func() { c.sendRequest(4, "Upper", nil) }, 4, InvalidArgument},
		{"data frame", func() { c.send(5, typeData, 0, []byte("x")) }, 5, Unimplemented},
		{"response frame", func() { c.send(7, typeResponse, 0, nil) }, 7, Unimplemented},
		{"unknown type", func() { c.send(9, msgType(0x7f), 0, []byte("?")) }, 9, Unimplemented},
		{"client streaming", func() {
			c.send(11, typeRequest, flagRemoteOpen, appendRequest(nil, &request{service: testService, method: "Upper"}))
		}, 11, Unimplemented},
		{"stream id not increasing", func() { c.sendRequest(3, "Upper", nil) }, 3, InvalidArgument},
	} {
		tc.send()
		stream, code, msg, _ := c.response()
		if stream != tc.stream || code != tc.code || msg == "" {
			t.Errorf("%s: answered stream %d %v %q, want stream %d %v", tc.name, stream, code, msg, tc.stream, tc.code)
		}
	}
	c.sendRequest(13, "Upper", strBytes("ok"))
	if stream, code, _, payload := c.response(); stream != 13 || code != OK || string(payload) != string(strBytes("OK")) {
		t.Errorf("after the bad frames: stream %d %v %q", stream, code, payload)
	}
	c.quiet(50 * time.Millisecond)
}

// TestDataFrameOnCallInFlight checks a data frame on a running call's stream
// answers that call (once: the handler's own answer is dropped).
func TestDataFrameOnCallInFlight(t *testing.T) {
	g := newGate()
	defer g.open()
	s := NewServer()
	s.Register(testService, map[string]Method{
		"Block": g.block([]byte("late")),
		"Echo":  echo,
	})
	c := rawDial(t, serve(t, s))
	c.sendRequest(1, "Block", nil)
	g.waitEntered(t)
	c.send(1, typeData, 0, []byte("more"))
	if stream, code, _, _ := c.response(); stream != 1 || code != Unimplemented {
		t.Fatalf("data frame on a call in flight: stream %d %v", stream, code)
	}
	g.open()
	c.quiet(100 * time.Millisecond) // the handler's answer is not sent
	c.sendRequest(3, "Echo", []byte("next"))
	if stream, code, _, payload := c.response(); stream != 3 || code != OK || string(payload) != "next" {
		t.Fatalf("next call: stream %d %v %q", stream, code, payload)
	}
}

// TestGarbageClosesOnlyThatConnection sends garbage and half frames on
// connections and closes them; the server must not panic, must end those
// connections and their goroutines, and must go on serving another
// connection.
func TestGarbageClosesOnlyThatConnection(t *testing.T) {
	s := NewServer()
	s.Register(testService, testMethods())
	p := serve(t, s)
	good := dial(t, p)
	if _, err := good.Call(context.Background(), testService, "Upper", nil); err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()

	garbage := [][]byte{
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), // a huge length: read past until EOF
		{0, 0, 0, 20, 0, 0, 0, 1, 1, 0, 0xde, 0xad}, // a frame cut short
		{0, 0, 0}, // a header cut short
		bytes.Repeat([]byte{0xff}, 64),
	}
	for _, g := range garbage {
		nc, err := net.Dial("unix", p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(g); err != nil {
			t.Fatal(err)
		}
		nc.(*net.UnixConn).CloseWrite()
		// The server ends the connection: reading sees EOF, not a hang.
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var buf [64]byte
		for {
			_, err := nc.Read(buf[:])
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Fatalf("garbage %q: the server kept the connection open", g)
				}
				break
			}
		}
		nc.Close()
	}
	waitGoroutines(t, base)
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d connections tracked, want 1 (the good one)", n)
	}
	out, err := good.Call(context.Background(), testService, "Upper", strBytes("alive"))
	if v, _ := str(out); err != nil || v != "ALIVE" {
		t.Fatalf("the good connection after garbage on others: %q, %v", v, err)
	}
}
