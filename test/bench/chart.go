package main

import (
	"bufio"
	"errors"
	"fmt"
	img "image"
	"image/color"
	"image/png"
	"math"
	"os"
	"strings"
)

// The chart: one horizontal bar per goal (and per figure shown beside a
// goal), from parity (1x) to wasmtee's figure over its baseline's, on a log
// scale, with the goal marked. Drawn with the standard library and the
// bitmap font in font.go.

var (
	colWhite  = color.RGBA{255, 255, 255, 255}
	colText   = color.RGBA{20, 20, 20, 255}
	colMuted  = color.RGBA{100, 100, 100, 255}
	colGrid   = color.RGBA{222, 222, 222, 255}
	colGrid2  = color.RGBA{240, 240, 240, 255}
	colParity = color.RGBA{90, 90, 90, 255}
	colMet    = color.RGBA{46, 150, 70, 255}
	colNotMet = color.RGBA{205, 55, 45, 255}
	colInfo   = color.RGBA{150, 160, 175, 255}
	colBand   = color.RGBA{246, 247, 250, 255}
)

// chartBar is one bar.
type chartBar struct {
	item    int
	label   string
	ratio   float64
	goalAt  float64
	higher  bool
	base    string
	verdict verdictKind
}

// chartInput is what the chart shows.
type chartInput struct {
	title, subtitle string
	bars            []chartBar
}

func (r *results) chartInput() chartInput {
	in := chartInput{
		title: "wasmtee vs its baselines: ratio per goal (log scale)",
		subtitle: fmt.Sprintf("%s UTC, %s CPUs (%s), %s", r.machine.date.Format("2006-01-02 15:04"), r.machine.nproc,
			r.machine.cpu, r.machine.memory),
	}
	var ds []string
	for _, d := range r.daemons {
		ds = append(ds, d.server)
	}
	if len(ds) > 0 {
		in.subtitle += ", containerd " + strings.Join(ds, " and ")
	}
	if len(in.subtitle) > 110 {
		in.subtitle = in.subtitle[:107] + "..."
	}
	for _, g := range r.goals() {
		if g.bar == "" || !(g.ratio > 0) || math.IsInf(g.ratio, 0) {
			continue
		}
		in.bars = append(in.bars, chartBar{item: g.item, label: g.bar, ratio: g.ratio, goalAt: g.goalAt, higher: g.higher, base: g.base, verdict: g.v})
	}
	return in
}

// writeChart draws the run's chart into path (PNG).
func writeChart(path string, r *results) error {
	pic, err := drawChart(r.chartInput())
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := png.Encode(w, pic); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// canvas is an image with the drawing operations the chart needs.
type canvas struct{ *img.RGBA }

func (c canvas) fill(x0, y0, x1, y1 int, col color.RGBA) {
	if x1 < x0 {
		x0, x1 = x1, x0
	}
	if y1 < y0 {
		y0, y1 = y1, y0
	}
	r := img.Rect(x0, y0, x1, y1).Intersect(c.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c.SetRGBA(x, y, col)
		}
	}
}

// text draws s with its top-left corner at (x, y), each font pixel scale
// pixels wide; it returns the x after the last character.
func (c canvas) text(x, y, scale int, s string, col color.RGBA) int {
	for _, ch := range s {
		g, ok := glyphs[ch]
		if !ok {
			g = glyphs['?']
		}
		for row, line := range g {
			for colI, px := range line {
				if px == '#' {
					c.fill(x+colI*scale, y+row*scale, x+(colI+1)*scale, y+(row+1)*scale, col)
				}
			}
		}
		x += advanceW * scale
	}
	return x
}

func textWidth(s string, scale int) int { return len([]rune(s)) * advanceW * scale }

// fmtRatio prints a ratio with as many digits as its size needs.
func fmtRatio(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fx", v)
	case v >= 0.095:
		return fmt.Sprintf("%.2fx", v)
	case v >= 0.00095:
		return fmt.Sprintf("%.4fx", v)
	}
	return fmt.Sprintf("%.1ex", v)
}

// decade labels 10^d as "0.001x", "1x", "100x".
func decade(d float64) string {
	if d >= 0 {
		return fmt.Sprintf("%.0fx", math.Pow(10, d))
	}
	return fmt.Sprintf("%.*fx", int(-d), math.Pow(10, d))
}

