package taskapi

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// errInvalidUTF8 is returned when a string field is not valid UTF-8, which
// proto3 forbids.
var errInvalidUTF8 = errors.New("taskapi: string field contains invalid UTF-8")

// appendString appends string field num, omitted when empty.
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendStrings appends repeated string field num, one tag per element
// (empty elements included, as they are significant in a list).
func appendStrings(b []byte, num protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

// appendBytes appends bytes field num, omitted when empty.
func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendVarint appends varint field num, omitted when zero. Signed values
// (int32, int64, enums) are passed sign-extended to 64 bits, as proto
// requires.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendBool appends bool field num, omitted when false.
func appendBool(b []byte, num protowire.Number, v bool) []byte {
	return appendVarint(b, num, protowire.EncodeBool(v))
}

// appendMessage appends embedded message field num whose body enc appends.
// The field is written even when the body is empty: a present but empty
// message differs from an absent one. The length is reserved as one byte
// and widened in place when the body turns out longer, so the body is
// encoded only once and straight into b.
func appendMessage(b []byte, num protowire.Number, enc func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	at := len(b)
	b = append(b, 0)
	b = enc(b)
	n := len(b) - at - 1
	if n < 0x80 {
		b[at] = byte(n)
		return b
	}
	size := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, size-1)...)
	copy(b[at+size:], b[at+1:at+1+n])
	protowire.AppendVarint(b[at:at], uint64(n))
	return b
}

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
	return appendMessage(b, num, m.appendTo)
}

// appendRepeated appends repeated message field num; a nil element is
// written as an empty message.
func appendRepeated[T any, P submessage[T]](b []byte, num protowire.Number, ms []P) []byte {
	for _, m := range ms {
		if m == nil {
			m = new(T)
		}
		b = appendMessage(b, num, m.appendTo)
	}
	return b
}

// decodeOptional decodes singular message field f into *dst, merging into
// a message already there as proto does for a repeated occurrence.
func decodeOptional[T any, P submessage[T]](f field, dst *P) error {
	if !f.isBytes() {
		return nil
	}
	if *dst == nil {
		*dst = new(T)
	}
	return (*dst).decode(f.b)
}

// decodeRepeated decodes one element of repeated message field f onto
// *dst.
func decodeRepeated[T any, P submessage[T]](f field, dst *[]P) error {
	if !f.isBytes() {
		return nil
	}
	m := P(new(T))
	if err := m.decode(f.b); err != nil {
		return err
	}
	*dst = append(*dst, m)
	return nil
}

// field is one decoded field: its number and wire type, and its value when
// the wire type is varint (u) or length-delimited (b).
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64
	b   []byte
}

// eachField calls fn for every field of the encoded message b, in order,
// and stops at the first error. Fields of other wire types (fixed, groups)
// are consumed and still passed to fn, which ignores them.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return parseError(n)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return parseError(n)
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// parseError wraps protowire's error for a negative length n.
func parseError(n int) error {
	return fmt.Errorf("taskapi: %w", protowire.ParseError(n))
}

// isVarint reports whether f carries a varint; a known field with another
// wire type is skipped as unknown, as the official decoder does.
func (f field) isVarint() bool { return f.typ == protowire.VarintType }

// isBytes reports whether f is length-delimited (string, bytes, message).
func (f field) isBytes() bool { return f.typ == protowire.BytesType }

// str decodes a proto3 string into *dst, which must be valid UTF-8.
func (f field) str(dst *string) error {
	if !f.isBytes() {
		return nil
	}
	if !utf8.Valid(f.b) {
		return errInvalidUTF8
	}
	*dst = string(f.b)
	return nil
}

// strs appends one element of a repeated string to *dst.
func (f field) strs(dst *[]string) error {
	if !f.isBytes() {
		return nil
	}
	if !utf8.Valid(f.b) {
		return errInvalidUTF8
	}
	*dst = append(*dst, string(f.b))
	return nil
}

// bytes copies a bytes field into *dst (a copy, so the result does not
// alias the input buffer).
func (f field) bytes(dst *[]byte) error {
	if f.isBytes() {
		*dst = append([]byte(nil), f.b...)
	}
	return nil
}

// uint32 decodes a uint32 field into *dst, truncating as proto does.
func (f field) uint32(dst *uint32) error {
	if f.isVarint() {
		*dst = uint32(f.u)
	}
	return nil
}

// bool decodes a bool field into *dst; any non-zero varint is true.
func (f field) bool(dst *bool) error {
	if f.isVarint() {
		*dst = protowire.DecodeBool(f.u)
	}
	return nil
}
