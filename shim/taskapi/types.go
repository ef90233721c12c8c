package taskapi

import (
	"fmt"
	"github.com/wasmtee/wasmtee/internal/pbwire"

	"google.golang.org/protobuf/encoding/protowire"
)

// Any is google.protobuf.Any: a message of another type, named by TypeURL
// and encoded in Value.
type Any struct {
	TypeURL string
	Value   []byte
}

// appendTo appends a's fields (type_url = 1, value = 2).
func (a *Any) appendTo(b []byte) []byte {
	b = pbwire.AppendString(b, 1, a.TypeURL)
	return pbwire.AppendBytes(b, 2, a.Value)
}

// decode merges the encoded Any b into a.
func (a *Any) decode(b []byte) error {
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&a.TypeURL)
		case 2:
			return f.Bytes(&a.Value)
		}
		return nil
	})
}

// Mount is containerd.types.Mount: a filesystem mount.
type Mount struct {
	Type    string
	Source  string
	Target  string
	Options []string
}

// appendTo appends m's fields (type = 1, source = 2, target = 3,
// options = 4).
func (m *Mount) appendTo(b []byte) []byte {
	b = pbwire.AppendString(b, 1, m.Type)
	b = pbwire.AppendString(b, 2, m.Source)
	b = pbwire.AppendString(b, 3, m.Target)
	return pbwire.AppendStrings(b, 4, m.Options)
}

// decode merges the encoded Mount b into m.
func (m *Mount) decode(b []byte) error {
	return pbwire.EachField(b, func(f pbwire.Field) error {
		switch f.Num {
		case 1:
			return f.Str(&m.Type)
		case 2:
			return f.Str(&m.Source)
		case 3:
			return f.Str(&m.Target)
		case 4:
			return f.Strs(&m.Options)
		}
		return nil
	})
}

// Status is containerd.v1.types.Status, the state of a task or process.
type Status int32

// The task statuses, with containerd's enum values.
const (
	StatusUnknown Status = 0
	StatusCreated Status = 1
	StatusRunning Status = 2
	StatusStopped Status = 3
	StatusPaused  Status = 4
	StatusPausing Status = 5
)

// appendStatus appends enum field num, omitted when StatusUnknown.
func appendStatus(b []byte, num protowire.Number, s Status) []byte {
	return pbwire.AppendVarint(b, num, uint64(int64(s)))
}

// decodeStatus decodes enum field f into *dst, truncating to int32 as
// proto does.
func decodeStatus(f pbwire.Field, dst *Status) error {
	if f.IsVarint() {
		*dst = Status(int32(f.U))
	}
	return nil
}

// String is the status's name in the proto enum (CREATED, RUNNING, ...).
func (s Status) String() string {
	switch s {
	case StatusUnknown:
		return "UNKNOWN"
	case StatusCreated:
		return "CREATED"
	case StatusRunning:
		return "RUNNING"
	case StatusStopped:
		return "STOPPED"
	case StatusPaused:
		return "PAUSED"
	case StatusPausing:
		return "PAUSING"
	}
	return fmt.Sprintf("Status(%d)", int32(s))
}
