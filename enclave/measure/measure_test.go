package measure

import (
	"encoding/hex"
	"strings"
	"testing"
)

func sampleLaunch() Launch {
	return Launch{
		Module:      strings.Repeat("ab", 32),
		Entry:       "_start",
		Args:        []string{"/app.wasm", "serve"},
		Env:         []string{"PATH=/bin", "MODE=prod"},
		Preopens:    []Preopen{{Guest: "/", ReadOnly: true}, {Guest: "/data"}},
		MemoryLimit: 64 << 20,
		Backend:     "process",
	}
}

// Golden vectors, computed independently of this code from the documented
// encoding (scripts/measure-reference.py). A change here is a change of the
// encoding and needs a new version.
func TestGoldenVectors(t *testing.T) {
	m, err := Measure(sampleLaunch())
	if err != nil {
		t.Fatal(err)
	}
	const wantM = "a42fb4cbc4aeaa0afa852b3a851ba5f427bef709aa8feac3893b606b6e992e7d"
	if m.String() != wantM {
		t.Errorf("measurement %s, want %s", m, wantM)
	}
	nonce, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	rd := ReportData(m, nonce, []byte("pubkey"))
	const wantRD = "37015a5289ec61d9042b71a36feb4542628b48b3cd03e8755018f7876a4bc8988f9f0e56ab94acd9b701e38cfe1046ddf272a3302e0b7e0aa647afd73f065baf"
	if hex.EncodeToString(rd[:]) != wantRD {
		t.Errorf("report data %x, want %s", rd, wantRD)
	}
}

// Every measured field changes the measurement.
func TestEveryFieldCounts(t *testing.T) {
	base, _ := Measure(sampleLaunch())
	for name, mutate := range map[string]func(*Launch){
		"module":       func(l *Launch) { l.Module = strings.Repeat("cd", 32) },
		"entry":        func(l *Launch) { l.Entry = "other" },
		"arg":          func(l *Launch) { l.Args[1] = "debug" },
		"arg split":    func(l *Launch) { l.Args = []string{"/app.wasm", "ser", "ve"} },
		"env":          func(l *Launch) { l.Env[1] = "MODE=dev" },
		"env order":    func(l *Launch) { l.Env[0], l.Env[1] = l.Env[1], l.Env[0] },
		"arg vs env":   func(l *Launch) { l.Env = append(l.Env, l.Args[1]); l.Args = l.Args[:1] },
		"preopen mode": func(l *Launch) { l.Preopens[1].ReadOnly = true },
		"preopen path": func(l *Launch) { l.Preopens[1].Guest = "/dat" },
		"memory":       func(l *Launch) { l.MemoryLimit++ },
		"backend":      func(l *Launch) { l.Backend = "tsm" },
	} {
		l := sampleLaunch()
		mutate(&l)
		m, err := Measure(l)
		if err != nil || m == base {
			t.Errorf("%s: measurement unchanged (%v)", name, err)
		}
	}
	if _, err := Measure(Launch{Module: "xyz"}); err == nil {
		t.Error("bad module digest accepted")
	}
}

func TestReportDataBindsAll(t *testing.T) {
	m, _ := Measure(sampleLaunch())
	rd := ReportData(m, []byte("n"), nil)
	for name, other := range map[string][64]byte{
		"nonce":        ReportData(m, []byte("m"), nil),
		"key":          ReportData(m, []byte("n"), []byte("k")),
		"nonce vs key": ReportData(m, nil, []byte("n")),
		"measurement":  ReportData(Measurement{1}, []byte("n"), nil),
	} {
		if other == rd {
			t.Errorf("%s does not change the report data", name)
		}
	}
}
