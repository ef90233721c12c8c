package tsm

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/faketsm"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// fake returns go-configfs-tsm's fake configfs (the v7 report ABI) with
// its provider replaced, and the report subsystem to tweak further.
func fake(provider string) (*faketsm.Client, *faketsm.ReportSubsystem) {
	r := faketsm.ReportV7(0)
	base := r.ReadAttr
	r.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		if attr == "provider" {
			return []byte(provider + "\n"), nil
		}
		return base(e, attr)
	}
	return &faketsm.Client{Subsystems: map[string]configfsi.Client{"report": r}}, r
}

func reportData() [64]byte {
	var rd [64]byte
	for i := range rd {
		rd[i] = byte(i * 7)
	}
	return rd
}

func TestProviderMapping(t *testing.T) {
	for provider, tee := range map[string]string{
		"tdx_guest":     "tdx",
		"sev_guest":     "sev-snp",
		"arm_cca_guest": "arm-cca",
	} {
		c, _ := fake(provider)
		p, err := NewWithClient(c)
		if err != nil {
			t.Fatalf("%s: %v", provider, err)
		}
		if p.Backend() != "tsm" || p.TEE() != tee || p.Provider() != provider {
			t.Errorf("%s: backend %q tee %q provider %q, want tsm %q", provider, p.Backend(), p.TEE(), p.Provider(), tee)
		}
		got, ok, why := AvailableClient(c)
		if got != provider || !ok || !strings.Contains(why, provider) {
			t.Errorf("%s: AvailableClient = %q, %v, %q", provider, got, ok, why)
		}
	}
}

