package pbwire

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// AppendMessage reserves one length byte and widens it for longer bodies:
// every length must decode back to the same body, after what came before.
func TestAppendMessageLengths(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384, 70000} {
		body := bytes.Repeat([]byte{'x'}, n)
		b := AppendMessage([]byte("prefix"), 7, func(b []byte) []byte { return append(b, body...) })
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("n=%d: prefix overwritten", n)
		}
		num, typ, tn := protowire.ConsumeTag(b[6:])
		if tn < 0 || num != 7 || typ != protowire.BytesType {
			t.Fatalf("n=%d: tag %d %d %d", n, num, typ, tn)
		}
		got, bn := protowire.ConsumeBytes(b[6+tn:])
		if bn < 0 || !bytes.Equal(got, body) || 6+tn+bn != len(b) {
			t.Fatalf("n=%d: body of %d bytes decoded as %d (consumed %d of %d)", n, len(body), len(got), 6+tn+bn, len(b))
		}
	}
}

func TestEachField(t *testing.T) {
	var b []byte
	b = AppendString(b, 1, "héllo")
	b = AppendVarint(b, 2, 300)
	b = protowire.AppendTag(b, 3, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, 9)
	b = AppendBool(b, 4, true)
	b = AppendStrings(b, 5, []string{"", "b"})
	var (
		s    string
		u    uint32
		on   bool
		list []string
		seen []protowire.Number
	)
	err := EachField(b, func(f Field) error {
		seen = append(seen, f.Num)
		switch f.Num {
		case 1:
			return f.Str(&s)
		case 2:
			return f.Uint32(&u)
		case 4:
			return f.Bool(&on)
		case 5:
			return f.Strs(&list)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s != "héllo" || u != 300 || !on || len(list) != 2 || list[1] != "b" {
		t.Errorf("decoded %q %d %v %q", s, u, on, list)
	}
	if len(seen) != 6 || seen[2] != 3 {
		t.Errorf("fields seen %v, want the fixed32 field passed on too", seen)
	}
}

func TestEachFieldRefusesBadInput(t *testing.T) {
	whole := AppendString(nil, 1, "hello")
	if err := EachField(whole[:len(whole)-1], func(Field) error { return nil }); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated message: %v, want ErrMalformed", err)
	}
	bad := protowire.AppendTag(nil, 1, protowire.BytesType)
	bad = protowire.AppendBytes(bad, []byte{0xff, 0xfe})
	var s string
	err := EachField(bad, func(f Field) error { return f.Str(&s) })
	if !errors.Is(err, ErrInvalidUTF8) {
		t.Errorf("invalid UTF-8 string: %v, want ErrInvalidUTF8", err)
	}
	big := protowire.AppendTag(nil, protowire.MaxValidNumber+1, protowire.VarintType)
	big = protowire.AppendVarint(big, 1)
	if err := EachField(big, func(Field) error { return nil }); !errors.Is(err, ErrMalformed) {
		t.Errorf("field number above 2^29-1: %v, want ErrMalformed", err)
	}
	// Omitted when empty or zero.
	if b := AppendVarint(AppendBytes(AppendString(nil, 1, ""), 2, nil), 3, 0); len(b) != 0 {
		t.Errorf("empty fields encoded as %x", b)
	}
}
