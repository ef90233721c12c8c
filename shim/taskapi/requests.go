package taskapi

import "github.com/wasmtee/wasmtee/internal/pbwire"

// The task v2 requests (containerd.task.v2.*Request) a shim serves. Each
// Unmarshal resets the message first, skips unknown fields and returns an
// error for malformed input; each Marshal is for tests and clients.

// CreateTaskRequest is containerd.task.v2.CreateTaskRequest.
type CreateTaskRequest struct {
	ID               string
	Bundle           string
	Rootfs           []*Mount
	Terminal         bool
	Stdin            string
	Stdout           string
	Stderr           string
	Checkpoint       string
	ParentCheckpoint string
	Options          *Any
}

// Marshal encodes m.
func (m *CreateTaskRequest) Marshal() []byte {
	var b []byte
	b = pbwire.AppendString(b, 1, m.ID)
	b = pbwire.AppendString(b, 2, m.Bundle)
	b = appendRepeated(b, 3, m.Rootfs)
	b = pbwire.AppendBool(b, 4, m.Terminal)
	b = pbwire.AppendString(b, 5, m.Stdin)
	b = pbwire.AppendString(b, 6, m.Stdout)
	b = pbwire.AppendString(b, 7, m.Stderr)
	b = pbwire.AppendString(b, 8, m.Checkpoint)
	b = pbwire.AppendString(b, 9, m.ParentCheckpoint)
	return appendOptional(b, 10, m.Options)
}

// Unmarshal decodes b into m.
func (m *CreateTaskRequest) Unmarshal(b []byte) error {
	*m = CreateTaskRequest{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ID)
		case 2:
			return f.Str(&m.Bundle)
		case 3:
			return decodeRepeated(f, &m.Rootfs)
		case 4:
			return f.Bool(&m.Terminal)
		case 5:
			return f.Str(&m.Stdin)
		case 6:
			return f.Str(&m.Stdout)
		case 7:
			return f.Str(&m.Stderr)
		case 8:
			return f.Str(&m.Checkpoint)
		case 9:
			return f.Str(&m.ParentCheckpoint)
		case 10:
			return decodeOptional(f, &m.Options)
		}
		return nil
	})
}

// processRef is the body shared by the requests that name a task and,
// optionally, one of its exec'd processes: id = 1, exec_id = 2.
type processRef struct {
	ID     string
	ExecID string
}

// marshal encodes r.
func (r *processRef) marshal() []byte {
	b := pbwire.AppendString(nil, 1, r.ID)
	return pbwire.AppendString(b, 2, r.ExecID)
}

// unmarshal decodes b into r.
func (r *processRef) unmarshal(b []byte) error {
	*r = processRef{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&r.ID)
		case 2:
			return f.Str(&r.ExecID)
		}
		return nil
	})
}

// StartRequest is containerd.task.v2.StartRequest.
type StartRequest struct {
	ID     string
	ExecID string
}

// Marshal encodes m.
func (m *StartRequest) Marshal() []byte { return (*processRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *StartRequest) Unmarshal(b []byte) error { return (*processRef)(m).unmarshal(b) }

// DeleteRequest is containerd.task.v2.DeleteRequest.
type DeleteRequest struct {
	ID     string
	ExecID string
}

// Marshal encodes m.
func (m *DeleteRequest) Marshal() []byte { return (*processRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *DeleteRequest) Unmarshal(b []byte) error { return (*processRef)(m).unmarshal(b) }

// StateRequest is containerd.task.v2.StateRequest.
type StateRequest struct {
	ID     string
	ExecID string
}

// Marshal encodes m.
func (m *StateRequest) Marshal() []byte { return (*processRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *StateRequest) Unmarshal(b []byte) error { return (*processRef)(m).unmarshal(b) }

// WaitRequest is containerd.task.v2.WaitRequest.
type WaitRequest struct {
	ID     string
	ExecID string
}

// Marshal encodes m.
func (m *WaitRequest) Marshal() []byte { return (*processRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *WaitRequest) Unmarshal(b []byte) error { return (*processRef)(m).unmarshal(b) }

// KillRequest is containerd.task.v2.KillRequest.
type KillRequest struct {
	ID     string
	ExecID string
	Signal uint32
	All    bool
}

// Marshal encodes m.
func (m *KillRequest) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ID)
	b = pbwire.AppendString(b, 2, m.ExecID)
	b = pbwire.AppendVarint(b, 3, uint64(m.Signal))
	return pbwire.AppendBool(b, 4, m.All)
}

// Unmarshal decodes b into m.
func (m *KillRequest) Unmarshal(b []byte) error {
	*m = KillRequest{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ID)
		case 2:
			return f.Str(&m.ExecID)
		case 3:
			return f.Uint32(&m.Signal)
		case 4:
			return f.Bool(&m.All)
		}
		return nil
	})
}

