// Package pbwire holds the protocol buffer wire-format helpers shared by the
// shim's hand-written encoders: its ttrpc framing (shim/ttrpc) and the task
// API's messages (shim/taskapi). It builds on protowire's varint and tag
// primitives and has no descriptors, registry or reflection.
package pbwire

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrInvalidUTF8 is returned when a string field is not valid UTF-8, which
// proto3 forbids.
var ErrInvalidUTF8 = errors.New("string field contains invalid UTF-8")

// ErrMalformed is returned (wrapping protowire's reason) for a message that
// ends inside a field or holds a field that cannot be parsed.
var ErrMalformed = errors.New("malformed protobuf message")

// AppendString appends string field num, omitted when empty.
func AppendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// AppendStrings appends repeated string field num, one tag per element
// (empty elements included, as they are significant in a list).
func AppendStrings(b []byte, num protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

// AppendBytes appends bytes field num, omitted when empty.
func AppendBytes(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// AppendVarint appends varint field num, omitted when zero. Signed values
// (int32, int64, enums) are passed sign-extended to 64 bits, as proto
// requires.
func AppendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// AppendBool appends bool field num, omitted when false.
func AppendBool(b []byte, num protowire.Number, v bool) []byte {
	return AppendVarint(b, num, protowire.EncodeBool(v))
}

// AppendMessage appends embedded message field num whose body enc appends.
// The field is written even when the body is empty: a present but empty
// message differs from an absent one. The length is reserved as one byte
// and widened in place when the body turns out longer, so the body is
// encoded only once and straight into b.
func AppendMessage(b []byte, num protowire.Number, enc func([]byte) []byte) []byte {
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

// Field is one decoded field: its number and wire type, and its value when
// the wire type is varint (U) or length-delimited (B, a slice of the
// message).
type Field struct {
	Num  protowire.Number
	Type protowire.Type
	U    uint64
	B    []byte
}

// EachField calls fn for every field of the encoded message b, in order,
// and stops at the first error. Fields of other wire types (fixed, groups)
// are consumed and still passed to fn, which ignores them.
func EachField(b []byte, fn func(f Field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return parseError(n)
		}
		// ConsumeTag takes numbers up to MaxInt32, which only MessageSet
		// uses; the official decoder refuses them in other messages.
		if num > protowire.MaxValidNumber {
			return fmt.Errorf("%w: field number %d is out of range", ErrMalformed, num)
		}
		b = b[n:]
		f := Field{Num: num, Type: typ}
		switch typ {
		case protowire.VarintType:
			f.U, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.B, n = protowire.ConsumeBytes(b)
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

func parseError(n int) error {
	return fmt.Errorf("%w: %w", ErrMalformed, protowire.ParseError(n))
}

// IsVarint reports whether f carries a varint; a known field with another
// wire type is skipped as unknown, as the official decoder does.
func (f Field) IsVarint() bool { return f.Type == protowire.VarintType }

// IsBytes reports whether f is length-delimited (string, bytes, message).
func (f Field) IsBytes() bool { return f.Type == protowire.BytesType }

// Str decodes a proto3 string into *dst, which must be valid UTF-8.
func (f Field) Str(dst *string) error {
	if !f.IsBytes() {
		return nil
	}
	if !utf8.Valid(f.B) {
		return ErrInvalidUTF8
	}
	*dst = string(f.B)
	return nil
}

// Strs appends one element of a repeated string to *dst.
func (f Field) Strs(dst *[]string) error {
	if !f.IsBytes() {
		return nil
	}
	if !utf8.Valid(f.B) {
		return ErrInvalidUTF8
	}
	*dst = append(*dst, string(f.B))
	return nil
}

// Bytes copies a bytes field into *dst (a copy, so the result does not
// alias the input buffer).
func (f Field) Bytes(dst *[]byte) error {
	if f.IsBytes() {
		*dst = append([]byte(nil), f.B...)
	}
	return nil
}

// Uint32 decodes a uint32 field into *dst, truncating as proto does.
func (f Field) Uint32(dst *uint32) error {
	if f.IsVarint() {
		*dst = uint32(f.U)
	}
	return nil
}

// Bool decodes a bool field into *dst; any non-zero varint is true.
func (f Field) Bool(dst *bool) error {
	if f.IsVarint() {
		*dst = protowire.DecodeBool(f.U)
	}
	return nil
}
