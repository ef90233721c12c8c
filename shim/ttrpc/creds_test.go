//go:build linux

package ttrpc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestAdmit(t *testing.T) {
	for _, tc := range []struct {
		uid, euid uint32
		ok        bool
	}{
		{0, 0, true},
		{0, 1000, true},
		{1000, 1000, true},
		{1001, 1000, false},
		{65534, 0, false},
	} {
		if err := admit(tc.uid, tc.euid); (err == nil) != tc.ok {
			t.Errorf("admit(uid %d, euid %d) = %v, want ok %v", tc.uid, tc.euid, err, tc.ok)
		}
	}
}

// peerEnv names the socket TestPeerHelper calls when run as a child.
const peerEnv = "WASMTEE_TTRPC_TEST_PEER_SOCKET"

// TestPeerHelper is not a test: run as a child with peerEnv set, it makes a
// call to that socket and prints "accepted" or "refused: ERR".
func TestPeerHelper(t *testing.T) {
	path := os.Getenv(peerEnv)
	if path == "" {
		t.Skip("run as a child by TestPeerCredentials")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, path)
	if err != nil {
		fmt.Printf("refused: %v\n", err)
		return
	}
	defer c.Close()
	if _, err := c.Call(ctx, testService, "Upper", nil); err != nil {
		fmt.Printf("refused: %v\n", err)
		return
	}
	fmt.Println("accepted")
}

// TestPeerCredentials runs a child process calling the server as root
// (accepted) and as nobody (closed at once), which needs root.
func TestPeerCredentials(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a child as another user")
	}
	// A copy of this test binary, and a socket, that nobody can reach.
	dir := t.TempDir()
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	exe := filepath.Join(dir, "ttrpc.test")
	if err := copyFile(exe); err != nil {
		t.Fatal(err)
	}
	s := NewServer()
	s.Register(testService, testMethods())
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer s.Close()
	if err := os.Chmod(sock, 0o777); err != nil {
		t.Fatal(err)
	}

	run := func(uid uint32) string {
		cmd := exec.Command(exe, "-test.run=^TestPeerHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), peerEnv+"="+sock)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child as uid %d: %v\n%s", uid, err, out)
		}
		return string(out)
	}
	if out := run(0); !strings.Contains(out, "accepted") {
		t.Fatalf("as root: %s", out)
	}
	out := run(65534)
	if !strings.Contains(out, "refused: "+ErrClosed.Error()) {
		t.Fatalf("as nobody: %s", out)
	}
}

// copyFile copies the running test binary to dst, mode 0755.
func copyFile(dst string) error {
	src, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return errors.Join(out.Close(), os.Chmod(dst, 0o755))
}

// TestNonUnixConnectionRefused checks a connection whose peer credentials
// cannot be read (TCP) is closed without an answer.
func TestNonUnixConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip(err)
	}
	s := NewServer()
	s.Register(testService, testMethods())
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	defer func() {
		s.Close()
		if err := <-served; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v", err)
		}
	}()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	writeFrame(nc, 1, typeRequest, 0, appendRequest(nil, &request{service: testService, method: "Upper"}))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _, err = readFrame(bufio.NewReader(nc))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a TCP peer got %v, want the connection closed", err)
	}
}
