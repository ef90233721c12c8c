package oci

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// FuzzLoad feeds arbitrary config.json bytes through the spec mapping: it
// must never panic, and what it accepts must be a well-formed workload.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"process":{"args":["/a.wasm#f","x"],"cwd":"/w","env":["A=1"]},"mounts":[{"destination":"/d","type":"bind","source":"/tmp","options":["ro"]}]}`))
	f.Add([]byte(`{"process":{"args":[""]}}`))
	f.Add([]byte(`{"process":{"terminal":true,"args":["x"]},"linux":{"resources":{"memory":{"limit":-5}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if json.Unmarshal(data, &s) != nil {
			return
		}
		w, err := Load(&s, "/rootfs")
		if err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if !strings.HasPrefix(w.ModulePath, "/") || w.Entry == "" || len(w.Args) == 0 {
			t.Fatalf("bad workload %+v", w)
		}
		if w.MemoryLimit < 0 {
			t.Fatalf("negative memory limit %d", w.MemoryLimit)
		}
		for _, p := range w.Preopens {
			if !strings.HasPrefix(p.Guest, "/") || hasDotDot(p.Guest) || hasDotDot(p.Host) {
				t.Fatalf("bad preopen %+v", p)
			}
		}
	})
}
