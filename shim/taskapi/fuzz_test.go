package taskapi

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// allPairs gives every test pair.
func allPairs() []pair {
	return append(append(requestPairs(), responsePairs()...), eventPairs()...)
}

// decoderPairs gives one pair per message type, to decode arbitrary input
// with.
func decoderPairs() []pair {
	seen := map[reflect.Type]bool{}
	var ps []pair
	for _, p := range allPairs() {
		if ty := reflect.TypeOf(p.mine); !seen[ty] {
			seen[ty] = true
			ps = append(ps, p)
		}
	}
	return ps
}

// encodings gives both encodings, official and ours, of every pair.
func encodings(t testing.TB) (bs [][]byte, of []pair) {
	for _, p := range allPairs() {
		b, err := proto.Marshal(p.official)
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b, p.mine.Marshal())
		of = append(of, p, p)
	}
	return bs, of
}

// differ decodes b with ours and with the official type of p and reports
// how they disagree, if they do: one refusing what the other accepts, or
// different values (compared by re-encoding ours and decoding that
// officially; unknown fields, which we drop, are ignored).
func differ(b []byte, p pair) string {
	mine := newMine(p.mine)
	errMine := mine.Unmarshal(b) // must not panic
	off := p.official.ProtoReflect().New().Interface()
	errOff := proto.Unmarshal(b, off)
	switch {
	case errMine != nil && errOff != nil:
		return ""
	case errMine != nil:
		return fmt.Sprintf("%T refused what the official decoder accepts: %v", mine, errMine)
	case errOff != nil:
		return fmt.Sprintf("%T accepted what the official decoder refuses: %v", mine, errOff)
	}
	again := p.official.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(mine.Marshal(), again); err != nil {
		return fmt.Sprintf("%T: re-encoding does not decode: %v", mine, err)
	}
	normalize(off.ProtoReflect())
	normalize(again.ProtoReflect())
	if !proto.Equal(off, again) {
		return fmt.Sprintf("%T decoded differently:\n ours     %v\n official %v", mine, again, off)
	}
	return ""
}

// normalize puts an official message in the form our types keep: no
// unknown fields, and a time field always present and normalized as
// time.Time normalizes it.
func normalize(m protoreflect.Message) {
	m.SetUnknown(nil)
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch {
		case fd.Message() == nil || fd.IsMap():
		case fd.Message().FullName() == "google.protobuf.Timestamp":
			var at time.Time
			if m.Has(fd) {
				at = m.Get(fd).Message().Interface().(*timestamppb.Timestamp).AsTime()
			}
			m.Set(fd, protoreflect.ValueOfMessage(timestamppb.New(at).ProtoReflect()))
		case fd.IsList():
			l := m.Get(fd).List()
			for j := range l.Len() {
				normalize(l.Get(j).Message())
			}
		case m.Has(fd):
			normalize(m.Mutable(fd).Message())
		}
	}
}

// sampleLengths gives every prefix length of an n-byte input, or, for a
// long one, the first and last 64 and a sample between.
func sampleLengths(n int) []int {
	var ls []int
	for l := 0; l < n; l++ {
		if n <= 512 || l < 64 || l > n-64 || l%97 == 0 {
			ls = append(ls, l)
		}
	}
	return ls
}

// TestMalformed decodes truncated, corrupted and random input with every
// type: it must never panic, and must refuse and accept what the official
// decoder does, to the same values.
func TestMalformed(t *testing.T) {
	bs, of := encodings(t)
	decoders := decoderPairs()
	report := func(b []byte, p pair) {
		t.Helper()
		if d := differ(b, p); d != "" {
			t.Errorf("input %x: %s", b, d)
		}
	}
	for i, b := range bs {
		for _, p := range decoders {
			report(b, p)
		}
		for _, l := range sampleLengths(len(b)) {
			report(b[:l], of[i])
		}
		for _, pos := range sampleLengths(len(b)) {
			for _, x := range []byte{0x01, 0x07, 0x80, 0xff} {
				c := append([]byte(nil), b...)
				c[pos] ^= x
				report(c, of[i])
			}
		}
	}
	// Random input, half of it drawn from bytes that are likely tags,
	// lengths and varint continuations, so that it gets past the first
	// field more often.
	r := rand.New(rand.NewPCG(1, 2))
	likely := []byte{0x00, 0x01, 0x02, 0x08, 0x0a, 0x10, 0x12, 0x18, 0x1a, 0x22, 0x2a, 0x52, 0x5a, 0x7f, 0x80, 0xff, 'a'}
	for i := range 3000 {
		b := make([]byte, r.IntN(40))
		for j := range b {
			if i%2 == 0 {
				b[j] = byte(r.Uint32())
			} else {
				b[j] = likely[r.IntN(len(likely))]
			}
		}
		for _, p := range decoders {
			report(b, p)
		}
	}
}

// FuzzUnmarshal is TestMalformed's check for "go test -fuzz"; without
// -fuzz it runs on the encodings of the test messages.
func FuzzUnmarshal(f *testing.F) {
	bs, _ := encodings(f)
	for _, b := range bs {
		f.Add(b)
	}
	decoders := decoderPairs()
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, p := range decoders {
			if d := differ(b, p); d != "" {
				t.Error(d)
			}
		}
	})
}
