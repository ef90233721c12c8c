package taskapi

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// message is what every hand-written message type provides.
type message interface {
	Marshal() []byte
	Unmarshal([]byte) error
}

// pair is one of our messages and the official generated message holding
// the same values.
type pair struct {
	name     string
	mine     message
	official proto.Message
	// full: every field of both is set to a distinct non-zero value, so a
	// wrong field number or wire type cannot go unnoticed.
	full bool
}

// Test values: distinct, so that two fields swapping numbers is caught.
var (
	// exitedAt has both seconds and nanos set.
	exitedAt = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	// before1970 has negative seconds and positive nanos.
	before1970 = time.Date(1960, 1, 2, 3, 4, 5, 6, time.UTC)
	// long makes an embedded message longer than 127 bytes, so its length
	// takes two bytes; huge takes three.
	long = strings.Repeat("l", 200)
	huge = []byte(strings.Repeat("h", 20000))
)

// newMine returns a new zero message of m's type.
func newMine(m message) message {
	return reflect.New(reflect.TypeOf(m).Elem()).Interface().(message)
}

// dump renders a message for a failure report.
func dump(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// checkPair checks both directions: the official encoding decodes with
// ours to the same values, and ours decodes with the official code to the
// same values (proto.Equal also compares unknown fields, so a field the
// official decoder did not recognize fails too).
func checkPair(t *testing.T, p pair) {
	t.Helper()
	b, err := proto.Marshal(p.official)
	if err != nil {
		t.Fatalf("%s: proto.Marshal: %v", p.name, err)
	}
	got := newMine(p.mine)
	if err := got.Unmarshal(b); err != nil {
		t.Errorf("%s: Unmarshal of official encoding: %v", p.name, err)
	} else if !reflect.DeepEqual(got, p.mine) {
		t.Errorf("%s: official -> ours\n got %s\nwant %s", p.name, dump(got), dump(p.mine))
	}

	off := p.official.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(p.mine.Marshal(), off); err != nil {
		t.Errorf("%s: proto.Unmarshal of our encoding: %v", p.name, err)
	} else if !proto.Equal(off, p.official) {
		t.Errorf("%s: ours -> official\n got %v\nwant %v", p.name, off, p.official)
	}

	if p.full {
		checkAllSet(t, p.name, reflect.ValueOf(p.mine).Elem())
		checkAllSetProto(t, p.name, p.official.ProtoReflect())
	}
}

// checkAllSet fails unless every field of struct v, and of the structs it
// points to, is non-zero.
func checkAllSet(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		fname := name + "." + v.Type().Field(i).Name
		if f.IsZero() || (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0 {
			t.Errorf("%s is not set: the test must fill every field", fname)
			continue
		}
		switch {
		case f.Kind() == reflect.Pointer && f.Elem().Kind() == reflect.Struct:
			checkAllSet(t, fname, f.Elem())
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Pointer:
			for j := range f.Len() {
				checkAllSet(t, fname, f.Index(j).Elem())
			}
		}
	}
}

// checkAllSetProto fails unless every field of m, and of the messages in
// it, is populated.
func checkAllSetProto(t *testing.T, name string, m protoreflect.Message) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		fname := name + "." + string(fd.Name())
		if !m.Has(fd) {
			t.Errorf("official %s is not set: the test must fill every field", fname)
			continue
		}
		if fd.Message() == nil || fd.IsMap() {
			continue
		}
		if fd.IsList() {
			l := m.Get(fd).List()
			for j := range l.Len() {
				checkAllSetProto(t, fname, l.Get(j).Message())
			}
			continue
		}
		checkAllSetProto(t, fname, m.Get(fd).Message())
	}
}

// ts is the official form of a time field, as containerd sets it.
func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// officialAny is the official form of a.
func officialAny(a *Any) *anypb.Any { return &anypb.Any{TypeUrl: a.TypeURL, Value: a.Value} }
