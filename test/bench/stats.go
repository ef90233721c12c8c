package main

import (
	"math"
	"slices"
	"time"
)

// summary of a set of samples.
type summary struct {
	n                  int
	p50, p95, min, max time.Duration
}

// summarize: percentiles by linear interpolation between the closest ranks
// (p50 of an even count is the mean of the middle two).
func summarize(samples []time.Duration) summary {
	if len(samples) == 0 {
		return summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return summary{n: len(s), p50: percentile(s, 50), p95: percentile(s, 95), min: s[0], max: s[len(s)-1]}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return sorted[lo] + time.Duration(frac*float64(sorted[hi]-sorted[lo]))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
