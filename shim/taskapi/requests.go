package taskapi

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
	b = appendString(b, 1, m.ID)
	b = appendString(b, 2, m.Bundle)
	b = appendRepeated(b, 3, m.Rootfs)
	b = appendBool(b, 4, m.Terminal)
	b = appendString(b, 5, m.Stdin)
	b = appendString(b, 6, m.Stdout)
	b = appendString(b, 7, m.Stderr)
	b = appendString(b, 8, m.Checkpoint)
	b = appendString(b, 9, m.ParentCheckpoint)
	return appendOptional(b, 10, m.Options)
}

// Unmarshal decodes b into m.
func (m *CreateTaskRequest) Unmarshal(b []byte) error {
	*m = CreateTaskRequest{}
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&m.ID)
		case 2:
			return f.str(&m.Bundle)
		case 3:
			return decodeRepeated(f, &m.Rootfs)
		case 4:
			return f.bool(&m.Terminal)
		case 5:
			return f.str(&m.Stdin)
		case 6:
			return f.str(&m.Stdout)
		case 7:
			return f.str(&m.Stderr)
		case 8:
			return f.str(&m.Checkpoint)
		case 9:
			return f.str(&m.ParentCheckpoint)
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
	b := appendString(nil, 1, r.ID)
	return appendString(b, 2, r.ExecID)
}

// unmarshal decodes b into r.
func (r *processRef) unmarshal(b []byte) error {
	*r = processRef{}
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&r.ID)
		case 2:
			return f.str(&r.ExecID)
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
	b := appendString(nil, 1, m.ID)
	b = appendString(b, 2, m.ExecID)
	b = appendVarint(b, 3, uint64(m.Signal))
	return appendBool(b, 4, m.All)
}

// Unmarshal decodes b into m.
func (m *KillRequest) Unmarshal(b []byte) error {
	*m = KillRequest{}
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&m.ID)
		case 2:
			return f.str(&m.ExecID)
		case 3:
			return f.uint32(&m.Signal)
		case 4:
			return f.bool(&m.All)
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
	b := appendString(nil, 1, m.ID)
	b = appendString(b, 2, m.ExecID)
	return appendBool(b, 3, m.Stdin)
}

// Unmarshal decodes b into m.
func (m *CloseIORequest) Unmarshal(b []byte) error {
	*m = CloseIORequest{}
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&m.ID)
		case 2:
			return f.str(&m.ExecID)
		case 3:
			return f.bool(&m.Stdin)
		}
		return nil
	})
}

// taskRef is the body shared by the requests that only name a task: id = 1.
type taskRef struct {
	ID string
}

// marshal encodes r.
func (r *taskRef) marshal() []byte { return appendString(nil, 1, r.ID) }

// unmarshal decodes b into r.
func (r *taskRef) unmarshal(b []byte) error {
	*r = taskRef{}
	return eachField(b, func(f field) error {
		if f.num == 1 {
			return f.str(&r.ID)
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
	b := appendString(nil, 1, m.ID)
	b = appendOptional(b, 2, m.Resources)
	for k, v := range m.Annotations {
		b = appendMessage(b, 3, func(b []byte) []byte {
			b = appendString(b, 1, k)
			return appendString(b, 2, v)
		})
	}
	return b
}

// Unmarshal decodes b into m. A map entry missing its key or value gives
// the empty string for it, and a repeated key keeps the last value.
func (m *UpdateTaskRequest) Unmarshal(b []byte) error {
	*m = UpdateTaskRequest{}
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&m.ID)
		case 2:
			return decodeOptional(f, &m.Resources)
		case 3:
			if !f.isBytes() {
				return nil
			}
			var k, v string
			err := eachField(f.b, func(f field) error {
				switch f.num {
				case 1:
					return f.str(&k)
				case 2:
					return f.str(&v)
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
	b := appendString(nil, 1, m.ID)
	return appendBool(b, 2, m.Now)
}

// Unmarshal decodes b into m.
func (m *ShutdownRequest) Unmarshal(b []byte) error {
	*m = ShutdownRequest{}
	return eachField(b, func(f field) error {
		switch f.num {
		case 1:
			return f.str(&m.ID)
		case 2:
			return f.bool(&m.Now)
		}
		return nil
	})
}
