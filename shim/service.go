package shim

import (
	"context"
	"os"
	"strconv"
	"sync"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/oom"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	"github.com/containerd/ttrpc"

	"github.com/wasmtee/wasmtee/enclave"
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
	events   chan any
	shutdown shutdown.Service
	// oom watches the containers' cgroups and queues TaskOOM events.
	oom oom.Watcher

	mu         sync.Mutex
	containers map[string]*container

	// tees memoizes selectTEE by selection string.
	tees sync.Map
}

var _ taskAPI.TaskService = (*service)(nil)

// newService builds the task service and starts forwarding its events.
func newService(ctx context.Context, publisher shim.Publisher, sd shutdown.Service) (*service, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	s := &service{
		launcher:   newLauncher(exe),
		events:     make(chan any, 128),
		shutdown:   sd,
		containers: map[string]*container{},
	}
	go s.forward(ctx, publisher)
	if s.oom, err = newOOMWatcher(queuePublisher{s}); err != nil {
		log.G(ctx).WithError(err).Warn("OOM events disabled")
	} else {
		go s.oom.Run(ctx)
	}
	sd.RegisterCallback(func(context.Context) error {
		close(s.events)
		return nil
	})
	return s, nil
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

// RegisterTTRPC implements the shim library's ttrpcService.
func (s *service) RegisterTTRPC(server *ttrpc.Server) error {
	taskAPI.RegisterTaskService(server, s)
	s.registerAttest(server)
	return nil
}

// UnaryInterceptor implements the shim library's ttrpcServerOptioner: the
// single boundary where errors get their ttrpc codes.
func (s *service) UnaryInterceptor() ttrpc.UnaryServerInterceptor { return errorBoundary }

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

func namespaceOf(ctx context.Context) string {
	ns, _ := namespaces.Namespace(ctx)
	return ns
}