func drawChart(in chartInput) (*img.RGBA, error) {
	if len(in.bars) == 0 {
		return nil, errors.New("nothing to chart: no goal was measured")
	}
	const (
		s       = 2 // font scale
		margin  = 24
		rowH    = 32
		barH    = 18
		plotW   = 640
		gap     = 20
		headerH = 110
	)
	labelW := 0
	values := make([]string, len(in.bars))
	valueW := 0
	lo, hi := 1.0, 1.0
	for i, b := range in.bars {
		labelW = max(labelW, textWidth(b.label, s))
		v := fmtRatio(b.ratio) + " " + b.base
		switch {
		case b.verdict == vInfo:
			v += " (no goal of its own)"
		case b.goalAt > 0:
			op := "<="
			if b.higher {
				op = ">="
			}
			v += ", goal " + op + " " + fmtRatio(b.goalAt) + ": " + b.verdict.String()
		}
		values[i] = v
		valueW = max(valueW, textWidth(v, s))
		lo, hi = math.Min(lo, b.ratio), math.Max(hi, b.ratio)
		if b.goalAt > 0 {
			lo, hi = math.Min(lo, b.goalAt), math.Max(hi, b.goalAt)
		}
	}
	// whole decades around everything, at most 1e-5 .. 1e3
	dlo := math.Max(-5, math.Floor(math.Log10(lo)-0.05))
	dhi := math.Min(3, math.Ceil(math.Log10(hi)+0.05))
	if dhi-dlo < 2 {
		dhi = dlo + 2
	}
	// groups of bars by item, with a gap between
	groups := 1
	for i := 1; i < len(in.bars); i++ {
		if in.bars[i].item != in.bars[i-1].item {
			groups++
		}
	}
	plotX := margin + labelW + gap
	valueX := plotX + plotW + gap
	width := max(valueX+valueW+margin, margin+textWidth(in.subtitle, s)+margin, margin+textWidth(in.title, 3)+margin)
	const legendH, axisH = 70, 64
	height := headerH + len(in.bars)*rowH + (groups-1)*12 + 10 + axisH + legendH
	c := canvas{img.NewRGBA(img.Rect(0, 0, width, height))}
	c.fill(0, 0, width, height, colWhite)

	c.text(margin, 18, 3, in.title, colText)
	c.text(margin, 18+advanceH*3+8, s, in.subtitle, colMuted)

	xOf := func(v float64) int {
		lv := math.Log10(v)
		lv = math.Max(dlo, math.Min(dhi, lv))
		return plotX + int(math.Round((lv-dlo)/(dhi-dlo)*float64(plotW)))
	}
	top := headerH
	bottom := height - legendH - axisH
	// grid: decades, and 2 and 5 within them
	for d := dlo; d <= dhi; d++ {
		for _, m := range []float64{2, 5} {
			if v := m * math.Pow(10, d); d < dhi {
				x := xOf(v)
				c.fill(x, top-6, x+1, bottom, colGrid2)
			}
		}
		x := xOf(math.Pow(10, d))
		c.fill(x, top-6, x+1, bottom, colGrid)
		label := decade(d)
		c.text(x-textWidth(label, s)/2, bottom+6, s, label, colMuted)
	}
	c.text(plotX+plotW/2-textWidth("wasmtee / baseline", s)/2, bottom+6+advanceH*s+4, s, "wasmtee / baseline", colMuted)

	y := top
	for i, b := range in.bars {
		if i > 0 && b.item != in.bars[i-1].item {
			y += 12
			c.fill(margin, y-7, width-margin, y-6, colGrid)
		}
		if i%2 == 0 {
			c.fill(margin, y, plotX-4, y+rowH-2, colBand)
		}
		ty := y + (rowH-glyphH*s)/2 + 2
		c.text(margin+4, ty, s, b.label, colText)
		col := colInfo
		switch b.verdict {
		case vMet:
			col = colMet
		case vNotMet:
			col = colNotMet
		}
		by := y + (rowH-barH)/2
		x1, xv := xOf(1), xOf(b.ratio)
		if x1 == xv { // a ratio of 1: a sliver, so the row is not empty
			xv = x1 + 2
		}
		c.fill(x1, by, xv, by+barH, col)
		if math.Log10(b.ratio) < dlo || math.Log10(b.ratio) > dhi { // clipped: mark the end
			for k := 0; k < 6; k++ {
				xe := xv - k
				if xv > x1 {
					xe = xv + k
				}
				c.fill(xe, by+k, xe+1, by+barH-k, col)
			}
		}
		if b.goalAt > 0 {
			xg, mark := xOf(b.goalAt), colText
			if b.verdict == vInfo { // the neighbouring row's goal, for comparison
				mark = colMuted
			}
			c.fill(xg-2, by-6, xg+2, by+barH+6, mark)
		}
		c.text(valueX, ty, s, values[i], col)
		y += rowH
	}
	// parity line over the bars
	x1 := xOf(1)
	c.fill(x1-1, top-6, x1+1, bottom, colParity)

	ly := height - legendH + 8
	lx := margin
	for _, l := range []struct {
		col  color.RGBA
		text string
		mark bool
	}{
		{colMet, "goal met", false}, {colNotMet, "goal not met", false}, {colInfo, "no goal of its own", false},
		{colText, "goal", true}, {colParity, "parity (1x)", true},
	} {
		if l.mark {
			c.fill(lx+8, ly-4, lx+12, ly+22, l.col)
		} else {
			c.fill(lx, ly, lx+20, ly+18, l.col)
		}
		lx = c.text(lx+30, ly+2, s, l.text, colText) + 30
	}
	c.text(margin, ly+32, s, "Bars run from 1x to the ratio; for throughput a higher ratio is better, for every other row a lower one.", colMuted)
	return c.RGBA, nil
}
