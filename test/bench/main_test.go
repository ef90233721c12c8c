package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseFlags(t *testing.T) {
	t.Setenv("BENCH_DAEMONS", "")
	c, err := parseFlags([]string{"-repo", "/tmp"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range allSections {
		if !c.runs(s) {
			t.Errorf("default: section %s does not run", s)
		}
	}
	if !slices.Equal(c.density, []int{100, 500}) || c.throughput != 1000 || c.throughputP != 8 || !slices.Equal(c.versions, []string{"2.4"}) {
		t.Errorf("defaults: density %v, throughput %d/%d, versions %v", c.density, c.throughput, c.throughputP, c.versions)
	}
	if c.out != "/tmp/docs/benchmarks.md" || c.chart != "/tmp/docs/benchmarks.png" {
		t.Errorf("default outputs: %q, %q", c.out, c.chart)
	}

	c, err = parseFlags([]string{"-only", "cri,compute", "-skip-density", "-pods", "50", "-o", "/x/r.md"})
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, s := range allSections {
		if c.runs(s) {
			ran = append(ran, s)
		}
	}
	if strings.Join(ran, ",") != "podstart,compute" {
		t.Errorf("-only cri,compute -skip-density runs %v", ran)
	}
	if !slices.Equal(c.density, []int{50}) || c.chart != "/x/r.png" {
		t.Errorf("-pods 50: density %v; chart %q", c.density, c.chart)
	}
	if !strings.Contains(c.commandLine(), "-skip-cold") || strings.Contains(c.commandLine(), " -density ") {
		t.Errorf("command line %q", c.commandLine())
	}

	c, err = parseFlags([]string{"-skip-cri", "-chart", "none"})
	if err != nil || c.cri() || c.chart != "" {
		t.Errorf("-skip-cri -chart none: cri %v, chart %q, err %v", c.cri(), c.chart, err)
	}

	for _, bad := range [][]string{
		{"-density", "15"}, {"-density", "0"}, {"-density", "100,x"}, {"-pods", "100", "-density", "100"},
		{"-only", "nonsense"}, {"-daemons", "1.7"}, {"-throughput", "0"}, {"extra"},
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}
