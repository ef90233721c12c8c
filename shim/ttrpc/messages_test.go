package ttrpc

import (
	"bytes"
	"slices"
	"testing"

	ttrpclib "github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// The tests in this file check the protobuf encodings against
// containerd/ttrpc's generated Request and Response types.

// libMD groups a library Request's metadata by key.
func libMD(r *ttrpclib.Request) MD {
	var md MD
	for _, kv := range r.Metadata {
		if md == nil {
			md = MD{}
		}
		md[kv.Key] = append(md[kv.Key], kv.Value)
	}
	return md
}

func sameMD(a, b MD) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || !slices.Equal(v, w) {
			return false
		}
	}
	return true
}

func TestRequestEncodingMatchesLib(t *testing.T) {
	ours := request{
		service:     "containerd.task.v2.Task",
		method:      "Create",
		payload:     []byte{1, 2, 3, 0, 255},
		timeoutNano: 1234567890123,
		md:          MD{"containerd-namespace-ttrpc": {"k8s.io"}, "multi": {"a", "", "c"}, "": {"empty key"}},
	}
	var lib ttrpclib.Request
	if err := proto.Unmarshal(appendRequest(nil, &ours), &lib); err != nil {
		t.Fatal(err)
	}
	if lib.Service != ours.service || lib.Method != ours.method || !bytes.Equal(lib.Payload, ours.payload) ||
		lib.TimeoutNano != ours.timeoutNano || !sameMD(libMD(&lib), ours.md) {
		t.Fatalf("containerd/ttrpc decoded %v", &lib)
	}

	b := marshal(t, &ttrpclib.Request{
		Service:     "containerd.services.events.ttrpc.v1.Events",
		Method:      "Forward",
		Payload:     []byte("event"),
		TimeoutNano: -5, // a deadline already past, as the library sends it
		Metadata:    []*ttrpclib.KeyValue{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}, {Key: "x", Value: "y"}},
	})
	got, err := parseRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.service != "containerd.services.events.ttrpc.v1.Events" || got.method != "Forward" ||
		string(got.payload) != "event" || got.timeoutNano != -5 || !sameMD(got.md, MD{"k": {"1", "2"}, "x": {"y"}}) {
		t.Fatalf("parsed %+v", got)
	}
}

func TestResponseEncodingMatchesLib(t *testing.T) {
	for _, tc := range []struct {
		code    Code
		msg     string
		payload []byte
	}{
		{OK, "", []byte("answer")},
		{OK, "", nil},
		{NotFound, "container c1: not found", nil},
		{Unauthenticated, "", nil},
	} {
		var lib ttrpclib.Response
		if err := proto.Unmarshal(appendResponse(nil, tc.code, tc.msg, tc.payload), &lib); err != nil {
			t.Fatal(err)
		}
		if lib.Status == nil || lib.Status.Code != int32(tc.code) || lib.Status.Message != tc.msg || !bytes.Equal(lib.Payload, tc.payload) {
			t.Errorf("%v %q: containerd/ttrpc decoded %v", tc.code, tc.msg, &lib)
		}
	}

	// A status with details (which are skipped), as grpc builds them.
	st, err := status.New(codes.FailedPrecondition, "not running").WithDetails(wrapperspb.String("detail"))
	if err != nil {
		t.Fatal(err)
	}
	code, msg, payload, err := parseResponse(marshal(t, &ttrpclib.Response{Status: st.Proto(), Payload: []byte("p")}))
	if err != nil || code != FailedPrecondition || msg != "not running" || string(payload) != "p" {
		t.Fatalf("parsed %v %q %q %v", code, msg, payload, err)
	}
	// No status at all is OK.
	code, _, _, err = parseResponse(marshal(t, &ttrpclib.Response{Payload: []byte("p")}))
	if err != nil || code != OK {
		t.Fatalf("without a status: %v %v", code, err)
	}
}

// FuzzParseRequest checks parseRequest agrees with proto.Unmarshal into the
// library's Request on every input proto accepts, and accepts no input
// proto rejects except for invalid UTF-8 in strings, which it need not check.
func FuzzParseRequest(f *testing.F) {
	f.Add(appendRequest(nil, &request{service: "s", method: "m", payload: []byte("p"), timeoutNano: 9, md: MD{"k": {"v"}}}))
	f.Add([]byte{0x0a, 0x80})
	f.Add([]byte{0x22, 0x00, 0x2a, 0x02, 0x08, 0x01})
	f.Add([]byte{0x0b, 0x0c})
	f.Fuzz(func(t *testing.T, b []byte) {
		ours, err := parseRequest(b)
		var lib ttrpclib.Request
		libErr := proto.Unmarshal(b, &lib)
		if libErr != nil {
			return // proto may reject what we accept (invalid UTF-8)
		}
		if err != nil {
			t.Fatalf("parseRequest: %v; proto accepted %v", err, &lib)
		}
		if ours.service != lib.Service || ours.method != lib.Method || !bytes.Equal(ours.payload, lib.Payload) ||
			ours.timeoutNano != lib.TimeoutNano || !sameMD(ours.md, libMD(&lib)) {
			t.Fatalf("parsed %+v, proto %v", ours, &lib)
		}
	})
}

// FuzzParseResponse checks parseResponse agrees with proto.Unmarshal into
// the library's Response.
func FuzzParseResponse(f *testing.F) {
	f.Add(appendResponse(nil, NotFound, "m", []byte("p")))
	f.Add([]byte{0x0a, 0x02, 0x08, 0x05, 0x0a, 0x03, 0x12, 0x01, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		code, msg, payload, err := parseResponse(b)
		var lib ttrpclib.Response
		if proto.Unmarshal(b, &lib) != nil {
			return
		}
		if err != nil {
			t.Fatalf("parseResponse: %v; proto accepted %v", err, &lib)
		}
		if code != Code(uint32(lib.GetStatus().GetCode())) || msg != lib.GetStatus().GetMessage() || !bytes.Equal(payload, lib.Payload) {
			t.Fatalf("parsed %v %q %q, proto %v", code, msg, payload, &lib)
		}
	})
}
