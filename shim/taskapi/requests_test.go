package taskapi

import (
	"testing"

	"github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types"
	"google.golang.org/protobuf/types/known/anypb"
)

// requestPairs gives every request filled in full.
func requestPairs() []pair {
	opts := &Any{TypeURL: "example.com/Options", Value: []byte{1, 2, 3}}
	res := &Any{TypeURL: "example.com/Resources", Value: huge}
	return []pair{
		{
			name: "CreateTaskRequest",
			mine: &CreateTaskRequest{
				ID: "id", Bundle: "/bundle",
				Rootfs: []*Mount{
					{Type: "overlay", Source: "src", Target: "/t", Options: []string{"ro", long, "lowerdir=x"}},
					{Type: "bind", Source: "s2", Target: "/t2", Options: []string{"rbind"}},
				},
				Terminal: true, Stdin: "/in", Stdout: "/out", Stderr: "/err",
				Checkpoint: "ckpt", ParentCheckpoint: "parent", Options: opts,
			},
			official: &task.CreateTaskRequest{
				ID: "id", Bundle: "/bundle",
				Rootfs: []*types.Mount{
					{Type: "overlay", Source: "src", Target: "/t", Options: []string{"ro", long, "lowerdir=x"}},
					{Type: "bind", Source: "s2", Target: "/t2", Options: []string{"rbind"}},
				},
				Terminal: true, Stdin: "/in", Stdout: "/out", Stderr: "/err",
				Checkpoint: "ckpt", ParentCheckpoint: "parent", Options: officialAny(opts),
			},
			full: true,
		},
		{
			name:     "StartRequest",
			mine:     &StartRequest{ID: "id", ExecID: "exec"},
			official: &task.StartRequest{ID: "id", ExecID: "exec"},
			full:     true,
		},
		{
			name:     "DeleteRequest",
			mine:     &DeleteRequest{ID: "id", ExecID: "exec"},
			official: &task.DeleteRequest{ID: "id", ExecID: "exec"},
			full:     true,
		},
		{
			name:     "StateRequest",
			mine:     &StateRequest{ID: "id", ExecID: "exec"},
			official: &task.StateRequest{ID: "id", ExecID: "exec"},
			full:     true,
		},
		{
			name:     "KillRequest",
			mine:     &KillRequest{ID: "id", ExecID: "exec", Signal: 9, All: true},
			official: &task.KillRequest{ID: "id", ExecID: "exec", Signal: 9, All: true},
			full:     true,
		},
		{
			name:     "CloseIORequest",
			mine:     &CloseIORequest{ID: "id", ExecID: "exec", Stdin: true},
			official: &task.CloseIORequest{ID: "id", ExecID: "exec", Stdin: true},
			full:     true,
		},
		{
			name:     "PidsRequest",
			mine:     &PidsRequest{ID: "id"},
			official: &task.PidsRequest{ID: "id"},
			full:     true,
		},
		{
			name: "UpdateTaskRequest",
			mine: &UpdateTaskRequest{
				ID: "id", Resources: res,
				Annotations: map[string]string{"a": "1", "b": "2", "": "empty key", "empty value": ""},
			},
			official: &task.UpdateTaskRequest{
				ID: "id", Resources: officialAny(res),
				Annotations: map[string]string{"a": "1", "b": "2", "": "empty key", "empty value": ""},
			},
			full: true,
		},
		{
			name:     "WaitRequest",
			mine:     &WaitRequest{ID: "id", ExecID: "exec"},
			official: &task.WaitRequest{ID: "id", ExecID: "exec"},
			full:     true,
		},
		{
			name:     "StatsRequest",
			mine:     &StatsRequest{ID: "id"},
			official: &task.StatsRequest{ID: "id"},
			full:     true,
		},
		{
			name:     "ConnectRequest",
			mine:     &ConnectRequest{ID: "id"},
			official: &task.ConnectRequest{ID: "id"},
			full:     true,
		},
		{
			name:     "ShutdownRequest",
			mine:     &ShutdownRequest{ID: "id", Now: true},
			official: &task.ShutdownRequest{ID: "id", Now: true},
			full:     true,
		},
		{
			// An empty Any and an empty mount are present, not absent.
			name:     "CreateTaskRequest/empty parts",
			mine:     &CreateTaskRequest{Rootfs: []*Mount{{}}, Options: &Any{}},
			official: &task.CreateTaskRequest{Rootfs: []*types.Mount{{}}, Options: &anypb.Any{}},
		},
	}
}

// TestRequests checks every request against the official types.
func TestRequests(t *testing.T) {
	for _, p := range requestPairs() {
		checkPair(t, p)
	}
}

// TestRequestUnknownFields checks that fields a newer containerd may add,
// of every wire type, are skipped.
func TestRequestUnknownFields(t *testing.T) {
	b := (&KillRequest{ID: "id", Signal: 15}).Marshal()
	b = append(b,
		0xa8, 0x01, 0x05, // field 21 varint
		0xb2, 0x01, 0x02, 'h', 'i', // field 22 bytes
		0xbd, 0x01, 1, 2, 3, 4, // field 23 fixed32
		0xc1, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, // field 24 fixed64
		0xcb, 0x01, 0x08, 0x01, 0xcc, 0x01, // field 25 group holding a varint
		0x18, 0x09, // field 3 again: the last value wins
		0x20, 0x01, // field 4 (bool) true
		0x22, 0x00, // field 4 with the wrong wire type: skipped, not false
		0x0d, 0, 0, 0, 0, // field 1 (string) with the wrong wire type: skipped
	)
	var got KillRequest
	if err := got.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if want := (KillRequest{ID: "id", Signal: 9, All: true}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestUnmarshalResets checks that Unmarshal replaces what a reused message
// held.
func TestUnmarshalResets(t *testing.T) {
	m := &UpdateTaskRequest{ID: "old", Resources: &Any{TypeURL: "old"}, Annotations: map[string]string{"old": "1"}}
	if err := m.Unmarshal((&UpdateTaskRequest{ID: "new"}).Marshal()); err != nil {
		t.Fatal(err)
	}
	if m.ID != "new" || m.Resources != nil || m.Annotations != nil {
		t.Errorf("got %+v", m)
	}
}

// TestInvalidUTF8 checks that a string field that is not UTF-8 is refused,
// as by the official decoder.
func TestInvalidUTF8(t *testing.T) {
	b := []byte{0x0a, 0x02, 0xff, 0xfe}
	var m StartRequest
	if err := m.Unmarshal(b); err == nil {
		t.Errorf("decoded %+v", m)
	}
}
