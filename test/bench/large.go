package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// largeResult: starts of the large module, by the state of the compile cache.
type largeResult struct {
	first  sample   // empty cache: compiles, then stores the artifact
	cached []sample // artifact in the cache
	// hello are cached starts of the hello module, each just before a
	// cached start of the large one, so that the two are compared under
	// the same machine load.
	hello    []sample
	nocache  []sample // cache emptied before each start
	warnings []string
}

// clearCompileCache removes the daemon's compiled artifacts and their MACs
// (the node key stays).
func clearCompileCache(d *daemon) error {
	for _, pattern := range []string{"*.cwasm", "*.mac"} {
		files, err := filepath.Glob(filepath.Join(d.cacheDir(), pattern))
		if err != nil {
			return err
		}
		for _, f := range files {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("clearing the compile cache: %w", err)
			}
		}
	}
	return nil
}

// measureLarge: one start on an empty cache, then cached starts (each
// after a cached start of hello, when hello is given), then starts with
// the cache emptied before each. The daemon log must show
// source=compile for the first and the no-cache starts, source=cache for
// the cached ones; anything else becomes a warning.
func measureLarge(ctx context.Context, d *daemon, w workload, hello *workload, cached, nocache int) (largeResult, error) {
	var res largeResult
	want := map[string]string{}
	if err := clearCompileCache(d); err != nil {
		return res, err
	}
	id := containerID(w.key, "first")
	t, err := startOnce(ctx, d, w, id)
	if err != nil {
		return res, err
	}
	res.first, want[id] = t, "compile"
	fmt.Fprintf(os.Stderr, "  first start (compile): %.0f ms\n  cached starts: ", ms(t.elapsed()))

	if hello != nil {
		// Emptying the cache removed hello's artifact too: one start,
		// not counted, puts it back.
		id := containerID(hello.key, "beside-large-warmup")
		if _, err := startOnce(ctx, d, *hello, id); err != nil {
			return res, err
		}
	}
	for i := 1; i <= cached; i++ {
		if hello != nil {
			id := containerID(hello.key, "beside-large", i)
			t, err := startOnce(ctx, d, *hello, id)
			if err != nil {
				return res, err
			}
			res.hello, want[id] = append(res.hello, t), "cache"
		}
		id := containerID(w.key, "cached", i)
		t, err := startOnce(ctx, d, w, id)
		if err != nil {
			return res, err
		}
		res.cached, want[id] = append(res.cached, t), "cache"
		fmt.Fprint(os.Stderr, ".")
	}
	fmt.Fprint(os.Stderr, "\n  no-cache starts:")

	for i := 1; i <= nocache; i++ {
		if err := clearCompileCache(d); err != nil {
			return res, err
		}
		id := containerID(w.key, "nocache", i)
		t, err := startOnce(ctx, d, w, id)
		if err != nil {
			return res, err
		}
		res.nocache, want[id] = append(res.nocache, t), "compile"
		fmt.Fprintf(os.Stderr, " %.0f ms", ms(t.elapsed()))
	}
	fmt.Fprintln(os.Stderr)
	res.warnings = checkSources(d.logPath(), want)
	return res, nil
}
