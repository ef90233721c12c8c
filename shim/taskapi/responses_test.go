package taskapi

import (
	"math"
	"testing"
	"time"

	"github.com/containerd/containerd/api/runtime/task/v2"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"google.golang.org/protobuf/proto"
)

// responsePairs gives every response filled in full, and the time fields
// also at the zero time and before 1970.
func responsePairs() []pair {
	info := &Any{TypeURL: "example.com/Info", Value: []byte(long)}
	stats := &Any{TypeURL: "example.com/Stats", Value: huge}
	return []pair{
		{
			name:     "CreateTaskResponse",
			mine:     &CreateTaskResponse{Pid: 42},
			official: &task.CreateTaskResponse{Pid: 42},
			full:     true,
		},
		{
			name:     "StartResponse",
			mine:     &StartResponse{Pid: 43},
			official: &task.StartResponse{Pid: 43},
			full:     true,
		},
		{
			name:     "DeleteResponse",
			mine:     &DeleteResponse{Pid: 44, ExitStatus: 137, ExitedAt: exitedAt},
			official: &task.DeleteResponse{Pid: 44, ExitStatus: 137, ExitedAt: ts(exitedAt)},
			full:     true,
		},
		{
			name:     "DeleteResponse/zero time",
			mine:     &DeleteResponse{Pid: 44},
			official: &task.DeleteResponse{Pid: 44, ExitedAt: ts(time.Time{})},
		},
		{
			name: "StateResponse",
			mine: &StateResponse{
				ID: "id", Bundle: "/bundle", Pid: 45, Status: StatusPausing,
				Stdin: "/in", Stdout: "/out", Stderr: "/err", Terminal: true,
				ExitStatus: 3, ExitedAt: exitedAt, ExecID: "exec",
			},
			official: &task.StateResponse{
				ID: "id", Bundle: "/bundle", Pid: 45, Status: tasktypes.Status_PAUSING,
				Stdin: "/in", Stdout: "/out", Stderr: "/err", Terminal: true,
				ExitStatus: 3, ExitedAt: ts(exitedAt), ExecID: "exec",
			},
			full: true,
		},
		{
			name:     "StateResponse/zero time",
			mine:     &StateResponse{ID: "id", Status: StatusRunning},
			official: &task.StateResponse{ID: "id", Status: tasktypes.Status_RUNNING, ExitedAt: ts(time.Time{})},
		},
		{
			name: "PidsResponse",
			mine: &PidsResponse{Processes: []*ProcessInfo{
				{Pid: 46, Info: info},
				{Pid: 47, Info: &Any{TypeURL: "t", Value: []byte{9}}},
			}},
			official: &task.PidsResponse{Processes: []*tasktypes.ProcessInfo{
				{Pid: 46, Info: officialAny(info)},
				{Pid: 47, Info: officialAny(&Any{TypeURL: "t", Value: []byte{9}})},
			}},
			full: true,
		},
		{
			name:     "PidsResponse/bare process",
			mine:     &PidsResponse{Processes: []*ProcessInfo{{}, {Pid: 1}}},
			official: &task.PidsResponse{Processes: []*tasktypes.ProcessInfo{{}, {Pid: 1}}},
		},
		{
			name:     "WaitResponse",
			mine:     &WaitResponse{ExitStatus: 1, ExitedAt: exitedAt},
			official: &task.WaitResponse{ExitStatus: 1, ExitedAt: ts(exitedAt)},
			full:     true,
		},
		{
			name:     "WaitResponse/before 1970",
			mine:     &WaitResponse{ExitStatus: 1, ExitedAt: before1970},
			official: &task.WaitResponse{ExitStatus: 1, ExitedAt: ts(before1970)},
		},
		{
			name:     "WaitResponse/zero time",
			mine:     &WaitResponse{},
			official: &task.WaitResponse{ExitedAt: ts(time.Time{})},
		},
		{
			name:     "StatsResponse",
			mine:     &StatsResponse{Stats: stats},
			official: &task.StatsResponse{Stats: officialAny(stats)},
			full:     true,
		},
		{
			name:     "ConnectResponse",
			mine:     &ConnectResponse{ShimPid: 48, TaskPid: 49, Version: "v2"},
			official: &task.ConnectResponse{ShimPid: 48, TaskPid: 49, Version: "v2"},
			full:     true,
		},
	}
}

