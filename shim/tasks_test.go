package shim

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	taskv2 "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/api/types/task"
	cderrdefs "github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
	cdttrpc "github.com/containerd/ttrpc"

	"github.com/wasmtee/wasmtee/shim/taskapi"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

// TestTaskAPIOverTTRPC drives the task service through its ttrpc method
// table with containerd's own generated task client and ttrpc library, as
// containerd does: requests decode, the namespace travels in the metadata,
// replies decode, and errors come back as the error kinds containerd
// understands.
func TestTaskAPIOverTTRPC(t *testing.T) {
	h := newFakeHost(false)
	s, _ := newTestService(t, "c1", h)
	shutdown := make(chan struct{})
	s.shutdown = func() { close(shutdown) }

	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	server := ttrpc.NewServer()
	s.register(server, "flag-ns")
	// A probe method that answers with the namespace its context carries.
	server.Register("test.NS", map[string]ttrpc.Method{"Get": unary(methods{ns: "flag-ns"},
		func(ctx context.Context, r *taskapi.StateRequest) (*taskapi.StateResponse, error) {
			return &taskapi.StateResponse{ID: namespaceOf(ctx)}, nil
		})})
	go server.Serve(l)
	t.Cleanup(func() { server.Close() })

	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	client := cdttrpc.NewClient(conn)
	t.Cleanup(func() { client.Close() })
	tc := taskv2.NewTaskClient(client)
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), "req-ns"), 10*time.Second)
	defer cancel()

	st, err := tc.State(ctx, &taskv2.StateRequest{ID: "c1"})
	if err != nil || st.Status != task.Status_CREATED || st.Pid != 4242 || st.ID != "c1" {
		t.Fatalf("state: %v %v, want CREATED pid 4242", st, err)
	}
	if _, err := tc.State(ctx, &taskv2.StateRequest{ID: "nope"}); !cderrdefs.IsNotFound(cderrdefs.FromGRPC(err)) {
		t.Fatalf("state of a missing container: %v, want not found", err)
	}
	if _, err := tc.Pause(ctx, &taskv2.PauseRequest{ID: "c1"}); !cderrdefs.IsNotImplemented(cderrdefs.FromGRPC(err)) {
		t.Fatalf("pause: %v, want not implemented", err)
	}
	if _, err := tc.Start(ctx, &taskv2.StartRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.Kill(ctx, &taskv2.KillRequest{ID: "c1", Signal: uint32(syscall.SIGTERM)}); err != nil {
		t.Fatal(err)
	}
	w, err := tc.Wait(ctx, &taskv2.WaitRequest{ID: "c1"})
	if err != nil || w.ExitStatus != 143 || !w.ExitedAt.AsTime().Equal(time.Unix(1, 0)) {
		t.Fatalf("wait: %v %v, want 143 at 1s", w, err)
	}
	c, err := tc.Connect(ctx, &taskv2.ConnectRequest{ID: "c1"})
	if err != nil || c.ShimPid != uint32(os.Getpid()) || c.TaskPid != 4242 {
		t.Fatalf("connect: %v %v", c, err)
	}
	// A shim that still serves a container does not end.
	if _, err := tc.Shutdown(ctx, &taskv2.ShutdownRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-shutdown:
		t.Fatal("shutdown with a container left")
	default:
	}
	d, err := tc.Delete(ctx, &taskv2.DeleteRequest{ID: "c1"})
	if err != nil || d.ExitStatus != 143 || d.Pid != 4242 {
		t.Fatalf("delete: %v %v", d, err)
	}
	if _, err := tc.Shutdown(ctx, &taskv2.ShutdownRequest{ID: "c1"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-shutdown:
	case <-time.After(5 * time.Second):
		t.Fatal("no shutdown once the last container was deleted")
	}
	for ctx, want := range map[context.Context]string{ctx: "req-ns", context.Background(): "flag-ns"} {
		var got taskv2.StateResponse
		if err := client.Call(ctx, "test.NS", "Get", &taskv2.StateRequest{}, &got); err != nil || got.ID != want {
			t.Fatalf("namespace in the handler: %q %v, want %q", got.ID, err, want)
		}
	}
	if got := topics(t, s, 3); got[0] != "/tasks/start" || got[1] != "/tasks/exit" || got[2] != "/tasks/delete" {
		t.Fatalf("events %v", got)
	}
}
