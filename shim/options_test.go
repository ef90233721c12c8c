package shim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/protobuf"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// logTo returns a context whose logger writes to buf.
func logTo(buf *bytes.Buffer) context.Context {
	l := logrus.New()
	l.Out = buf
	l.Formatter = &logrus.TextFormatter{DisableTimestamp: true}
	return log.WithLogger(context.Background(), logrus.NewEntry(l))
}

// optionsAny is o as containerd sends it: the Any its typeurl package
// makes of the generated type.
func optionsAny(t testing.TB, o *runtimeoptions.Options) *taskapi.Any {
	t.Helper()
	a, err := protobuf.MarshalAnyToProto(o)
	if err != nil {
		t.Fatal(err)
	}
	return &taskapi.Any{TypeURL: a.GetTypeUrl(), Value: a.GetValue()}
}

// saveInBundle writes options as "shim start" saves them in a bundle.
func saveInBundle(t *testing.T, a *taskapi.Any) string {
	t.Helper()
	data, err := proto.Marshal(&anypb.Any{TypeUrl: a.TypeURL, Value: a.Value})
	if err != nil {
		t.Fatal(err)
	}
	bundle := t.TempDir()
	if err := os.WriteFile(filepath.Join(bundle, startOptionsFile), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return bundle
}

// TestOptionsOfAnotherTypeWarnOnce: options of a type wasmtee does not
// read are ignored (the ones saved at start apply) with one warning per
// type URL that names it, not one per create.
func TestOptionsOfAnotherTypeWarnOnce(t *testing.T) {
	var buf bytes.Buffer
	ctx := logTo(&buf)
	bundle := saveInBundle(t, optionsAny(t, &runtimeoptions.Options{ConfigBody: []byte(`cache_dir = "/saved"`)}))
	c := newOptionsCache()
	runcType := &taskapi.Any{TypeURL: "containerd.runc.v1.Options", Value: []byte{0x08, 0x01}}
	other := &taskapi.Any{TypeURL: "example.com/other.Options"}
	for i, a := range []*taskapi.Any{runcType, runcType, other, runcType, other} {
		o, err := c.forCreate(ctx, &taskapi.CreateTaskRequest{ID: "c" + string(rune('0'+i)), Bundle: bundle, Options: a})
		if err != nil || o == nil || o.CacheDir != "/saved" {
			t.Fatalf("create %d: %+v %v", i, o, err)
		}
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 warnings, got %d:\n%s", len(lines), buf.String())
	}
	for i, url := range []string{"containerd.runc.v1.Options", "example.com/other.Options"} {
		if !strings.Contains(lines[i], "level=warning") || !strings.Contains(lines[i], `type_url=`+url) || !strings.Contains(lines[i], "runtimeoptions.v1.Options") {
			t.Errorf("warning %d does not name %s: %s", i, url, lines[i])
		}
	}

	// Through requestOptions, the shim's own cache, and without saved
	// options: ignored, warned about once.
	buf.Reset()
	for range 3 {
		r := &taskapi.CreateTaskRequest{ID: "x", Bundle: t.TempDir(), Options: &taskapi.Any{TypeURL: "example.com/TestOptionsOfAnotherTypeWarnOnce"}}
		if o, err := requestOptions(ctx, r); o != nil || err != nil {
			t.Fatalf("got %+v %v", o, err)
		}
	}
	if n := strings.Count(buf.String(), "example.com/TestOptionsOfAnotherTypeWarnOnce"); n != 2 { // the type_url field and the message
		t.Errorf("want one warning naming the type:\n%s", buf.String())
	}
}

// TestOptionsDecodedOncePerValue: the same serialized options, from the
// request or saved at start in any container's bundle, are decoded once
// per shim (a ConfigPath file is read once); other options are decoded.
func TestOptionsDecodedOncePerValue(t *testing.T) {
	ctx := logTo(new(bytes.Buffer))
	file := filepath.Join(t.TempDir(), "wasmtee.toml")
	write := func(body string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`cache_dir = "/first"`)
	byPath := optionsAny(t, &runtimeoptions.Options{ConfigPath: file})
	c := newOptionsCache()
	get := func(r *taskapi.CreateTaskRequest) *Options {
		t.Helper()
		o, err := c.forCreate(ctx, r)
		if err != nil || o == nil {
			t.Fatalf("got %+v %v", o, err)
		}
		return o
	}

	o := get(&taskapi.CreateTaskRequest{ID: "a", Bundle: t.TempDir(), Options: byPath})
	if o.CacheDir != "/first" {
		t.Fatalf("got %+v", o)
	}
	o.CacheDir = "changed by the caller"
	write(`cache_dir = "/second"`)
	if o := get(&taskapi.CreateTaskRequest{ID: "b", Bundle: t.TempDir(), Options: byPath}); o.CacheDir != "/first" {
		t.Errorf("the same options were decoded again (or the caller's copy was kept): %+v", o)
	}
	if o := get(&taskapi.CreateTaskRequest{ID: "c", Bundle: t.TempDir(), Options: optionsAny(t, &runtimeoptions.Options{ConfigBody: []byte(`cache_dir = "/body"`)})}); o.CacheDir != "/body" {
		t.Errorf("other options: %+v", o)
	}

	// Saved at start, in two containers' bundles.
	write(`cache_dir = "/saved"`)
	byPath2 := optionsAny(t, &runtimeoptions.Options{ConfigPath: file, TypeUrl: "second"})
	if o := get(&taskapi.CreateTaskRequest{ID: "d", Bundle: saveInBundle(t, byPath2)}); o.CacheDir != "/saved" {
		t.Fatalf("saved options: %+v", o)
	}
	write(`cache_dir = "/later"`)
	if o := get(&taskapi.CreateTaskRequest{ID: "e", Bundle: saveInBundle(t, byPath2)}); o.CacheDir != "/saved" {
		t.Errorf("the same saved options were decoded again: %+v", o)
	}
}

// TestOptionsErrorsAreNotKept: options that fail to decode fail each
// create, and work once their cause is fixed.
func TestOptionsErrorsAreNotKept(t *testing.T) {
	ctx := logTo(new(bytes.Buffer))
	file := filepath.Join(t.TempDir(), "wasmtee.toml")
	a := optionsAny(t, &runtimeoptions.Options{ConfigPath: file})
	c := newOptionsCache()
	r := &taskapi.CreateTaskRequest{ID: "a", Bundle: t.TempDir(), Options: a}
	for range 2 {
		if _, err := c.forCreate(ctx, r); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), file) {
			t.Fatalf("missing ConfigPath file: %v", err)
		}
	}
	if err := os.WriteFile(file, []byte(`cache_max_bytes = 7`), 0o644); err != nil {
		t.Fatal(err)
	}
	if o, err := c.forCreate(ctx, r); err != nil || o.CacheMaxBytes != 7 {
		t.Fatalf("got %+v %v", o, err)
	}

	bundle := t.TempDir()
	if err := os.WriteFile(filepath.Join(bundle, startOptionsFile), []byte{0xff, 0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.forCreate(ctx, &taskapi.CreateTaskRequest{ID: "b", Bundle: bundle}); !errdefs.IsInvalidArgument(err) || !strings.Contains(err.Error(), startOptionsFile) {
		t.Fatalf("unreadable saved options: %v", err)
	}
}
