package shim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	runc "github.com/containerd/go-runc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/oci"
)

// runcRoot keeps the state of the ordinary Linux containers (sidecars) that
// wasmtee pods run through runc, apart from containerd's own.
const runcRoot = "/run/wasmtee/runc"

// nativeHost is a pod's ordinary Linux container (a logging or service-mesh
// sidecar whose entrypoint is not a wasm module), run through runc.
type nativeHost struct {
	runc *runc.Runc
	id   string
	pid  int

	once   sync.Once
	done   chan struct{}
	status int
	at     time.Time
}

// createNative has runc create the container described by the bundle, with
// the given stdio, and starts waiting for its init process. The bundle's
// namespaces must have been made private (privateSandboxNamespaces).
func createNative(ctx context.Context, ns, id, bundle string, st *stdio) (*nativeHost, error) {
	bin, err := exec.LookPath("runc")
	if err != nil {
		return nil, fmt.Errorf("%w: container %s is not a wasm module and runs through runc, but runc is not on the shim's PATH", errPrecondition, id)
	}
	if err := subreaper(); err != nil {
		return nil, err
	}
	r := &runc.Runc{Command: bin, Root: filepath.Join(runcRoot, ns), Log: filepath.Join(bundle, "runc.log")}
	pidFile := filepath.Join(bundle, "init.pid")
	if err := r.Create(ctx, id, bundle, &runc.CreateOpts{IO: fileIO{st}, PidFile: pidFile}); err != nil {
		return nil, fmt.Errorf("runc create %s: %w: %s", id, err, runcLog(bundle))
	}
	data, err := os.ReadFile(pidFile)
	if err != nil {
		r.Delete(context.WithoutCancel(ctx), id, &runc.DeleteOpts{Force: true})
		return nil, fmt.Errorf("runc pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		// A pid of 0 would make Signal hit the shim's own process group.
		r.Delete(context.WithoutCancel(ctx), id, &runc.DeleteOpts{Force: true})
		return nil, fmt.Errorf("runc pid file %s holds %q, not a process ID", pidFile, data)
	}
	h := &nativeHost{runc: r, id: id, pid: pid, done: make(chan struct{})}
	go h.wait()
	return h, nil
}

// subreaper makes the shim a child subreaper, once per shim process (the
// attribute is the process's and stays set): runc create's init is
// re-parented to the shim when runc exits, and the shim must be its
// parent to wait for it.
var subreaper = onceSubreaper(func() error { return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) })

// onceSubreaper runs set the first time the returned function is called
// and returns set's result to every call.
func onceSubreaper(set func() error) func() error {
	return sync.OnceValue(func() error {
		if err := set(); err != nil {
			return fmt.Errorf("become subreaper: %w", err)
		}
		return nil
	})
}

func (h *nativeHost) wait() {
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(h.pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		// Not (yet) re-parented to the shim: wait while it lives.
		if err == unix.ECHILD && unix.Kill(h.pid, 0) == nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		status := 255
		switch {
		case err != nil:
		case ws.Signaled():
			status = 128 + int(ws.Signal())
		default:
			status = ws.ExitStatus()
		}
		h.exit(status)
		return
	}
}

func (h *nativeHost) exit(status int) {
	h.once.Do(func() {
		h.status, h.at = status, time.Now()
		close(h.done)
	})
}

func (h *nativeHost) Pid() int { return h.pid }

func (h *nativeHost) Start(ctx context.Context) error { return h.runc.Start(ctx, h.id) }

func (h *nativeHost) Signal(sig syscall.Signal) error {
	select {
	case <-h.done:
		return nil
	default:
	}
	if err := unix.Kill(h.pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return err
	}
	return nil
}

func (h *nativeHost) Done() <-chan struct{}  { return h.done }
func (h *nativeHost) Exit() (int, time.Time) { return h.status, h.at }

// Close deletes the runc container (its state and cgroup).
func (h *nativeHost) Close() error {
	return h.runc.Delete(context.Background(), h.id, &runc.DeleteOpts{Force: true})
}

// deleteNative force-deletes a runc container left by a shim that died
// (runc containers, unlike module hosts, do not die with the shim).
func deleteNative(ctx context.Context, ns, id string) {
	root := filepath.Join(runcRoot, ns)
	if _, err := os.Stat(filepath.Join(root, id)); err != nil {
		return
	}
	if bin, err := exec.LookPath("runc"); err == nil {
		r := &runc.Runc{Command: bin, Root: root}
		r.Delete(ctx, id, &runc.DeleteOpts{Force: true})
	}
}

func runcLog(bundle string) string {
	b, _ := os.ReadFile(filepath.Join(bundle, "runc.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// privateSandboxNamespaces rewrites the bundle's namespaces that CRI points
// at the pod sandbox (/proc/<sandbox pid>/ns/...). wasmtee runs the sandbox
// inside the shim, so those paths would be the shim's, that is the host's,
// namespaces: a sidecar gets new ones of its own instead. spec is the
// bundle's config.json as Create read it (oci.ReadSpec: not all of it); it
// is left as it is, and config.json is read whole and written only if a
// namespace changes.
func privateSandboxNamespaces(bundle string, spec *specs.Spec) error {
	if spec.Linux == nil {
		return nil
	}
	self := "/proc/" + strconv.Itoa(os.Getpid()) + "/"
	var namespaces []specs.LinuxNamespace
	for i, n := range spec.Linux.Namespaces {
		if strings.HasPrefix(n.Path, self) && len(n.Path) > len(self) {
			if namespaces == nil {
				namespaces = slices.Clone(spec.Linux.Namespaces)
			}
			namespaces[i].Path = ""
		}
	}
	if namespaces == nil {
		return nil
	}
	full, err := oci.ReadFullSpec(bundle)
	if err != nil {
		return err
	}
	if full.Linux == nil {
		return fmt.Errorf("bundle config: the Linux section is gone")
	}
	full.Linux.Namespaces = namespaces
	out, err := json.Marshal(full)
	if err != nil {
		return fmt.Errorf("bundle config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), out, 0o600); err != nil {
		return fmt.Errorf("bundle config: %w", err)
	}
	return nil
}

// fileIO hands runc the container's stdio files: runc passes its own stdio
// to the container's init when there is no terminal.
type fileIO struct{ s *stdio }

func (f fileIO) Close() error          { return nil }
func (f fileIO) Stdin() io.WriteCloser { return nil }
func (f fileIO) Stdout() io.ReadCloser { return nil }
func (f fileIO) Stderr() io.ReadCloser { return nil }
func (f fileIO) Set(cmd *exec.Cmd)     { cmd.Stdin, cmd.Stdout, cmd.Stderr = f.s.in, f.s.out, f.s.err }
