package shim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/fifo"
	"github.com/containerd/log"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/shim/bootstrap"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// Main is the serving shim binary's entry point.
func Main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", bootstrap.ServerBinary, err)
		os.Exit(1)
	}
}

func run(args []string) error {
	f, err := bootstrap.ParseFlags(args)
	if err != nil {
		return err
	}
	switch {
	case f.Info:
		return writeInfo(os.Stdout)
	case f.Version:
		fmt.Printf("%s:\n  Version:  %s\n  Go version: %s\n", bootstrap.ServerBinary, Version, runtime.Version())
		return nil
	case f.Namespace == "":
		return errors.New("shim namespace cannot be empty")
	}
	if f.Debug {
		log.L.Logger.SetLevel(logrus.DebugLevel)
	}
	ctx := withNamespace(context.Background(), f.Namespace)
	switch f.Action {
	case "delete":
		catchSIGPIPE()
		if err := cleanup(ctx, f); err != nil {
			return err
		}
		_, err := os.Stdout.Write(bootstrap.KilledResponse())
		return err
	case "":
		return serve(ctx, f)
	}
	return fmt.Errorf("unknown action %q (this binary serves; containerd starts shims through containerd-shim-wasmtee-v1)", f.Action)
}

// serve runs the task service on the socket the entry binary passes as fd
// 3 until the task API's Shutdown (with no container left) or SIGTERM.
func serve(ctx context.Context, f bootstrap.Flags) error {
	// The same memory settings as containerd's shim library: a tighter
	// collector, memory handed back to the system now and then, and two
	// Ps unless set otherwise.
	debug.SetGCPercent(40)
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(2)
	}
	done := make(chan struct{})
	var once sync.Once
	s, err := newService(func() { once.Do(func() { close(done) }) })
	if err != nil {
		return err
	}
	// containerd started this shim in the bundle of the container it is
	// about to create: set that up while the shim starts.
	logged := make(chan bool, 1)
	go probePidfd()
	if bundle, err := f.BundleDir(); err == nil && f.ID != "" {
		s.startEarly(ctx, f.ID, bundle, logged)
	}
	defer s.dropEarly(ctx)
	// The log FIFO is stderr: a containerd that went away must not kill
	// the shim with SIGPIPE.
	catchSIGPIPE()
	err = openLog(ctx)
	logged <- err == nil
	if err != nil {
		return err
	}
	// The entry binary wrote the socket's address before starting us; the
	// bundle may be gone by the time we exit.
	address, err := os.ReadFile("address")
	if err != nil {
		return fmt.Errorf("shim address: %w", err)
	}
	l, err := net.FileListener(os.NewFile(3, "socket"))
	if err != nil {
		return fmt.Errorf("socket (fd 3): %w", err)
	}
	forwarded := make(chan struct{})
	go func() {
		s.forward(newPublisher(), f.Namespace)
		close(forwarded)
	}()
	server := ttrpc.NewServer()
	s.register(server, f.Namespace)
	go func() {
		if err := server.Serve(l); err != nil && !errors.Is(err, ttrpc.ErrServerClosed) {
			log.G(ctx).WithError(err).Error("ttrpc server")
			s.shutdown()
		}
	}()
	go freeMemory()
	go dumpStacksOnSIGUSR1()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case sig := <-sigs:
		log.G(ctx).WithField("signal", sig).Debug("exit signal")
	}
	// New connections fail from here on; the ones open are served out.
	if err := bootstrap.RemoveSocket(strings.TrimSpace(string(address))); err != nil {
		log.G(ctx).WithError(err).Warn("remove shim socket")
	}
	s.endEvents()
	select {
	case <-forwarded:
	case <-time.After(publishTimeout):
		log.G(ctx).Warn("events not all published at shutdown")
	}
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	server.Shutdown(sctx) // lets the Shutdown call's answer out
	cancel()
	return nil
}

// probePidfd makes the Go runtime's one check of this kernel's pidfd
// support (a pidfd of this process, and a child forked and reaped), which
// os.StartProcess otherwise makes at the shim's first start of a process:
// the early start's module host, whose spawn waits for it (0.3 to 0.7 ms
// here). Run beside the early start, it is off that path.
func probePidfd() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Release()
	}
}

// catchSIGPIPE keeps a write to a broken pipe on stdout or stderr (the log
// FIFO, once containerd is gone) from killing the shim: the write fails
// with EPIPE instead. The signal is caught, as containerd's shim library
// does, not ignored: an ignored signal stays ignored across exec in every
// process the shim starts (gramine-sgx, runc, module hosts), while a caught
// one is reset to its default there.
func catchSIGPIPE() {
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
}

// dumpStacksOnSIGUSR1 logs every goroutine's stack each time the shim gets
// SIGUSR1 (`kill -USR1 PID`), as shims on containerd's shim library do: the
// lines reach containerd's log.
func dumpStacksOnSIGUSR1() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	for range sig {
		log.L.Infof("=== goroutine stacks ===\n%s\n=== end of goroutine stacks ===", stacks())
	}
}

// stacks is the stack of every goroutine, as runtime.Stack gives it.
func stacks() []byte {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return buf[:n]
		}
		buf = make([]byte, 2*len(buf))
	}
}

// freeMemory hands memory the collector freed back to the system every 30
// seconds, as containerd's shim library does for its shims.
func freeMemory() {
	for range time.Tick(30 * time.Second) {
		debug.FreeOSMemory()
	}
}

// openLog sends the shim's log (and stderr) to the "log" FIFO containerd
// reads in the bundle directory. Every line names the runtime, as the lines
// of shims built on containerd's shim library do, so that they can be told
// apart in containerd's log.
func openLog(ctx context.Context) error {
	log.L = log.L.WithField("runtime", RuntimeName)
	log.L.Logger.SetFormatter(&logrus.TextFormatter{TimestampFormat: log.RFC3339NanoFixed, FullTimestamp: true})
	f, err := fifo.OpenFifoDup2(ctx, "log", unix.O_WRONLY, 0o700, int(os.Stderr.Fd()))
	if err != nil {
		return fmt.Errorf("open log FIFO: %w", err)
	}
	log.L.Logger.SetOutput(f)
	return nil
}
