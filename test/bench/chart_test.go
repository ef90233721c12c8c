package main

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

func TestGlyphs(t *testing.T) {
	for ch := rune(32); ch < 127; ch++ {
		g, ok := glyphs[ch]
		if !ok {
			t.Errorf("no glyph for %q", ch)
			continue
		}
		if len(g) < 7 || len(g) > glyphH {
			t.Errorf("glyph %q has %d rows, want 7 to %d", ch, len(g), glyphH)
		}
		for i, row := range g {
			if len(row) != glyphW {
				t.Errorf("glyph %q row %d is %q: want %d columns", ch, i, row, glyphW)
			}
			for _, px := range row {
				if px != '#' && px != '.' {
					t.Errorf("glyph %q row %d: %q is neither '#' nor '.'", ch, i, px)
				}
			}
		}
	}
}

// TestChart draws a chart of made-up figures. BENCH_CHART_OUT=FILE keeps
// it, to look at.
func TestChart(t *testing.T) {
	in := chartInput{title: "wasmtee vs its baselines: ratio per goal (log scale)", subtitle: "test data, not measured"}
	for _, b := range []chartBar{
		{item: 1, label: "1 cold start: hello / runc", ratio: 0.82, goalAt: 0.5, base: "runc", verdict: vNotMet},
		{item: 1, label: "1 cold start: Go guest / runc", ratio: 0.84, goalAt: 0.5, base: "runc", verdict: vInfo},
		{item: 2, label: "2 throughput: runs/s vs runc", ratio: 1.3, goalAt: 2, higher: true, base: "runc", verdict: vNotMet},
		{item: 3, label: "3 large module cached / hello", ratio: 1.2, goalAt: 1.13, base: "hello", verdict: vNotMet},
		{item: 4, label: "4 N=100 WAT x10: MiB per ctr / 3 MiB", ratio: 0.98, goalAt: 1, base: "the 3 MiB goal", verdict: vMet},
		{item: 4, label: "4 N=100 Go x1: PSS per ctr / runc", ratio: 2.6, goalAt: 1, base: "runc", verdict: vNotMet},
		{item: 5, label: "5 nbody: wasmtee / native", ratio: 1.9, goalAt: 1.25, base: "native", verdict: vNotMet},
		{item: 5, label: "5 nbody: wasmtee / wazero", ratio: 0.32, goalAt: 1, base: "wazero", verdict: vMet},
		{item: 6, label: "6 launch measurement / hello start", ratio: 0.00012, goalAt: 0.0063, base: "hello start", verdict: vMet},
		{item: 6, label: "6 attest round trip / hello start", ratio: 0.1, goalAt: 0.32, base: "hello start", verdict: vMet},
	} {
		in.bars = append(in.bars, b)
	}
	pic, err := drawChart(in)
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("BENCH_CHART_OUT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "chart.png")
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, pic); err != nil {
		t.Fatal(err)
	}
	if b := pic.Bounds(); b.Dx() < 800 || b.Dy() < 300 {
		t.Errorf("chart is %v: too small to read", b)
	}
	if _, err := drawChart(chartInput{}); err == nil {
		t.Error("an empty chart: want an error")
	}
}

func TestMemoryGuard(t *testing.T) {
	const gib = 1 << 20 // KiB
	for _, tc := range []struct {
		name           string
		before, now    int64
		started, total int
		floor          int64
		stop           bool
	}{
		{"plenty", 20 * gib, 20 * gib, 10, 100, 4 * gib, false},
		{"below the floor", 20 * gib, 3 * gib, 10, 100, 4 * gib, true},
		{"on the way below", 20 * gib, 18 * gib, 10, 100, 4 * gib, true}, // 2 GiB per 10 pods: 20 GiB for 100
		{"on the way, still above", 20 * gib, 19 * gib, 10, 100, 4 * gib, false},
		{"too early to project", 20 * gib, 18 * gib, 2, 100, 4 * gib, false},
		{"no floor", 20 * gib, 1 * gib, 10, 100, 0, false},
		{"unreadable", -1, -1, 10, 100, 4 * gib, false},
	} {
		err := memoryGuard(tc.before, tc.now, tc.started, tc.total, tc.floor)
		if (err != nil) != tc.stop {
			t.Errorf("%s: memoryGuard = %v, want stop %v", tc.name, err, tc.stop)
		}
	}
}
