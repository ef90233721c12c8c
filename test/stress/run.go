package stress

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/oci"
)

// Phases of one run, in order. "container" is NewContainer (the container
// record and its snapshot), "create" is NewTask (the shim and the task),
// "start" is Start, "exit-wait" lasts from Start's return to the exit
// status, "delete" is the task's and the container's delete (with its
// snapshot).
var phaseNames = []string{"container", "create", "start", "exit-wait", "delete"}

const (
	phContainer = iota
	phCreate
	phStart
	phExit
	phDelete
	numPhases
)

// result is one run: the phases it completed, and its error if any.
type result struct {
	id     string
	phases [numPhases]time.Duration
	done   int // phases completed
	total  time.Duration
	err    error
	failed string // the phase that failed
}

// workload is what every run does.
type workload struct {
	cfg    *config
	client *containerd.Client
	image  containerd.Image
	snap   string
}

// prepare finds the image and makes sure it is unpacked for the
// snapshotter, so that the first runs do not pay for (or race on) it.
func prepare(ctx context.Context, client *containerd.Client, cfg *config) (*workload, error) {
	img, err := client.GetImage(ctx, cfg.image)
	if err != nil {
		return nil, fmt.Errorf("image %s in namespace %s: %w (import it first)", cfg.image, cfg.namespace, err)
	}
	ok, err := img.IsUnpacked(ctx, cfg.snapshotter)
	if err != nil || !ok {
		if err := img.Unpack(ctx, cfg.snapshotter); err != nil {
			return nil, fmt.Errorf("unpack %s: %w", cfg.image, err)
		}
	}
	return &workload{cfg: cfg, client: client, image: img, snap: cfg.snapshotter}, nil
}

func (w *workload) id(i int) string { return fmt.Sprintf("%s-%05d", w.cfg.idPrefix, i) }

// runAll runs N runs on P workers and returns the results in run order and
// the wall time. An interrupt (ctx) stops new runs; runs in flight finish.
func (w *workload) runAll(ctx context.Context, logw io.Writer) ([]result, time.Duration) {
	results := make([]result, w.cfg.n)
	next := make(chan int)
	var wg sync.WaitGroup
	var finished, failed atomic.Int64
	start := time.Now()

	progressDone := make(chan struct{})
	go func() { // a line every 5 s on stderr, so a long run shows life
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-progressDone:
				return
			case <-t.C:
				n := finished.Load()
				fmt.Fprintf(logw, "wasmtee-stress: %d/%d runs done, %d failed, %.1f runs/s\n",
					n, w.cfg.n, failed.Load(), float64(n)/time.Since(start).Seconds())
			}
		}
	}()

	for k := 0; k < w.cfg.p; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = w.one(w.id(i))
				finished.Add(1)
				if results[i].err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	n := 0
feed:
	for ; n < w.cfg.n; n++ {
		select {
		case next <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)
	close(progressDone)
	return results[:n], wall
}

// one is a single run. It is not cancelled by an interrupt: a run stopped
// half-way leaves a container behind, which is what the tool looks for.
func (w *workload) one(id string) (r result) {
	r.id = id
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.timeout)
	defer cancel()
	t0 := time.Now()
	mark := t0
	phase := func(p int) {
		now := time.Now()
		r.phases[p] = now.Sub(mark)
		r.done = p + 1
		mark = now
	}
	fail := func(p int, err error) result {
		r.err, r.failed = err, phaseNames[p]
		r.total = time.Since(t0)
		return r
	}

	specOpts := []oci.SpecOpts{oci.WithImageConfig(w.image)}
	if len(w.cfg.args) > 0 {
		specOpts = append(specOpts, oci.WithProcessArgs(w.cfg.args...))
	}
	var opts []containerd.NewContainerOpts
	if w.snap != "" {
		opts = append(opts, containerd.WithSnapshotter(w.snap))
	}
	opts = append(opts,
		containerd.WithNewSnapshot(id+"-snap", w.image),
		containerd.WithNewSpec(specOpts...),
		containerd.WithRuntime(w.cfg.runtime, nil))
	cont, err := w.client.NewContainer(ctx, id, opts...)
	if err != nil {
		return fail(phContainer, fmt.Errorf("new container: %w", err))
	}
	phase(phContainer)
	deleted := false
	defer func() {
		if !deleted { // best effort, so that one failure does not cascade
			cctx, ccancel := context.WithTimeout(context.Background(), time.Minute)
			defer ccancel()
			if t, err := cont.Task(cctx, nil); err == nil {
				t.Delete(cctx, containerd.WithProcessKill)
			}
			cont.Delete(cctx, containerd.WithSnapshotCleanup)
		}
	}()

	task, err := cont.NewTask(ctx, cio.NullIO)
	if err != nil {
		return fail(phCreate, fmt.Errorf("new task: %w", err))
	}
	phase(phCreate)

	exited, err := task.Wait(ctx)
	if err != nil {
		return fail(phStart, fmt.Errorf("wait: %w", err))
	}
	mark = time.Now() // Wait is not part of start
	if err := task.Start(ctx); err != nil {
		return fail(phStart, fmt.Errorf("start: %w", err))
	}
	phase(phStart)

	var st containerd.ExitStatus
	select {
	case st = <-exited:
	case <-ctx.Done():
		return fail(phExit, fmt.Errorf("no exit within %v: %w", w.cfg.timeout, ctx.Err()))
	}
	code, _, err := st.Result()
	if err != nil {
		return fail(phExit, fmt.Errorf("exit status: %w", err))
	}
	phase(phExit)

	if _, err := task.Delete(ctx); err != nil {
		return fail(phDelete, fmt.Errorf("delete task: %w", err))
	}
	if err := cont.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
		return fail(phDelete, fmt.Errorf("delete container: %w", err))
	}
	deleted = true
	phase(phDelete)
	r.total = time.Since(t0)
	if code != 0 {
		r.err, r.failed = fmt.Errorf("exit status %d, want 0", code), phaseNames[phExit]
	}
	return r
}
