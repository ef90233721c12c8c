package host

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

const seccompChildEnv = "WASMTEE_SECCOMP_CHILD"

// TestSeccompFilter runs the filter in a child process (the test binary
// again), started like a module host: from a thread with no_new_privs. The
// child is root with all capabilities, so every EPERM it sees comes from
// the filter, and what the Go runtime needs must still work.
func TestSeccompFilter(t *testing.T) {
	if os.Getenv(seccompChildEnv) != "" {
		seccompChild(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: the child must hold capabilities for the refusals to be the filter's")
	}
	done := make(chan []byte)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is discarded
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			done <- []byte("prctl: " + err.Error())
			return
		}
		cmd := exec.Command(os.Args[0], "-test.run", "^TestSeccompFilter$", "-test.v")
		cmd.Env = append(os.Environ(), seccompChildEnv+"="+t.TempDir())
		out, _ := cmd.CombinedOutput()
		done <- out
	}()
	out := string(<-done)
	if !strings.Contains(out, "--- PASS: TestSeccompFilter") {
		t.Fatalf("child:\n%s", out)
	}
}

func seccompChild(t *testing.T) {
	if err := applySeccomp(); err != nil {
		t.Fatal(err)
	}
	refused := map[string]func() error{
		"ptrace":          func() error { _, _, e := unix.Syscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0); return errnoErr(e) },
		"mount":           func() error { return unix.Mount("none", os.Getenv(seccompChildEnv), "tmpfs", 0, "") },
		"socket":          func() error { fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0); unix.Close(fd); return err },
		"unshare user ns": func() error { return unix.Unshare(unix.CLONE_NEWUSER) },
		"kill pid 1":      func() error { return unix.Kill(1, 0) },
		"prctl dumpable":  func() error { return unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0) },
		"init_module":     func() error { return unix.InitModule(nil, "") },
		"exec":            func() error { return syscall.Exec("/bin/true", []string{"true"}, nil) },
		"bpf":             func() error { _, _, e := unix.Syscall(unix.SYS_BPF, 0, 0, 0); return errnoErr(e) },
		"setns":           func() error { return unix.Setns(0, 0) },
	}
	for name, f := range refused {
		if err := f(); !errors.Is(err, unix.EPERM) {
			t.Errorf("%s: got %v, want EPERM", name, err)
		}
	}
	// What a module host does still works: files, threads, signals to
	// itself, executable memory for compiled code.
	p := filepath.Join(os.Getenv(seccompChildEnv), "f")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Errorf("write file: %v", err)
	}
	if err := os.Rename(p, p+"2"); err != nil {
		t.Errorf("rename: %v", err)
	}
	if err := unix.Kill(os.Getpid(), 0); err != nil {
		t.Errorf("kill self: %v", err)
	}
	mem, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err == nil {
		err = unix.Mprotect(mem, unix.PROT_READ|unix.PROT_EXEC)
	}
	if err != nil {
		t.Errorf("executable memory: %v", err)
	}
	ch := make(chan int)
	for i := 0; i < 8; i++ {
		go func() { runtime.LockOSThread(); ch <- unix.Gettid() }()
	}
	for i := 0; i < 8; i++ {
		<-ch
	}
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}
