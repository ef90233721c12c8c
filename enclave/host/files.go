package host

import (
	"fmt"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/enclave/control"
)

// receiveFiles waits for the shim to hand over the container's stdio and
// module on the control socket (control.FilesByte) and puts them at fds 0,
// 1, 2 and control.ModuleFD. Until then the host was started ahead of its
// container's Create (enclave.Spawn), with stdio that is not the
// container's.
func receiveFiles() error {
	return receiveFilesAt(control.FD, []int{0, 1, 2, control.ModuleFD})
}

// receiveFilesAt receives control.Files files on the socket ctl and puts
// them at targets. The received fds take the lowest free numbers; the
// shim starts a host with fd 4 held by a placeholder, so none of them is a
// target there, but placement does not depend on it.
func receiveFilesAt(ctl int, targets []int) error {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(control.Files*4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(ctl, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("receive stdio and module: %w", err)
		}
		if n == 0 {
			return errShimDone
		}
		fds, err := rights(oob[:oobn])
		if err != nil {
			return err
		}
		if buf[0] != control.FilesByte || len(fds) != control.Files {
			closeAll(fds)
			return fmt.Errorf("receive stdio and module: got %q with %d files, want %q with %d", buf[0], len(fds), control.FilesByte, control.Files)
		}
		// Fds 0-3 are open when the files arrive, so only the last
		// target can be a received fd: one placed before it (stdio), or
		// the module's own, which stays where it is.
		for i, target := range targets {
			if fds[i] == target {
				continue
			}
			if err := unix.Dup3(fds[i], target, 0); err != nil {
				closeAll(fds)
				return fmt.Errorf("receive stdio and module: %w", err)
			}
		}
		for _, fd := range fds {
			if !slices.Contains(targets, fd) {
				unix.Close(fd)
			}
		}
		return nil
	}
}

// rights is the file descriptors of the SCM_RIGHTS messages in oob.
func rights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("receive stdio and module: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		r, err := unix.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		fds = append(fds, r...)
	}
	return fds, nil
}

func closeAll(fds []int) {
	for _, fd := range fds {
		unix.Close(fd)
	}
}
