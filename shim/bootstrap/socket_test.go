package bootstrap

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	cdshim "github.com/containerd/containerd/runtime/v2/shim"
)

// The entry binary makes the socket and the bundle's address file itself,
// so that it does not link containerd's shim library. These tests hold it
// to that library's client side: what containerd reads and dials.

func TestSocketWithContainerdHelpers(t *testing.T) {
	dir := t.TempDir()
	address := "unix://" + filepath.Join(dir, "s", "0123")
	l, err := listen(address)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	defer RemoveSocket(address)

	// containerd finds a live shim at the address (start of a second
	// container of a group) and dials it as it dials every shim.
	if !cdshim.CanConnect(address) {
		t.Fatalf("containerd's CanConnect(%q) = false for a listening socket", address)
	}
	if !canConnect(address) {
		t.Fatalf("canConnect(%q) = false for a listening socket", address)
	}
	conn, err := cdshim.Connect(address, cdshim.AnonDialer)
	if err != nil {
		t.Fatalf("containerd's dialer: %v", err)
	}
	conn.Close()
	// The socket is closed to everyone but its owner.
	fi, err := os.Stat(filepath.Join(dir, "s", "0123"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	// A second listen finds the address taken, as containerd's NewSocket
	// would (the entry binary then connects to the running server).
	if _, err := listen(address); !cdshim.SocketEaddrinuse(err) {
		t.Errorf("second listen: %v, want an error containerd's SocketEaddrinuse accepts", err)
	}
}

func TestAddressFileWithContainerdHelpers(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	const address = "unix:///run/wasmtee/s/00112233445566778899aabbccddeeff"
	if err := writeAddress(address); err != nil {
		t.Fatal(err)
	}
	got, err := cdshim.ReadAddress(filepath.Join(dir, "address"))
	if err != nil || got != address {
		t.Fatalf("containerd's ReadAddress = %q, %v; want %q", got, err, address)
	}
	if _, err := os.Stat(filepath.Join(dir, "address.tmp")); !os.IsNotExist(err) {
		t.Errorf("address.tmp left behind: %v", err)
	}
}

func TestStaleSocketWithContainerdHelpers(t *testing.T) {
	dir := t.TempDir()
	address := "unix://" + filepath.Join(dir, "stale")
	l, err := listen(address)
	if err != nil {
		t.Fatal(err)
	}
	l.Close() // the socket file stays, nobody listens: a crashed server
	if cdshim.CanConnect(address) || canConnect(address) {
		t.Fatal("a socket nobody listens on answers")
	}
	if err := RemoveSocket(address); err != nil {
		t.Fatal(err)
	}
	// Gone for containerd too: its dialer gets "no such file", not a
	// refused connection.
	_, err = cdshim.AnonDialer(address, 100*time.Millisecond)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("dial after removeSocket: %v, want no such file", err)
	}
}
