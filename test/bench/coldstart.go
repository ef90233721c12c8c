package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

const (
	runtimeWasm = "io.containerd.wasmtee.v1"
	runtimeRunc = "io.containerd.runc.v2"
)

// workload is one kind of container the cold-start benchmark starts.
type workload struct {
	key     string // short name, used in container IDs
	label   string // table row
	short   string // table column
	runtime string
	ref     string
	args    []string // process args (empty: the image's)
	want    string   // stdout must contain this
}

func (w workload) wasm() bool { return w.runtime == runtimeWasm }

// runArgs: `ctr run --rm` on the default snapshotter, named explicitly.
func runArgs(runtime, ref, id string, args []string) []string {
	a := []string{"run", "--rm", "--snapshotter", "overlayfs", "--runtime", runtime, ref, id}
	return append(a, args...)
}

// idPrefix starts every container ID of the benchmark, so that what it
// leaves in directories shared with other users (ctr's FIFOs) is recognised.
const idPrefix = "bench-"

// containerID is bench-PART-PART-...
func containerID(parts ...any) string {
	id := strings.TrimSuffix(idPrefix, "-")
	for _, p := range parts {
		id += fmt.Sprintf("-%v", p)
	}
	return id
}

// sample is one container start: the wall time of its ctr process.
type sample struct {
	id         string
	start, end time.Time
}

func (s sample) elapsed() time.Duration { return s.end.Sub(s.start) }

func durations(ss []sample) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = s.elapsed()
	}
	return out
}

// startOnce runs one container to completion and checks its exit code and
// output.
func startOnce(ctx context.Context, d *daemon, w workload, id string) (sample, error) {
	if err := ctx.Err(); err != nil {
		return sample{}, fmt.Errorf("interrupted before starting %s: %w", id, err)
	}
	start := time.Now()
	r := d.ctr(ctx, 5*time.Minute, runArgs(w.runtime, w.ref, id, w.args)...)
	s := sample{id: id, start: start, end: start.Add(r.elapsed)}
	if !r.ok() || !strings.Contains(r.stdout, w.want) {
		return s, fmt.Errorf("containerd %s: %s: unexpected result (want exit 0 and %q on stdout):\n%s", d.version, w.label, w.want, r)
	}
	return s, nil
}

// coldStarts starts every workload n+1 times, interleaved (a, b, c, a, b,
// c, ...) so that machine noise hits all alike; the first round warms up
// (images unpacked, modules compiled into the cache) and is discarded. It
// returns the samples per workload key, and warnings for wasm starts the
// daemon log does not show as served from the compile cache.
func coldStarts(ctx context.Context, d *daemon, wls []workload, n int) (map[string][]sample, []string, error) {
	samples := map[string][]sample{}
	wantSource := map[string]string{}
	for i := 0; i <= n; i++ {
		for _, w := range wls {
			id := containerID(w.key, i)
			if i == 0 {
				id = containerID(w.key, "warmup")
			}
			t, err := startOnce(ctx, d, w, id)
			if err != nil {
				return nil, nil, err
			}
			if i == 0 {
				continue
			}
			samples[w.key] = append(samples[w.key], t)
			if w.wasm() {
				wantSource[id] = "cache"
			}
		}
		progress(i, n)
	}
	return samples, checkSources(d.logPath(), wantSource), nil
}

// progress prints a dot per round on stderr, and the round count every 10.
func progress(i, n int) {
	switch {
	case i == n:
		fmt.Fprintf(os.Stderr, " %d\n", i)
	case i > 0 && i%10 == 0:
		fmt.Fprintf(os.Stderr, "%d", i)
	default:
		fmt.Fprint(os.Stderr, ".")
	}
}
