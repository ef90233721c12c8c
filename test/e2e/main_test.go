//go:build e2e

package e2e

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	flag.Parse()
	if f := flag.Lookup("test.list"); f != nil && f.Value.String() != "" {
		return m.Run() // listing tests needs no daemons
	}
	if err := setupPaths(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
		return 1
	}
	work, err := os.MkdirTemp("", "wasmtee-e2e-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: %v\n", err)
		return 1
	}
	env.work = work
	defer os.RemoveAll(work)

	t0 := time.Now()
	if err := buildGuests(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: FAIL: building the guests: %v\n", err)
		return 1
	}
	buildImages()
	if err := buildCRIImages(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: CRI sandbox image not built (the CRI tests will fail): %v\n", err)
	}
	for name, err := range imageErrs {
		fmt.Fprintf(os.Stderr, "e2e: image %s not built (its tests will fail): %v\n", name, err)
	}
	fmt.Fprintf(os.Stderr, "e2e: guests and images built in %v\n", time.Since(t0).Round(time.Millisecond))
	// Before the daemons start: they (and the shims) inherit its PATH.
	if err := setupSGXFake(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: the Gramine test double was not built (the SGX tests will fail): %v\n", err)
	}

	// The daemons, and so the shims, inherit this; a guest must not see it.
	os.Setenv(secretEnv, "1")

	var stopOnce sync.Once
	stopAll := func() (failed bool) {
		stopOnce.Do(func() {
			for _, d := range daemons {
				if err := d.stop(); err != nil {
					fmt.Fprintf(os.Stderr, "e2e: FAIL: stopping daemons: %v\n", err)
					failed = true
				}
			}
			os.Remove(filepath.Dir(daemonDir(versions[0]))) // .cache/e2e, if empty
		})
		return failed
	}
	// Daemons must not outlive the run: stop them on SIGINT/SIGTERM and shortly before
	// go test's -timeout would panic (which skips deferred functions).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "e2e: %v: stopping daemons\n", s)
		stopAll()
		os.Exit(1)
	}()
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > 0 {
			margin := min(d/10, 30*time.Second)
			tm := time.AfterFunc(d-margin, func() {
				fmt.Fprintf(os.Stderr, "e2e: -timeout %v nearly reached: stopping daemons\n", d)
				stopAll()
			})
			defer tm.Stop()
		}
	}

	t0 = time.Now()
	for _, v := range versions {
		d := startDaemon(v)
		daemons = append(daemons, d)
		if d.err != nil {
			fmt.Fprintf(os.Stderr, "e2e: containerd %s did not start (its tests will fail): %v\n", v, d.err)
			continue
		}
		d.importImages()
		d.importCRIImages()
		for name, err := range d.images {
			if err != nil {
				fmt.Fprintf(os.Stderr, "e2e: containerd %s: image %s: %v\n", v, name, err)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "e2e: daemons started and images imported in %v\n", time.Since(t0).Round(time.Millisecond))

	code := m.Run()
	if code != 0 {
		for _, d := range daemons {
			if d.err == nil {
				fmt.Fprintln(os.Stderr, d.logs(150))
			}
		}
	}
	if stopAll() && code == 0 {
		code = 1
	}
	return code
}
