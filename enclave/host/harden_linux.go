package host

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// hardenSelf runs first in a module host: no core dumps, not dumpable (so
// no other process can ptrace it or read its memory through /proc).
// Capabilities and no_new_privs were set by the launching thread, before
// exec, because they are per-thread and a Go process has many threads.
func hardenSelf() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("PR_SET_DUMPABLE: %w", err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{}); err != nil {
		return fmt.Errorf("RLIMIT_CORE: %w", err)
	}
	return nil
}
