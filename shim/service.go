package shim

import (
	"context"
	"os"
	"strconv"
	"sync"

	"github.com/containerd/log"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// Environment variables that configure the shim (inherited from containerd).
const (
	envCacheDir = "WASMTEE_CACHE_DIR"
	envCacheMax = "WASMTEE_CACHE_MAX_BYTES"

	defaultCacheDir = "/var/lib/wasmtee/cache"
)

// service is the runtime v2 task service of one shim process. It serves
// every container of its group (one pod, or one container).
type service struct {
	launcher *enclave.Launcher
	events   chan taskapi.Event
	// eventsEnd is closed (once) when the shim shuts down: see endEvents.
	eventsEnd     chan struct{}
	endEventsOnce sync.Once
	// shutdown asks the shim to end (the task API's Shutdown, once it
	// serves no container).
	shutdown func()

	mu         sync.Mutex
	containers map[string]*container
	// early is the shim's first container, set up ahead of its Create
	// until Create takes it (see earlyStart).
	early *earlyStart

	// tees memoizes selectTEE by selection string.
	tees sync.Map
}

// newService builds the task service. Its events are published by
// forward, which the caller runs.
func newService(shutdown func()) (*service, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return &service{
		launcher:   newLauncher(exe),
		events:     make(chan taskapi.Event, 128),
		eventsEnd:  make(chan struct{}),
		shutdown:   shutdown,
		containers: map[string]*container{},
	}, nil
}

// newLauncher is the launcher settings of the shim binary at exe, before
// a create's runtime options: the same for its creates and for "delete"'s
// cleanup after a crash.
func newLauncher(exe string) *enclave.Launcher {
	return &enclave.Launcher{Exe: enclave.HostBinary(exe), CacheDir: cacheDir(), CacheMax: cacheMax()}
}

func cacheDir() string {
	if d, ok := os.LookupEnv(envCacheDir); ok {
		return d // "" disables the cache
	}
	return defaultCacheDir
}

func cacheMax() int64 {
	n, _ := strconv.ParseInt(os.Getenv(envCacheMax), 10, 64)
	return n
}

func (s *service) get(id string) (*container, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.containers[id]
	if !ok {
		return nil, wrapf(errNotFound, "container %s", id)
	}
	return c, nil
}

func logger(ctx context.Context, id string) *log.Entry {
	return log.G(ctx).WithField("container_id", id).WithField("namespace", namespaceOf(ctx))
}