func TestUnknownProvider(t *testing.T) {
	c, _ := fake("fancy_guest")
	_, err := NewWithClient(c)
	if err == nil || !strings.Contains(err.Error(), `"fancy_guest"`) {
		t.Fatalf("NewWithClient: %v, want an error naming fancy_guest", err)
	}
	provider, ok, why := AvailableClient(c)
	if ok || provider != "fancy_guest" || !strings.Contains(why, "fancy_guest") {
		t.Errorf("AvailableClient = %q, %v, %q", provider, ok, why)
	}
	// The library's own fake calls itself "fake".
	r := faketsm.ReportV7(0)
	_, err = NewWithClient(&faketsm.Client{Subsystems: map[string]configfsi.Client{"report": r}})
	if err == nil || !strings.Contains(err.Error(), `"fake"`) {
		t.Errorf("NewWithClient with the stock fake: %v", err)
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	c, _ := fake("tdx_guest")
	p, err := NewWithClient(c)
	if err != nil {
		t.Fatal(err)
	}
	rd := reportData()
	quote, provider, certs, err := p.Quote(rd)
	if err != nil {
		t.Fatal(err)
	}
	// The fake renders the outblob from the inblob it was given.
	want := "privlevel: 0\ninblob: " + hex.EncodeToString(rd[:])
	if string(quote) != want {
		t.Errorf("outblob %q, want %q", quote, want)
	}
	if provider != "tdx_guest" {
		t.Errorf("provider %q", provider)
	}
	if certs != nil {
		t.Errorf("TDX certificates %q, want none (auxblob is not asked for)", certs)
	}
}

func TestQuoteSNPAuxblob(t *testing.T) {
	c, _ := fake("sev_guest")
	p, err := NewWithClient(c)
	if err != nil {
		t.Fatal(err)
	}
	e, err := evidence.Make(p, evidence.Request{
		Launch: measure.Launch{Module: strings.Repeat("00", 32), Entry: "_start"},
		Nonce:  []byte{1, 2, 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Backend != "tsm" || e.TEE != "sev-snp" || e.Provider != "sev_guest" {
		t.Errorf("evidence backend %q tee %q provider %q", e.Backend, e.TEE, e.Provider)
	}
	if len(e.Certificates) != 1 || string(e.Certificates[0]) != "auxblob" {
		t.Errorf("certificates %q, want the fake's auxblob", e.Certificates)
	}
	if !bytes.Contains(e.Quote, []byte(e.ReportData)) {
		t.Errorf("outblob %q does not carry the report data %s", e.Quote, e.ReportData)
	}
	if e.NodeKey != nil {
		t.Error("tsm evidence has a node key")
	}
}

func TestQuoteRetriesOnGenerationChange(t *testing.T) {
	c, r := fake("tdx_guest")
	p, err := NewWithClient(c)
	if err != nil {
		t.Fatal(err)
	}
	var outblobReads, interfere atomic.Int32
	interfere.Store(2)
	base := r.ReadAttr
	r.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		if attr == "outblob" {
			outblobReads.Add(1)
			if interfere.Add(-1) >= 0 {
				// Another process wrote to the entry meanwhile.
				e.WriteGeneration++
			}
		}
		return base(e, attr)
	}
	rd := reportData()
	quote, _, _, err := p.Quote(rd)
	if err != nil {
		t.Fatal(err)
	}
	if n := outblobReads.Load(); n != 3 {
		t.Errorf("outblob read %d times, want 3 (two interfered with)", n)
	}
	if !strings.HasSuffix(string(quote), hex.EncodeToString(rd[:])) {
		t.Errorf("outblob %q", quote)
	}

	// Interference every time: give up with the generation error.
	interfere.Store(1 << 20)
	_, _, _, err = p.Quote(rd)
	if err == nil || !strings.Contains(err.Error(), "gave up after 5 attempts") || !strings.Contains(err.Error(), "generation") {
		t.Errorf("Quote under constant interference: %v", err)
	}
}

func TestQuoteBusyRetries(t *testing.T) {
	old := retryDelay
	retryDelay = 0
	t.Cleanup(func() { retryDelay = old })
	c, r := fake("sev_guest")
	p, err := NewWithClient(c)
	if err != nil {
		t.Fatal(err)
	}
	var busy atomic.Int32
	busy.Store(1)
	base := r.ReadAttr
	r.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		if attr == "auxblob" && busy.Add(-1) >= 0 {
			return nil, syscall.EBUSY
		}
		return base(e, attr)
	}
	if _, _, _, err := p.Quote(reportData()); err != nil {
		t.Fatalf("Quote after one EBUSY: %v", err)
	}
}

func TestQuoteOtherErrorIsNotRetried(t *testing.T) {
	c, r := fake("tdx_guest")
	p, err := NewWithClient(c)
	if err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int32
	r.ReadAttr = func(e *faketsm.ReportEntry, attr string) ([]byte, error) {
		reads.Add(1)
		return nil, syscall.EIO
	}
	if _, _, _, err := p.Quote(reportData()); err == nil {
		t.Fatal("Quote succeeded")
	}
	if reads.Load() != 1 {
		t.Errorf("%d reads, want 1", reads.Load())
	}
}

func TestAvailableAtAbsent(t *testing.T) {
	root := filepath.Join(t.TempDir(), "sys", "kernel", "config", "tsm")
	provider, ok, why := AvailableAt(root)
	if ok || provider != "" {
		t.Errorf("AvailableAt = %q, %v", provider, ok)
	}
	want := filepath.Join(root, "report") + " does not exist: this is not a confidential VM with configfs-tsm (kernel 6.7+)"
	if !strings.HasPrefix(why, want) {
		t.Errorf("why = %q, want prefix %q", why, want)
	}
	if _, err := New(root); err == nil || err.Error() != why {
		t.Errorf("New: %v", err)
	}
}

func TestRootedClientPaths(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "report"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(root)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := c.MkdirTemp(DefaultRoot+"/report", "entry")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(entry, DefaultRoot+"/report/entry") {
		t.Errorf("entry %q is not named in configfs terms", entry)
	}
	if err := c.WriteFile(entry+"/inblob", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "report", filepath.Base(entry), "inblob")); err != nil || string(b) != "x" {
		t.Errorf("inblob under root: %q, %v", b, err)
	}
	if _, err := c.ReadFile("/etc/passwd"); err == nil {
		t.Error("read outside the tsm tree")
	}
	if err := c.RemoveAll(entry); err != nil {
		t.Fatal(err)
	}
	// A plain directory is no configfs: the entry has no generation.
	_, ok, why := AvailableAt(root)
	if ok || !strings.Contains(why, "generation") {
		t.Errorf("AvailableAt on a plain directory: %v %q", ok, why)
	}
}
