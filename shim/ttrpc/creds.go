//go:build linux

package ttrpc

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// checkPeer admits a connection whose peer (SO_PEERCRED: its credentials
// when it called connect) has uid 0 or the uid euid, this process's
// effective uid. containerd's shims check the peer the same way
// (ttrpc.UnixSocketRequireSameUser), except that they also require the
// peer's gid to be this process's effective gid and do not admit root when
// the shim does not run as root.
func checkPeer(nc net.Conn, euid uint32) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return errors.New("ttrpc: peer credentials need a unix socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return fmt.Errorf("ttrpc: peer credentials: %w", err)
	}
	var (
		cred    *unix.Ucred
		credErr error
	)
	if err := rc.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("ttrpc: peer credentials: %w", err)
	}
	if credErr != nil {
		return fmt.Errorf("ttrpc: peer credentials: %w", credErr)
	}
	return admit(cred.Uid, euid)
}

// admit is the rule checkPeer applies to a peer's uid.
func admit(uid, euid uint32) error {
	if uid != 0 && uid != euid {
		return fmt.Errorf("ttrpc: peer uid %d is neither 0 nor %d: %w", uid, euid, syscall.EPERM)
	}
	return nil
}
