package stress

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// maxErrors is how many failures the report quotes in full.
const maxErrors = 5

// Latency is the distribution of one phase (or of the whole run), in
// milliseconds, over the successful runs.
type Latency struct {
	Phase string  `json:"phase"`
	N     int     `json:"n"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
	Mean  float64 `json:"mean_ms"`
}

// percentile is the nearest-rank percentile of sorted values: the
// smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

func distribution(name string, ds []time.Duration) Latency {
	slices.Sort(ds)
	l := Latency{Phase: name, N: len(ds)}
	if len(ds) == 0 {
		return l
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	l.P50, l.P90, l.P99 = ms(percentile(ds, 50)), ms(percentile(ds, 90)), ms(percentile(ds, 99))
	l.Max, l.Mean = ms(ds[len(ds)-1]), ms(sum/time.Duration(len(ds)))
	return l
}

// summarize fills the run counts, failures, throughput and latencies.
func (r *Report) summarize(results []result, wall time.Duration) {
	r.Completed = len(results)
	r.WallSeconds = math.Round(wall.Seconds()*1000) / 1000
	if wall > 0 {
		r.Throughput = math.Round(float64(len(results))/wall.Seconds()*100) / 100
	}
	phases := make([][]time.Duration, numPhases)
	var totals []time.Duration
	r.FailuresByPhase = map[string]int{}
	for _, res := range results {
		if res.err != nil {
			r.Failures++
			r.FailuresByPhase[res.failed]++
			if len(r.FirstErrors) < maxErrors {
				r.FirstErrors = append(r.FirstErrors, fmt.Sprintf("%s (%s, after %v): %v",
					res.id, res.failed, res.total.Round(time.Millisecond), res.err))
			}
			continue
		}
		for p := 0; p < numPhases; p++ {
			phases[p] = append(phases[p], res.phases[p])
		}
		totals = append(totals, res.total)
	}
	for p, name := range phaseNames {
		r.Latency = append(r.Latency, distribution(name, phases[p]))
	}
	r.Latency = append(r.Latency, distribution("total", totals))
}
