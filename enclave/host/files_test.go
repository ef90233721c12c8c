package host

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/enclave/control"
)

// receiveHelperEnv makes the test binary, re-executed, the receiving side
// of TestReceiveFiles: it takes its files from fd 3, as a spawned module
// host does, copies stdin to stdout and the module file to stderr. With
// moduleTargetEnv set, the module goes to the lowest free fd (which the
// first received file takes) plus that number, instead of fd 4, so that a
// received fd is a target (in a module host the shim keeps fd 4 taken
// until then, but placement must not depend on it).
const (
	receiveHelperEnv = "WASMTEE_TEST_RECEIVE_FILES"
	moduleTargetEnv  = "WASMTEE_TEST_MODULE_TARGET"
)

func TestMain(m *testing.M) {
	if os.Getenv(receiveHelperEnv) == "1" {
		os.Exit(receiveHelper())
	}
	os.Exit(m.Run())
}

func receiveHelper() int {
	moduleFD := control.ModuleFD
	if off, err := strconv.Atoi(os.Getenv(moduleTargetEnv)); err == nil {
		moduleFD = lowestFreeFD() + off
	}
	if err := receiveFilesAt(control.FD, []int{0, 1, 2, moduleFD}); errors.Is(err, errShimDone) {
		fmt.Fprint(os.NewFile(uintptr(control.FD), "control"), "done")
		return 0
	} else if err != nil {
		fmt.Fprint(os.NewFile(uintptr(control.FD), "control"), err)
		return 1
	}
	in, _ := io.ReadAll(os.Stdin)
	os.Stdout.Write(in)
	mod, _ := io.ReadAll(os.NewFile(uintptr(moduleFD), "module"))
	os.Stderr.Write(mod)
	return 0
}

func lowestFreeFD() int {
	fd := 0
	for {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == unix.EBADF {
			return fd
		}
		fd++
	}
}

// receiver is a re-executed test binary waiting for its files on fd 3.
type receiver struct {
	cmd    *exec.Cmd
	parent *os.File // the shim's end of the control socket
}

func startReceiver(t *testing.T, env ...string) *receiver {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), receiveHelperEnv+"=1"), env...)
	cmd.ExtraFiles = []*os.File{child}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); parent.Close() })
	return &receiver{cmd, parent}
}

// send writes b on the control socket with files attached.
func (r *receiver) send(t *testing.T, b byte, files ...*os.File) {
	t.Helper()
	var fds []int
	for _, f := range files {
		fds = append(fds, int(f.Fd()))
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if err := unix.Sendmsg(int(r.parent.Fd()), []byte{b}, oob, nil, 0); err != nil {
		t.Fatal(err)
	}
}

// finish waits for the receiver and returns its exit code and what it
// wrote back on the control socket.
func (r *receiver) finish(t *testing.T) (int, string) {
	t.Helper()
	unix.Shutdown(int(r.parent.Fd()), unix.SHUT_WR)
	msg, _ := io.ReadAll(r.parent)
	r.cmd.Wait()
	return r.cmd.ProcessState.ExitCode(), string(msg)
}

// A spawned module host puts the files the shim sends at fds 0, 1, 2 and
// the module's fd; anything else is refused with an error that says what
// was expected, and a shim that goes away before sending ends it quietly.
func TestReceiveFiles(t *testing.T) {
	pipe := func() (r, w *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		return r, w
	}
	module := filepath.Join(t.TempDir(), "module.wasm")
	if err := os.WriteFile(module, []byte("module bytes"), 0o644); err != nil {
		t.Fatal(err)
	}

	files := func(t *testing.T, env ...string) {
		rcv := startReceiver(t, env...)
		inR, inW := pipe()
		outR, outW := pipe()
		errR, errW := pipe()
		mod, err := os.Open(module)
		if err != nil {
			t.Fatal(err)
		}
		defer mod.Close()
		rcv.send(t, control.FilesByte, inR, outW, errW, mod)
		inR.Close()
		outW.Close()
		errW.Close()
		inW.WriteString("stdin bytes")
		inW.Close()
		out, _ := io.ReadAll(outR)
		stderr, _ := io.ReadAll(errR)
		if code, msg := rcv.finish(t); code != 0 || msg != "" {
			t.Fatalf("receiver exit %d, said %q", code, msg)
		}
		if string(out) != "stdin bytes" || string(stderr) != "module bytes" {
			t.Errorf("stdout %q (want the stdin sent), stderr %q (want the module sent)", out, stderr)
		}
	}
	t.Run("files", func(t *testing.T) { files(t) })
	// The module's target is the fd stdin arrives at, or the module's own.
	t.Run("target taken by stdin", func(t *testing.T) { files(t, moduleTargetEnv+"=0") })
	t.Run("target is the module", func(t *testing.T) { files(t, moduleTargetEnv+"=3") })
	// refused sends b with n copies of the module file and expects the
	// host to refuse with want.
	refused := func(t *testing.T, b byte, n int, want string) {
		rcv := startReceiver(t)
		f, err := os.Open(module)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files := make([]*os.File, n)
		for i := range files {
			files[i] = f
		}
		rcv.send(t, b, files...)
		if code, msg := rcv.finish(t); code != 1 || !strings.Contains(msg, want) {
			t.Errorf("exit %d, said %q; want 1 and %q", code, msg, want)
		}
	}
	t.Run("wrong byte", func(t *testing.T) { refused(t, 'X', 4, `got 'X' with 4 files, want 'F' with 4`) })
	t.Run("too few files", func(t *testing.T) { refused(t, control.FilesByte, 2, `got 'F' with 2 files`) })
	t.Run("shim gone", func(t *testing.T) {
		rcv := startReceiver(t)
		if code, msg := rcv.finish(t); code != 0 || msg != "done" {
			t.Errorf("exit %d, said %q; want 0 and done", code, msg)
		}
	})
}
