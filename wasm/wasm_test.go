package wasm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/wasmtee/wasmtee/oci"
)

func wat(t *testing.T, src string) []byte {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	watExit42 = `(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
		(memory (export "memory") 1) (func (export "_start") (call $e (i32.const 42))))`
	watTrap   = `(module (func (export "_start") unreachable))`
	watReturn = `(module (func (export "_start")) (func (export "other") unreachable))`
	watUnk    = `(module (import "env" "nope" (func)) (func (export "_start")))`
	// grows memory by $pages and exits with memory.grow's result + 1 (0 = refused).
	watGrow = `(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
		(memory (export "memory") 1)
		(func (export "_start") (call $e (i32.add (memory.grow (i32.const 16)) (i32.const 1)))))`
	watBigMin = `(module (memory (export "memory") 100) (func (export "_start")))`
)

func workload(entry string) *oci.Workload {
	return &oci.Workload{ModulePath: "/m.wasm", Entry: entry, Args: []string{"/m.wasm"}}
}

func run(t *testing.T, e *Engine, code []byte, w *oci.Workload) (int, error) {
	t.Helper()
	l, err := Load(e, code, nil, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inst, err := Prepare(e, l, w, HostCalls{})
	if err != nil {
		return -1, err
	}
	defer inst.Close()
	f, err := inst.Instantiate()
	if err != nil {
		return -1, err
	}
	return inst.Call(f)
}

func TestExitStatus(t *testing.T) {
	e := NewEngine()
	for _, tc := range []struct {
		name, src, entry string
		code             int
		trap             string
	}{
		{"proc_exit", watExit42, "_start", 42, ""},
		{"return", watReturn, "_start", 0, ""},
		{"other entry", watReturn, "other", TrapExitCode, "unreachable"},
		{"trap", watTrap, "_start", TrapExitCode, "unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := run(t, e, wat(t, tc.src), workload(tc.entry))
			if code != tc.code {
				t.Fatalf("exit %d, want %d (err %v)", code, tc.code, err)
			}
			var trap *Trap
			if tc.trap == "" && err != nil || tc.trap != "" && (!errors.As(err, &trap) || !strings.Contains(trap.Message, tc.trap)) {
				t.Fatalf("err %v, want trap %q", err, tc.trap)
			}
		})
	}
}

func TestPrepareRejects(t *testing.T) {
	e := NewEngine()
	if _, err := run(t, e, wat(t, watUnk), workload("_start")); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "unknown import env::nope") {
		t.Errorf("unknown import: %v", err)
	}
	if _, err := run(t, e, wat(t, watReturn), workload("missing")); !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("missing entry: %v", err)
	}
	if _, err := run(t, e, wat(t, watExit42), workload("memory")); !errors.Is(err, ErrInvalidModule) {
		t.Errorf("entry not a function: %v", err)
	}
}

func TestMemoryLimit(t *testing.T) {
	e := NewEngine()
	w := workload("_start")
	if code, _ := run(t, e, wat(t, watGrow), w); code != 2 { // grew from 1 page: old size 1, +1
		t.Fatalf("unlimited grow: exit %d, want 2", code)
	}
	w.MemoryLimit = 4 * 65536
	if code, _ := run(t, e, wat(t, watGrow), w); code != 0 { // refused: -1 + 1
		t.Fatalf("grow past limit: exit %d, want 0 (refused)", code)
	}
	if _, err := run(t, e, wat(t, watBigMin), w); err == nil {
		t.Fatal("module whose minimum memory exceeds the limit instantiated")
	}
}

func TestCheckHeader(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind error
		msg  string
	}{
		{"", ErrInvalidModule, "empty"},
		{"\x00as", ErrInvalidModule, "truncated"},
		{"#!/bin/sh\necho", ErrInvalidModule, "bad magic"},
		{"\x00asm\x0d\x00\x01\x00", ErrUnsupported, "components"},
		{"\x00asm\x02\x00\x00\x00", ErrInvalidModule, "version"},
	} {
		err := CheckHeader([]byte(tc.in))
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %v, want %v containing %q", tc.in, err, tc.kind, tc.msg)
		}
	}
	if _, err := Load(NewEngine(), []byte("\x00asm\x01\x00\x00\x00\x01"), nil, LoadOptions{}); !errors.Is(err, ErrInvalidModule) || !strings.Contains(err.Error(), "end-of-file") {
		t.Errorf("truncated body: %v", err)
	}
}

func TestCompileCache(t *testing.T) {
	e := NewEngine()
	c, err := OpenCache(filepath.Join(t.TempDir(), "cache"), 0)
	if err != nil {
		t.Fatal(err)
	}
	code := wat(t, watExit42)
	for i, want := range []Source{FromCompile, FromCache} {
		l, err := Load(e, code, c, LoadOptions{})
		if err != nil || l.Source != want || l.CacheErr != nil {
			t.Fatalf("load %d: source %v err %v cacheErr %v, want %v", i, l.Source, err, l.CacheErr, want)
		}
	}
	// A damaged entry is dropped and the module compiled again.
	digest := [32]byte{}
	l, _ := Load(e, code, c, LoadOptions{})
	digest = l.Digest
	// Replace the file (as a planted entry would be), not rewrite it in
	// place: earlier loads map it, and truncating a mapped file would
	// fault them.
	tmp := c.Path(e.CacheKey(digest)) + ".planted"
	if err := os.WriteFile(tmp, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, c.Path(e.CacheKey(digest))); err != nil {
		t.Fatal(err)
	}
	if l, err := Load(e, code, c, LoadOptions{}); err != nil || l.Source != FromCompile {
		t.Fatalf("after damage: source %v err %v, want compile", l.Source, err)
	}
	if l, err := Load(e, code, c, LoadOptions{}); err != nil || l.Source != FromCache {
		t.Fatalf("after recompile: source %v err %v, want cache", l.Source, err)
	}
}

