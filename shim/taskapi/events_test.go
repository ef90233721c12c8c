package taskapi

import (
	"testing"
	"time"

	"github.com/containerd/containerd/api/events"
	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/runtime"
	"github.com/containerd/typeurl/v2"
	"google.golang.org/protobuf/proto"
)

// eventPairs gives every event filled in full, and the time fields also at
// the zero time.
func eventPairs() []pair {
	return []pair{
		{
			name: "TaskCreate",
			mine: &TaskCreate{
				ContainerID: "ctr", Bundle: "/bundle",
				Rootfs: []*Mount{
					{Type: "overlay", Source: "src", Target: "/t", Options: []string{"ro", long}},
					{Type: "bind", Source: "s2", Target: "/t2", Options: []string{"rbind"}},
				},
				IO:         &TaskIO{Stdin: "/in", Stdout: "/out", Stderr: "/err", Terminal: true},
				Checkpoint: "ckpt", Pid: 50,
			},
			official: &events.TaskCreate{
				ContainerID: "ctr", Bundle: "/bundle",
				Rootfs: []*types.Mount{
					{Type: "overlay", Source: "src", Target: "/t", Options: []string{"ro", long}},
					{Type: "bind", Source: "s2", Target: "/t2", Options: []string{"rbind"}},
				},
				IO:         &events.TaskIO{Stdin: "/in", Stdout: "/out", Stderr: "/err", Terminal: true},
				Checkpoint: "ckpt", Pid: 50,
			},
			full: true,
		},
		{
			name:     "TaskCreate/empty IO",
			mine:     &TaskCreate{ContainerID: "ctr", IO: &TaskIO{}},
			official: &events.TaskCreate{ContainerID: "ctr", IO: &events.TaskIO{}},
		},
		{
			name:     "TaskStart",
			mine:     &TaskStart{ContainerID: "ctr", Pid: 51},
			official: &events.TaskStart{ContainerID: "ctr", Pid: 51},
			full:     true,
		},
		{
			name:     "TaskDelete",
			mine:     &TaskDelete{ContainerID: "ctr", Pid: 52, ExitStatus: 2, ExitedAt: exitedAt, ID: "id"},
			official: &events.TaskDelete{ContainerID: "ctr", Pid: 52, ExitStatus: 2, ExitedAt: ts(exitedAt), ID: "id"},
			full:     true,
		},
		{
			name:     "TaskDelete/zero time",
			mine:     &TaskDelete{ContainerID: "ctr"},
			official: &events.TaskDelete{ContainerID: "ctr", ExitedAt: ts(time.Time{})},
		},
		{
			name:     "TaskExit",
			mine:     &TaskExit{ContainerID: "ctr", ID: "id", Pid: 53, ExitStatus: 4, ExitedAt: exitedAt},
			official: &events.TaskExit{ContainerID: "ctr", ID: "id", Pid: 53, ExitStatus: 4, ExitedAt: ts(exitedAt)},
			full:     true,
		},
		{
			name:     "TaskExit/zero time",
			mine:     &TaskExit{ContainerID: "ctr"},
			official: &events.TaskExit{ContainerID: "ctr", ExitedAt: ts(time.Time{})},
		},
		{
			name:     "TaskOOM",
			mine:     &TaskOOM{ContainerID: "ctr"},
			official: &events.TaskOOM{ContainerID: "ctr"},
			full:     true,
		},
	}
}

// TestEvents checks every event against the official types.
func TestEvents(t *testing.T) {
	for _, p := range eventPairs() {
		checkPair(t, p)
	}
}

// TestEventNames checks each event's type URL against what typeurl gives
// the official type, and its topic against containerd's.
func TestEventNames(t *testing.T) {
	for _, c := range []struct {
		e        Event
		official proto.Message
		topic    string
	}{
		{&TaskCreate{}, &events.TaskCreate{}, runtime.TaskCreateEventTopic},
		{&TaskStart{}, &events.TaskStart{}, runtime.TaskStartEventTopic},
		{&TaskDelete{}, &events.TaskDelete{}, runtime.TaskDeleteEventTopic},
		{&TaskExit{}, &events.TaskExit{}, runtime.TaskExitEventTopic},
		{&TaskOOM{}, &events.TaskOOM{}, runtime.TaskOOMEventTopic},
	} {
		a, err := typeurl.MarshalAny(c.official)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.e.TypeURL(); got != a.GetTypeUrl() {
			t.Errorf("%T: TypeURL %q, want %q", c.e, got, a.GetTypeUrl())
		}
		if got := c.e.Topic(); got != c.topic {
			t.Errorf("%T: Topic %q, want %q", c.e, got, c.topic)
		}
	}
}
