package cli

import (
	"os"
	"os/exec"
	"syscall"
)

// chrootCommand makes cmd run with root as its root directory (so that a
// host binary found under --root runs with the host's libraries), when the
// process may chroot. It reports whether it did.
func chrootCommand(cmd *exec.Cmd, root string) bool {
	if os.Geteuid() != 0 {
		return false
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	return true
}
