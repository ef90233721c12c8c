package taskapi

import (
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/wasmtee/wasmtee/internal/pbwire"
)

// submessage is a message type embedded in others (Any, Mount, TaskIO,
// ProcessInfo): it appends its fields and merges its encoding.
type submessage[T any] interface {
	*T
	appendTo([]byte) []byte
	decode([]byte) error
}

// appendOptional appends singular message field num, omitted when m is
// nil.
func appendOptional[T any, P submessage[T]](b []byte, num protowire.Number, m P) []byte {
	if m == nil {
		return b
	}
	return pbwire.AppendMessage(b, num, m.appendTo)
}

// appendRepeated appends repeated message field num; a nil element is
// written as an empty message.
func appendRepeated[T any, P submessage[T]](b []byte, num protowire.Number, ms []P) []byte {
	for _, m := range ms {
		if m == nil {
			m = new(T)
		}
		b = pbwire.AppendMessage(b, num, m.appendTo)
	}
	return b
}

// decodeOptional decodes singular message field f into *dst, merging into
// a message already there as proto does for a repeated occurrence.
func decodeOptional[T any, P submessage[T]](f pbwire.Field, dst *P) error {
	if !f.IsBytes() {
		return nil
	}
	if *dst == nil {
		*dst = new(T)
	}
	return (*dst).decode(f.B)
}

// decodeRepeated decodes one element of repeated message field f onto
// *dst.
func decodeRepeated[T any, P submessage[T]](f pbwire.Field, dst *[]P) error {
	if !f.IsBytes() {
		return nil
	}
	m := P(new(T))
	if err := m.decode(f.B); err != nil {
		return err
	}
	*dst = append(*dst, m)
	return nil
}
