package taskapi

import (
	"time"

	"github.com/wasmtee/wasmtee/internal/pbwire"
)

// Event is a task event the shim publishes to containerd: its encoding,
// the type URL naming it inside a google.protobuf.Any, and the topic
// containerd files it under.
type Event interface {
	Marshal() []byte
	TypeURL() string
	Topic() string
}

// The events the shim publishes.
var (
	_ Event = (*TaskCreate)(nil)
	_ Event = (*TaskStart)(nil)
	_ Event = (*TaskDelete)(nil)
	_ Event = (*TaskExit)(nil)
	_ Event = (*TaskOOM)(nil)
)

// The events' topics, as containerd's runtime package names them.
const (
	topicTaskCreate = "/tasks/create"
	topicTaskStart  = "/tasks/start"
	topicTaskExit   = "/tasks/exit"
	topicTaskDelete = "/tasks/delete"
	topicTaskOOM    = "/tasks/oom"
)

// TaskIO is containerd.events.TaskIO, a task's stdio as TaskCreate reports
// it.
type TaskIO struct {
	Stdin    string
	Stdout   string
	Stderr   string
	Terminal bool
}

// appendTo appends io's fields (stdin = 1, stdout = 2, stderr = 3,
// terminal = 4).
func (io *TaskIO) appendTo(b []byte) []byte {
	b = pbwire.AppendString(b, 1, io.Stdin)
	b = pbwire.AppendString(b, 2, io.Stdout)
	b = pbwire.AppendString(b, 3, io.Stderr)
	return pbwire.AppendBool(b, 4, io.Terminal)
}

// decode merges the encoded TaskIO b into io.
func (io *TaskIO) decode(b []byte) error {
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&io.Stdin)
		case 2:
			return f.Str(&io.Stdout)
		case 3:
			return f.Str(&io.Stderr)
		case 4:
			return f.Bool(&io.Terminal)
		}
		return nil
	})
}

// TaskCreate is containerd.events.TaskCreate, published once a task is
// created.
type TaskCreate struct {
	ContainerID string
	Bundle      string
	Rootfs      []*Mount
	IO          *TaskIO
	Checkpoint  string
	Pid         uint32
}

// TypeURL names the event in an Any.
func (*TaskCreate) TypeURL() string { return "containerd.events.TaskCreate" }

// Topic is the event's topic.
func (*TaskCreate) Topic() string { return topicTaskCreate }

// Marshal encodes m.
func (m *TaskCreate) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ContainerID)
	b = pbwire.AppendString(b, 2, m.Bundle)
	b = appendRepeated(b, 3, m.Rootfs)
	b = appendOptional(b, 4, m.IO)
	b = pbwire.AppendString(b, 5, m.Checkpoint)
	return pbwire.AppendVarint(b, 6, uint64(m.Pid))
}

// Unmarshal decodes b into m.
func (m *TaskCreate) Unmarshal(b []byte) error {
	*m = TaskCreate{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ContainerID)
		case 2:
			return f.Str(&m.Bundle)
		case 3:
			return decodeRepeated(f, &m.Rootfs)
		case 4:
			return decodeOptional(f, &m.IO)
		case 5:
			return f.Str(&m.Checkpoint)
		case 6:
			return f.Uint32(&m.Pid)
		}
		return nil
	})
}

// TaskStart is containerd.events.TaskStart, published once a task's
// process has started.
type TaskStart struct {
	ContainerID string
	Pid         uint32
}

// TypeURL names the event in an Any.
func (*TaskStart) TypeURL() string { return "containerd.events.TaskStart" }

// Topic is the event's topic.
func (*TaskStart) Topic() string { return topicTaskStart }

// Marshal encodes m.
func (m *TaskStart) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ContainerID)
	return pbwire.AppendVarint(b, 2, uint64(m.Pid))
}

// Unmarshal decodes b into m.
func (m *TaskStart) Unmarshal(b []byte) error {
	*m = TaskStart{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ContainerID)
		case 2:
			return f.Uint32(&m.Pid)
		}
		return nil
	})
}

// TaskDelete is containerd.events.TaskDelete, published once a task (or
// one of its processes, named by ID) has been deleted.
type TaskDelete struct {
	ContainerID string
	Pid         uint32
	ExitStatus  uint32
	ExitedAt    time.Time
	ID          string
}

// TypeURL names the event in an Any.
func (*TaskDelete) TypeURL() string { return "containerd.events.TaskDelete" }

// Topic is the event's topic.
func (*TaskDelete) Topic() string { return topicTaskDelete }

// Marshal encodes m.
func (m *TaskDelete) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ContainerID)
	b = pbwire.AppendVarint(b, 2, uint64(m.Pid))
	b = pbwire.AppendVarint(b, 3, uint64(m.ExitStatus))
	b = appendTime(b, 4, m.ExitedAt)
	return pbwire.AppendString(b, 5, m.ID)
}

// Unmarshal decodes b into m.
func (m *TaskDelete) Unmarshal(b []byte) error {
	*m = TaskDelete{}
	var at stamp
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ContainerID)
		case 2:
			return f.Uint32(&m.Pid)
		case 3:
			return f.Uint32(&m.ExitStatus)
		case 4:
			return at.decode(f)
		case 5:
			return f.Str(&m.ID)
		}
		return nil
	})
	m.ExitedAt = at.time()
	return err
}

// TaskExit is containerd.events.TaskExit, published when a task's process
// (named by ID) exits.
type TaskExit struct {
	ContainerID string
	ID          string
	Pid         uint32
	ExitStatus  uint32
	ExitedAt    time.Time
}

// TypeURL names the event in an Any.
func (*TaskExit) TypeURL() string { return "containerd.events.TaskExit" }

// Topic is the event's topic.
func (*TaskExit) Topic() string { return topicTaskExit }

// Marshal encodes m.
func (m *TaskExit) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ContainerID)
	b = pbwire.AppendString(b, 2, m.ID)
	b = pbwire.AppendVarint(b, 3, uint64(m.Pid))
	b = pbwire.AppendVarint(b, 4, uint64(m.ExitStatus))
	return appendTime(b, 5, m.ExitedAt)
}

// Unmarshal decodes b into m.
func (m *TaskExit) Unmarshal(b []byte) error {
	*m = TaskExit{}
	var at stamp
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ContainerID)
		case 2:
			return f.Str(&m.ID)
		case 3:
			return f.Uint32(&m.Pid)
		case 4:
			return f.Uint32(&m.ExitStatus)
		case 5:
			return at.decode(f)
		}
		return nil
	})
	m.ExitedAt = at.time()
	return err
}

// TaskOOM is containerd.events.TaskOOM, published when a task runs out of
// memory.
type TaskOOM struct {
	ContainerID string
}

// TypeURL names the event in an Any.
func (*TaskOOM) TypeURL() string { return "containerd.events.TaskOOM" }

// Topic is the event's topic.
func (*TaskOOM) Topic() string { return topicTaskOOM }

// Marshal encodes m.
func (m *TaskOOM) Marshal() []byte { return pbwire.AppendString(nil, 1, m.ContainerID) }

// Unmarshal decodes b into m.
func (m *TaskOOM) Unmarshal(b []byte) error {
	*m = TaskOOM{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		if f.Num == 1 {
			return f.Str(&m.ContainerID)
		}
		return nil
	})
}
