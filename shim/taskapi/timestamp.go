package taskapi

import (
	"github.com/wasmtee/wasmtee/internal/pbwire"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// appendTime appends t as google.protobuf.Timestamp field num (seconds = 1,
// nanos = 2). It is always written, the zero time included (as seconds
// -62135596800), matching timestamppb.New as containerd's
// protobuf.ToTimestamp uses it.
func appendTime(b []byte, num protowire.Number, t time.Time) []byte {
	return pbwire.AppendMessage(b, num, func(b []byte) []byte {
		b = pbwire.AppendVarint(b, 1, uint64(t.Unix()))
		return pbwire.AppendVarint(b, 2, uint64(int64(int32(t.Nanosecond()))))
	})
}

// stamp accumulates a Timestamp field while a message is decoded, so that
// repeated occurrences merge as proto merges messages; seen tells a
// present Timestamp (even an empty one, the Unix epoch) from a missing
// one, which decodes to the zero time.Time.
type stamp struct {
	seen    bool
	seconds int64
	nanos   int32
}

// decode merges a Timestamp field into s.
func (s *stamp) decode(f pbwire.Field) error {
	if !f.IsBytes() {
		return nil
	}
	s.seen = true
	return pbwire.EachField(f.B, func(f pbwire.Field) error {
		if !f.IsVarint() {
			return nil
		}
		switch f.Num {
		case 1:
			s.seconds = int64(f.U)
		case 2:
			s.nanos = int32(f.U)
		}
		return nil
	})
}

// time gives the decoded time in UTC, as Timestamp.AsTime does, or the
// zero time.Time when no Timestamp was present.
func (s *stamp) time() time.Time {
	if !s.seen {
		return time.Time{}
	}
	return time.Unix(s.seconds, int64(s.nanos)).UTC()
}
