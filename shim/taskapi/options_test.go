package taskapi

import (
	"bytes"
	"testing"

	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/protobuf"
	"google.golang.org/protobuf/proto"
)

// TestRuntimeOptionsCompat: the options containerd sends (its generated
// type, wrapped in an Any by its typeurl package) decode with ours, and
// ours decode with the generated code.
func TestRuntimeOptionsCompat(t *testing.T) {
	want := &runtimeoptions.Options{TypeUrl: "t", ConfigPath: "/etc/wasmtee.toml", ConfigBody: []byte("cache_dir = \"/c\"")}
	a, err := protobuf.MarshalAnyToProto(want)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := proto.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalAny(wire)
	if err != nil || got.TypeURL != a.GetTypeUrl() || !bytes.Equal(got.Value, a.GetValue()) {
		t.Fatalf("Any: %+v %v, want %s", got, err, a)
	}
	ro, err := UnmarshalRuntimeOptions(got.Value)
	if err != nil || ro.TypeURL != want.TypeUrl || ro.ConfigPath != want.ConfigPath || !bytes.Equal(ro.ConfigBody, want.ConfigBody) {
		t.Fatalf("options: %+v %v, want %v", ro, err, want)
	}
	var back runtimeoptions.Options
	if err := proto.Unmarshal(ro.Marshal(), &back); err != nil || !proto.Equal(&back, want) {
		t.Fatalf("ours decoded officially: %v %v, want %v", &back, err, want)
	}
	if _, err := UnmarshalAny([]byte{0x0a, 0x05, 'x'}); err == nil {
		t.Fatal("truncated Any decoded")
	}
	if _, err := UnmarshalRuntimeOptions([]byte{0x12, 0x01, 0xff}); err == nil {
		t.Fatal("invalid UTF-8 in config_path decoded")
	}
}

// TestStatusNames: Status.String gives the generated enum's names.
func TestStatusNames(t *testing.T) {
	for v, name := range task.Status_name {
		if got := Status(v).String(); got != name {
			t.Errorf("Status(%d) = %q, want %q", v, got, name)
		}
	}
}