func TestCacheKeyCoversEngine(t *testing.T) {
	e := NewEngine()
	d := [32]byte{1}
	other := &Engine{fingerprint: e.Fingerprint() + ";other"}
	if e.CacheKey(d) == other.CacheKey(d) || e.CacheKey(d) == e.CacheKey([32]byte{2}) {
		t.Fatal("cache key ignores the engine fingerprint or the module digest")
	}
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(gomod), "github.com/bytecodealliance/wasmtime-go/v39 "+wasmtimeVersion+"\n") {
		t.Fatalf("go.mod's wasmtime-go is not %s: update wasmtimeVersion", wasmtimeVersion)
	}
	if !strings.Contains(e.Fingerprint(), wasmtimeVersion) {
		t.Fatalf("fingerprint %q lacks the wasmtime version", e.Fingerprint())
	}
}

func TestCacheTrimAndPermissions(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir, 250)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i, k := range []string{"a", "b", "c"} {
		if err := c.Store(k, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
		ts := old.Add(time.Duration(i) * time.Minute)
		os.Chtimes(c.Path(k), ts, ts)
	}
	c.trim()
	if _, ok := c.Lookup("a"); ok {
		t.Error("least recently used entry kept past the size bound")
	}
	for _, k := range []string{"b", "c"} {
		if _, ok := c.Lookup(k); !ok {
			t.Errorf("entry %s evicted", k)
		}
	}
	open := t.TempDir()
	os.Chmod(open, 0o777)
	if _, err := OpenCache(open, 0); err == nil {
		t.Error("world-writable cache directory accepted")
	}
}

func TestCacheStamp(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("compiled bytes")
	if err := c.Store("k", data); err != nil {
		t.Fatal(err)
	}
	// A valid stamp spares re-hashing: the hit does not need the content MAC.
	os.Remove(c.macPath("k"))
	if _, ok := c.Lookup("k"); !ok {
		t.Fatal("entry with a valid stamp missed")
	}
	// Any change to the file (here its times; a write changes them too)
	// voids the stamp, and then the content MAC (gone) decides: miss.
	past := time.Now().Add(-time.Minute)
	os.Chtimes(c.Path("k"), past, past)
	if _, ok := c.Lookup("k"); ok {
		t.Fatal("entry whose file changed after stamping hit without verification")
	}
	if _, err := os.Stat(c.Path("k")); !os.IsNotExist(err) {
		t.Fatal("unverifiable entry not removed")
	}
	// Same size, one byte flipped, MAC intact: detected and removed.
	c.Store("k2", data)
	flipped := append([]byte(nil), data...)
	flipped[3] ^= 1
	os.WriteFile(c.Path("k2"), flipped, 0o600)
	if _, ok := c.Lookup("k2"); ok {
		t.Fatal("tampered entry hit")
	}
}

func TestEvidenceHostCall(t *testing.T) {
	const src = `(module
	  (import "wasmtee" "get_evidence" (func $ev (param i32 i32 i32 i32) (result i32)))
	  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
	  (memory (export "memory") 1)
	  (data (i32.const 0) "nonce")
	  (func (export "_start") (call $exit (call $ev (i32.const 0) (i32.const 5) (i32.const 100) (i32.const 64))))
	  (func (export "small") (call $exit (call $ev (i32.const 0) (i32.const 5) (i32.const 100) (i32.const 2))))
	  (func (export "bad") (call $exit (i32.add (i32.const 10) (call $ev (i32.const 0) (i32.const 5) (i32.const 65535) (i32.const 64))))))`
	e := NewEngine()
	var got []byte
	hc := HostCalls{Evidence: func(nonce, key []byte) ([]byte, error) {
		got = nonce
		return append([]byte("evidence:"), nonce...), nil
	}}
	for entry, want := range map[string]int{"_start": 14, "small": 14, "bad": 10 + int(EvidenceBadArgs)} {
		l, err := Load(e, wat(t, src), nil, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		inst, err := Prepare(e, l, workload(entry), hc)
		if err != nil {
			t.Fatal(err)
		}
		f, err := inst.Instantiate()
		if err != nil {
			t.Fatal(err)
		}
		code, err := inst.Call(f)
		if code != want {
			t.Errorf("%s: exit %d, want %d (%v)", entry, code, want, err)
		}
		if entry == "_start" {
			mem := inst.memory()
			if string(mem[100:114]) != "evidence:nonce" || string(got) != "nonce" {
				t.Errorf("evidence not written: %q (nonce seen %q)", mem[100:114], got)
			}
		}
		inst.Close()
	}
}