// CloseIORequest is containerd.task.v2.CloseIORequest.
type CloseIORequest struct {
	ID     string
	ExecID string
	Stdin  bool
}

// Marshal encodes m.
func (m *CloseIORequest) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ID)
	b = pbwire.AppendString(b, 2, m.ExecID)
	return pbwire.AppendBool(b, 3, m.Stdin)
}

// Unmarshal decodes b into m.
func (m *CloseIORequest) Unmarshal(b []byte) error {
	*m = CloseIORequest{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ID)
		case 2:
			return f.Str(&m.ExecID)
		case 3:
			return f.Bool(&m.Stdin)
		}
		return nil
	})
}

// taskRef is the body shared by the requests that only name a task: id = 1.
type taskRef struct {
	ID string
}

// marshal encodes r.
func (r *taskRef) marshal() []byte { return pbwire.AppendString(nil, 1, r.ID) }

// unmarshal decodes b into r.
func (r *taskRef) unmarshal(b []byte) error {
	*r = taskRef{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		if f.Num == 1 {
			return f.Str(&r.ID)
		}
		return nil
	})
}

// PidsRequest is containerd.task.v2.PidsRequest.
type PidsRequest struct {
	ID string
}

// Marshal encodes m.
func (m *PidsRequest) Marshal() []byte { return (*taskRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *PidsRequest) Unmarshal(b []byte) error { return (*taskRef)(m).unmarshal(b) }

// StatsRequest is containerd.task.v2.StatsRequest.
type StatsRequest struct {
	ID string
}

// Marshal encodes m.
func (m *StatsRequest) Marshal() []byte { return (*taskRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *StatsRequest) Unmarshal(b []byte) error { return (*taskRef)(m).unmarshal(b) }

// ConnectRequest is containerd.task.v2.ConnectRequest.
type ConnectRequest struct {
	ID string
}

// Marshal encodes m.
func (m *ConnectRequest) Marshal() []byte { return (*taskRef)(m).marshal() }

// Unmarshal decodes b into m.
func (m *ConnectRequest) Unmarshal(b []byte) error { return (*taskRef)(m).unmarshal(b) }

// UpdateTaskRequest is containerd.task.v2.UpdateTaskRequest.
type UpdateTaskRequest struct {
	ID          string
	Resources   *Any
	Annotations map[string]string
}

// Marshal encodes m; annotations are written in map iteration order.
func (m *UpdateTaskRequest) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ID)
	b = appendOptional(b, 2, m.Resources)
	for k, v := range m.Annotations {
		b = pbwire.AppendMessage(b, 3, func(b []byte) []byte {
			b = pbwire.AppendString(b, 1, k)
			return pbwire.AppendString(b, 2, v)
		})
	}
	return b
}

// Unmarshal decodes b into m. A map entry missing its key or value gives
// the empty string for it, and a repeated key keeps the last value.
func (m *UpdateTaskRequest) Unmarshal(b []byte) error {
	*m = UpdateTaskRequest{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ID)
		case 2:
			return decodeOptional(f, &m.Resources)
		case 3:
			if !f.IsBytes() {
				return nil
			}
			var k, v string
			err := pbwire.EachField(f.B, func(f pbwire.Field) error {
				switch f.Num {
				case 1:
					return f.Str(&k)
				case 2:
					return f.Str(&v)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if m.Annotations == nil {
				m.Annotations = make(map[string]string)
			}
			m.Annotations[k] = v
		}
		return nil
	})
}

// ShutdownRequest is containerd.task.v2.ShutdownRequest.
type ShutdownRequest struct {
	ID  string
	Now bool
}

// Marshal encodes m.
func (m *ShutdownRequest) Marshal() []byte {
	b := pbwire.AppendString(nil, 1, m.ID)
	return pbwire.AppendBool(b, 2, m.Now)
}

// Unmarshal decodes b into m.
func (m *ShutdownRequest) Unmarshal(b []byte) error {
	*m = ShutdownRequest{}
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.ID)
		case 2:
			return f.Bool(&m.Now)
		}
		return nil
	})
}
