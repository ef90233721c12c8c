//go:build !linux

package cli

import "os/exec"

// chrootCommand is not available on this system: binaries found under
// --root run as they are.
func chrootCommand(cmd *exec.Cmd, root string) bool { return false }
