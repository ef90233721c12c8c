package host

import "golang.org/x/sys/unix"

const (
	auditArch = 0xc000003e // AUDIT_ARCH_X86_64
	x32Bit    = 0x40000000 // __X32_SYSCALL_BIT: x32 calls are refused
)

// archSyscalls are amd64's legacy forms that C libraries still use.
var archSyscalls = []uintptr{
	unix.SYS_ARCH_PRCTL, unix.SYS_OPEN, unix.SYS_STAT, unix.SYS_LSTAT, unix.SYS_ACCESS, unix.SYS_READLINK,
	unix.SYS_UNLINK, unix.SYS_MKDIR, unix.SYS_RMDIR, unix.SYS_RENAME, unix.SYS_POLL, unix.SYS_SELECT,
	unix.SYS_EPOLL_WAIT, unix.SYS_EPOLL_CREATE, unix.SYS_DUP2, unix.SYS_PIPE, unix.SYS_GETDENTS, unix.SYS_TIME,
	unix.SYS_EVENTFD,
}
