package taskapi

import (
	"time"

	"github.com/wasmtee/wasmtee/internal/pbwire"
)

// The task v2 responses (containerd.task.v2.*Response) a shim returns.
// Each Marshal encodes for the wire; each Unmarshal (for tests and
// clients) resets the message first. Methods answering
// google.protobuf.Empty reply with an empty byte slice and need no type.

// pidResponse is the body of the responses that carry only a pid = 1.
type pidResponse struct {
	Pid uint32
}

// marshal encodes r.
func (r *pidResponse) marshal() []byte { return pbwire.AppendVarint(nil, 1, uint64(r.Pid)) }

// unmarshal decodes b into r.
func (r *pidResponse) unmarshal(b []byte) error {
	*r = pidResponse{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		if f.Num == 1 {
			return f.Uint32(&r.Pid)
		}
		return nil
	})
}

// CreateTaskResponse is containerd.task.v2.CreateTaskResponse.
type CreateTaskResponse struct {
	Pid uint32
}

// Marshal encodes m.
func (m *CreateTaskResponse) Marshal() []byte { return (*pidResponse)(m).marshal() }

// Unmarshal decodes b into m.
func (m *CreateTaskResponse) Unmarshal(b []byte) error { return (*pidResponse)(m).unmarshal(b) }

// StartResponse is containerd.task.v2.StartResponse.
type StartResponse struct {
	Pid uint32
}

// Marshal encodes m.
func (m *StartResponse) Marshal() []byte { return (*pidResponse)(m).marshal() }

// Unmarshal decodes b into m.
func (m *StartResponse) Unmarshal(b []byte) error { return (*pidResponse)(m).unmarshal(b) }

// DeleteResponse is containerd.task.v2.DeleteResponse.
type DeleteResponse struct {
	Pid        uint32
	ExitStatus uint32
	ExitedAt   time.Time
}

// Marshal encodes m.
func (m *DeleteResponse) Marshal() []byte {
	b := pbwire.AppendVarint(nil, 1, uint64(m.Pid))
	b = pbwire.AppendVarint(b, 2, uint64(m.ExitStatus))
	return appendTime(b, 3, m.ExitedAt)
}

// Unmarshal decodes b into m.
func (m *DeleteResponse) Unmarshal(b []byte) error {
	*m = DeleteResponse{}
	var at stamp
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Uint32(&m.Pid)
		case 2:
			return f.Uint32(&m.ExitStatus)
		case 3:
			return at.decode(f)
		}
		return nil
	})
	m.ExitedAt = at.time()
	return err
}

// StateResponse is containerd.task.v2.StateResponse.
type StateResponse struct {
	ID         string
	Bundle     string
	Pid        uint32
	Status     Status
	Stdin      string
	Stdout     string
	Stderr     string
	Terminal   bool
	ExitStatus uint32
	ExitedAt   time.Time
	ExecID     string
}

// Marshal encodes m.
func (m *StateResponse) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ID)
	b = pbwire.AppendString(b, 2, m.Bundle)
	b = pbwire.AppendVarint(b, 3, uint64(m.Pid))
	b = appendStatus(b, 4, m.Status)
	b = pbwire.AppendString(b, 5, m.Stdin)
	b = pbwire.AppendString(b, 6, m.Stdout)
	b = pbwire.AppendString(b, 7, m.Stderr)
	b = pbwire.AppendBool(b, 8, m.Terminal)
	b = pbwire.AppendVarint(b, 9, uint64(m.ExitStatus))
	b = appendTime(b, 10, m.ExitedAt)
	return pbwire.AppendString(b, 11, m.ExecID)
}

// Unmarshal decodes b into m.
func (m *StateResponse) Unmarshal(b []byte) error {
	*m = StateResponse{}
	var at stamp
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ID)
		case 2:
			return f.Str(&m.Bundle)
		case 3:
			return f.Uint32(&m.Pid)
		case 4:
			return decodeStatus(f, &m.Status)
		case 5:
			return f.Str(&m.Stdin)
		case 6:
			return f.Str(&m.Stdout)
		case 7:
			return f.Str(&m.Stderr)
		case 8:
			return f.Bool(&m.Terminal)
		case 9:
			return f.Uint32(&m.ExitStatus)
		case 10:
			return at.decode(f)
		case 11:
			return f.Str(&m.ExecID)
		}
		return nil
	})
	m.ExitedAt = at.time()
	return err
}

// ProcessInfo is containerd.v1.types.ProcessInfo, one process of a task.
type ProcessInfo struct {
	Pid  uint32
	Info *Any
}

// appendTo appends p's fields (pid = 1, info = 2).
func (p *ProcessInfo) appendTo(b []byte) []byte {
	b = pbwire.AppendVarint(b, 1, uint64(p.Pid))
	return appendOptional(b, 2, p.Info)
}

// decode merges the encoded ProcessInfo b into p.
func (p *ProcessInfo) decode(b []byte) error {
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Uint32(&p.Pid)
		case 2:
			return decodeOptional(f, &p.Info)
		}
		return nil
	})
}

// PidsResponse is containerd.task.v2.PidsResponse.
type PidsResponse struct {
	Processes []*ProcessInfo
}

// Marshal encodes m; a nil element is written as an empty ProcessInfo.
func (m *PidsResponse) Marshal() []byte { return appendRepeated(nil, 1, m.Processes) }

// Unmarshal decodes b into m.
func (m *PidsResponse) Unmarshal(b []byte) error {
	*m = PidsResponse{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		if f.Num == 1 {
			return decodeRepeated(f, &m.Processes)
		}
		return nil
	})
}

// WaitResponse is containerd.task.v2.WaitResponse.
type WaitResponse struct {
	ExitStatus uint32
	ExitedAt   time.Time
}

// Marshal encodes m.
func (m *WaitResponse) Marshal() []byte {
	b := pbwire.AppendVarint(nil, 1, uint64(m.ExitStatus))
	return appendTime(b, 2, m.ExitedAt)
}

// Unmarshal decodes b into m.
func (m *WaitResponse) Unmarshal(b []byte) error {
	*m = WaitResponse{}
	var at stamp
	err := pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Uint32(&m.ExitStatus)
		case 2:
			return at.decode(f)
		}
		return nil
	})
	m.ExitedAt = at.time()
	return err
}

// StatsResponse is containerd.task.v2.StatsResponse.
type StatsResponse struct {
	Stats *Any
}

// Marshal encodes m.
func (m *StatsResponse) Marshal() []byte { return appendOptional(nil, 1, m.Stats) }

// Unmarshal decodes b into m.
func (m *StatsResponse) Unmarshal(b []byte) error {
	*m = StatsResponse{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		if f.Num == 1 {
			return decodeOptional(f, &m.Stats)
		}
		return nil
	})
}

// ConnectResponse is containerd.task.v2.ConnectResponse.
type ConnectResponse struct {
	ShimPid uint32
	TaskPid uint32
	Version string
}

// Marshal encodes m.
func (m *ConnectResponse) Marshal() []byte {
	b := pbwire.AppendVarint(nil, 1, uint64(m.ShimPid))
	b = pbwire.AppendVarint(b, 2, uint64(m.TaskPid))
	return pbwire.AppendString(b, 3, m.Version)
}

// Unmarshal decodes b into m.
func (m *ConnectResponse) Unmarshal(b []byte) error {
	*m = ConnectResponse{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Uint32(&m.ShimPid)
		case 2:
			return f.Uint32(&m.TaskPid)
		case 3:
			return f.Str(&m.Version)
		}
		return nil
	})
}
