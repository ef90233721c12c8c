package taskapi

import (
	"bytes"
	"testing"

	"github.com/containerd/containerd/api/types"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// TestRuntimeInfo checks MarshalRuntimeInfo against the official
// RuntimeInfo, as the shim's writeInfo filled it.
func TestRuntimeInfo(t *testing.T) {
	for _, c := range []struct{ name, version string }{
		{"io.containerd.wasmtee.v1", "v1.2.3"},
		{"io.containerd.wasmtee.v1", ""},
		{long, long},
	} {
		want := &types.RuntimeInfo{Name: c.name, Version: &types.RuntimeVersion{Version: c.version}}
		var got types.RuntimeInfo
		if err := proto.Unmarshal(MarshalRuntimeInfo(c.name, c.version), &got); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&got, want) {
			t.Errorf("got %v, want %v", &got, want)
		}
	}
}

// TestBytesValue checks MarshalBytesValue and UnmarshalBytesValue against
// the official BytesValue, both ways.
func TestBytesValue(t *testing.T) {
	for _, v := range [][]byte{nil, {0}, []byte(`{"nonce":"x"}`), huge} {
		var got wrapperspb.BytesValue
		if err := proto.Unmarshal(MarshalBytesValue(v), &got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.GetValue(), v) || len(got.ProtoReflect().GetUnknown()) != 0 {
			t.Errorf("ours -> official: got %q, want %q", got.GetValue(), v)
		}
		b, err := proto.Marshal(wrapperspb.Bytes(v))
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalBytesValue(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, v) {
			t.Errorf("official -> ours: got %q, want %q", back, v)
		}
	}
	if _, err := UnmarshalBytesValue([]byte{0x0a, 0x05, 1}); err == nil {
		t.Error("truncated BytesValue decoded without error")
	}
}