// TestResponses checks every response against the official types.
func TestResponses(t *testing.T) {
	for _, p := range responsePairs() {
		checkPair(t, p)
	}
}

// TestStatusValues checks the enum values against the official ones.
func TestStatusValues(t *testing.T) {
	for s, want := range map[Status]tasktypes.Status{
		StatusUnknown: tasktypes.Status_UNKNOWN,
		StatusCreated: tasktypes.Status_CREATED,
		StatusRunning: tasktypes.Status_RUNNING,
		StatusStopped: tasktypes.Status_STOPPED,
		StatusPaused:  tasktypes.Status_PAUSED,
		StatusPausing: tasktypes.Status_PAUSING,
	} {
		if int32(s) != int32(want) {
			t.Errorf("%v is %d, want %d", want, s, want)
		}
		b := (&StateResponse{Status: s}).Marshal()
		var got task.StateResponse
		if err := proto.Unmarshal(b, &got); err != nil || got.Status != want {
			t.Errorf("%v decoded as %v (%v)", want, got.Status, err)
		}
	}
}

// TestStatusOutOfRange checks that status values containerd does not
// define (proto3 enums are open) and negative ones survive both ways.
func TestStatusOutOfRange(t *testing.T) {
	for _, s := range []int32{-1, 6, 1000, math.MaxInt32, math.MinInt32} {
		var got task.StateResponse
		if err := proto.Unmarshal((&StateResponse{Status: Status(s)}).Marshal(), &got); err != nil || int32(got.Status) != s {
			t.Errorf("ours -> official: %d decoded as %d (%v)", s, got.Status, err)
		}
		b, err := proto.Marshal(&task.StateResponse{Status: tasktypes.Status(s)})
		if err != nil {
			t.Fatal(err)
		}
		var back StateResponse
		if err := back.Unmarshal(b); err != nil || int32(back.Status) != s {
			t.Errorf("official -> ours: %d decoded as %d (%v)", s, back.Status, err)
		}
	}
}

// TestMissingTimestamp checks that an absent timestamp decodes to the zero
// time.Time.
func TestMissingTimestamp(t *testing.T) {
	for _, p := range []struct {
		mine     message
		official proto.Message
		at       func(message) time.Time
	}{
		{&DeleteResponse{}, &task.DeleteResponse{Pid: 1}, func(m message) time.Time { return m.(*DeleteResponse).ExitedAt }},
		{&StateResponse{}, &task.StateResponse{Pid: 1}, func(m message) time.Time { return m.(*StateResponse).ExitedAt }},
		{&WaitResponse{}, &task.WaitResponse{ExitStatus: 1}, func(m message) time.Time { return m.(*WaitResponse).ExitedAt }},
	} {
		b, err := proto.Marshal(p.official)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.mine.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if at := p.at(p.mine); at != (time.Time{}) {
			t.Errorf("%T: ExitedAt %v, want the zero time", p.mine, at)
		}
	}
}

// TestEmptyTimestamp checks that a present but empty timestamp is the Unix
// epoch, not the zero time.
func TestEmptyTimestamp(t *testing.T) {
	var m WaitResponse
	if err := m.Unmarshal([]byte{0x12, 0x00}); err != nil {
		t.Fatal(err)
	}
	if !m.ExitedAt.Equal(time.Unix(0, 0)) {
		t.Errorf("ExitedAt %v, want the Unix epoch", m.ExitedAt)
	}
}
