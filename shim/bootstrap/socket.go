package bootstrap

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The shim's ttrpc address is "unix://PATH" (api.Address).
func socketPath(address string) (string, error) {
	p, ok := strings.CutPrefix(address, "unix://")
	if !ok || !filepath.IsAbs(p) {
		return "", fmt.Errorf("shim address %q is not unix://ABSOLUTE-PATH", address)
	}
	return p, nil
}

// listen creates the socket at address and returns the listening socket's
// file, which the server inherits. Its directory is root's and closed to
// others: containerd (root) is the only client.
func listen(address string) (*os.File, error) {
	p, err := socketPath(address)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, err
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		return nil, err
	}
	// The socket file stays for the server; only the fd is ours to close.
	l.SetUnlinkOnClose(false)
	f, err := l.File()
	l.Close()
	if err != nil {
		os.Remove(p)
		return nil, err
	}
	if err := os.Chmod(p, 0o600); err != nil {
		f.Close()
		os.Remove(p)
		return nil, err
	}
	return f, nil
}

// canConnect reports whether a server answers at address.
func canConnect(address string) bool {
	p, err := socketPath(address)
	if err != nil {
		return false
	}
	c, err := net.DialTimeout("unix", p, 100*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// RemoveSocket removes the socket file at address, if there is one (the
// serving shim removes its own as it exits).
func RemoveSocket(address string) error {
	p, err := socketPath(address)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// writeAddress records the shim's address in the bundle ("address"), where
// containerd and "delete" read it; written whole or not at all.
func writeAddress(address string) error {
	tmp := "address.tmp"
	if err := os.WriteFile(tmp, []byte(address), 0o600); err != nil {
		return fmt.Errorf("write shim address: %w", err)
	}
	if err := os.Rename(tmp, "address"); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write shim address: %w", err)
	}
	return nil
}
