package host

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The module host's seccomp filter is an allowlist: the system calls the Go
// runtime, wasmtime (compiling and running) and WASI need, and nothing
// else. Everything else fails with EPERM (not a kill, so that a call that
// was missed makes a clear error instead of a dead container). Notably
// refused: ptrace, mount, module loading, namespaces (unshare, setns, clone
// with CLONE_NEW*; clone3 answers ENOSYS so that libraries fall back to
// clone), sockets and networking, exec, bpf, keyrings, kill of any process
// but itself, and prctl beyond naming threads.
//
// It applies to all threads (SECCOMP_FILTER_FLAG_TSYNC); no_new_privs,
// which seccomp needs without CAP_SYS_ADMIN, was set before exec.

// BPF and seccomp constants (linux/filter.h, linux/seccomp.h).
const (
	bpfLdWAbs  = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfJeqK    = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJgeK    = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	bpfAndK    = 0x54 // BPF_ALU | BPF_AND | BPF_K
	bpfRetK    = 0x06 // BPF_RET | BPF_K
	retAllow   = 0x7fff0000
	retErrno   = 0x00050000
	retKill    = 0x80000000 // SECCOMP_RET_KILL_PROCESS
	offNr      = 0
	offArch    = 4
	offArg0Low = 16 // args[0], low 32 bits (little-endian)

	seccompSetModeFilter   = 1
	seccompFilterFlagTsync = 1

	cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWUSER |
		unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME
	prSetVMA = 0x53564d41
)

// allowedSyscalls are allowed with any arguments (plus the per-arch list).
var allowedSyscalls = []uintptr{
	unix.SYS_READ, unix.SYS_WRITE, unix.SYS_READV, unix.SYS_WRITEV, unix.SYS_PREAD64, unix.SYS_PWRITE64,
	unix.SYS_PREADV, unix.SYS_PWRITEV, unix.SYS_CLOSE, unix.SYS_CLOSE_RANGE, unix.SYS_OPENAT, unix.SYS_OPENAT2,
	unix.SYS_FSTAT, unix.SYS_NEWFSTATAT, unix.SYS_STATX, unix.SYS_FSTATFS, unix.SYS_STATFS, unix.SYS_LSEEK,
	unix.SYS_MMAP, unix.SYS_MUNMAP, unix.SYS_MPROTECT, unix.SYS_MREMAP, unix.SYS_MADVISE, unix.SYS_MSYNC,
	unix.SYS_MINCORE, unix.SYS_MLOCK, unix.SYS_MUNLOCK, unix.SYS_BRK, unix.SYS_MEMBARRIER,
	unix.SYS_RT_SIGACTION, unix.SYS_RT_SIGPROCMASK, unix.SYS_RT_SIGRETURN, unix.SYS_SIGALTSTACK,
	unix.SYS_RESTART_SYSCALL, unix.SYS_EXIT, unix.SYS_EXIT_GROUP, unix.SYS_FUTEX, unix.SYS_SET_ROBUST_LIST,
	unix.SYS_GET_ROBUST_LIST, unix.SYS_RSEQ, unix.SYS_SET_TID_ADDRESS, unix.SYS_SCHED_YIELD,
	unix.SYS_SCHED_GETAFFINITY, unix.SYS_GETCPU, unix.SYS_NANOSLEEP, unix.SYS_CLOCK_GETTIME,
	unix.SYS_CLOCK_GETRES, unix.SYS_CLOCK_NANOSLEEP, unix.SYS_GETTIMEOFDAY, unix.SYS_GETTID, unix.SYS_GETPID,
	unix.SYS_GETPPID, unix.SYS_GETUID, unix.SYS_GETEUID, unix.SYS_GETGID, unix.SYS_GETEGID,
	unix.SYS_GETGROUPS, unix.SYS_GETRANDOM, unix.SYS_EPOLL_CREATE1, unix.SYS_EPOLL_CTL, unix.SYS_EPOLL_PWAIT,
	unix.SYS_EPOLL_PWAIT2, unix.SYS_EVENTFD2, unix.SYS_PIPE2, unix.SYS_DUP, unix.SYS_DUP3, unix.SYS_FCNTL,
	unix.SYS_IOCTL, unix.SYS_PRLIMIT64, unix.SYS_GETRLIMIT, unix.SYS_READLINKAT, unix.SYS_GETDENTS64,
	unix.SYS_FSYNC, unix.SYS_FDATASYNC, unix.SYS_FTRUNCATE, unix.SYS_FALLOCATE, unix.SYS_FADVISE64,
	unix.SYS_RENAMEAT, unix.SYS_RENAMEAT2, unix.SYS_UNLINKAT, unix.SYS_MKDIRAT, unix.SYS_LINKAT,
	unix.SYS_SYMLINKAT, unix.SYS_UTIMENSAT, unix.SYS_FCHMOD, unix.SYS_FCHMODAT, unix.SYS_FACCESSAT,
	unix.SYS_FACCESSAT2, unix.SYS_UNAME, unix.SYS_PPOLL, unix.SYS_PSELECT6, unix.SYS_GETCWD,
	unix.SYS_SHUTDOWN, unix.SYS_SENDMSG, unix.SYS_RECVMSG, unix.SYS_SENDTO, unix.SYS_RECVFROM,
	unix.SYS_GETSOCKOPT, unix.SYS_GETSOCKNAME, unix.SYS_GETPEERNAME, unix.SYS_CAPGET,
	unix.SYS_TIMER_CREATE, unix.SYS_TIMER_SETTIME, unix.SYS_TIMER_DELETE, unix.SYS_SETITIMER,
	unix.SYS_SCHED_GETPARAM, unix.SYS_SCHED_GETSCHEDULER, unix.SYS_SYNC_FILE_RANGE, unix.SYS_MEMFD_CREATE,
}

// seccompProgram builds the filter for process pid.
func seccompProgram(pid int) []unix.SockFilter {
	var p []unix.SockFilter
	emit := func(code uint16, jt, jf uint8, k uint32) {
		p = append(p, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
	}
	deny := uint32(retErrno | uint32(unix.EPERM))

	emit(bpfLdWAbs, 0, 0, offArch)
	emit(bpfJeqK, 1, 0, auditArch)
	emit(bpfRetK, 0, 0, retKill)
	emit(bpfLdWAbs, 0, 0, offNr)
	if x32Bit != 0 {
		emit(bpfJgeK, 0, 1, x32Bit)
		emit(bpfRetK, 0, 0, deny)
	}
	// clone without new namespaces (jump offsets count from the next
	// instruction; every block ends by reloading nr for the next one).
	emit(bpfJeqK, 0, 5, uint32(unix.SYS_CLONE))
	emit(bpfLdWAbs, 0, 0, offArg0Low)
	emit(bpfAndK, 0, 0, uint32(cloneNamespaces))
	emit(bpfJeqK, 0, 1, 0)
	emit(bpfRetK, 0, 0, retAllow)
	emit(bpfRetK, 0, 0, deny)
	emit(bpfLdWAbs, 0, 0, offNr)
	// clone3 cannot be filtered by its flags: ENOSYS makes callers use clone.
	emit(bpfJeqK, 0, 1, uint32(unix.SYS_CLONE3))
	emit(bpfRetK, 0, 0, retErrno|uint32(unix.ENOSYS))
	// kill and tgkill of this process only.
	for _, nr := range []uintptr{unix.SYS_KILL, unix.SYS_TGKILL} {
		emit(bpfJeqK, 0, 4, uint32(nr))
		emit(bpfLdWAbs, 0, 0, offArg0Low)
		emit(bpfJeqK, 0, 1, uint32(pid))
		emit(bpfRetK, 0, 0, retAllow)
		emit(bpfRetK, 0, 0, deny)
		emit(bpfLdWAbs, 0, 0, offNr)
	}
	// prctl: naming threads and memory areas only.
	emit(bpfJeqK, 0, 8, uint32(unix.SYS_PRCTL))
	emit(bpfLdWAbs, 0, 0, offArg0Low)
	for _, op := range []uint32{unix.PR_SET_NAME, unix.PR_GET_NAME, prSetVMA} {
		emit(bpfJeqK, 0, 1, op)
		emit(bpfRetK, 0, 0, retAllow)
	}
	emit(bpfRetK, 0, 0, deny)
	emit(bpfLdWAbs, 0, 0, offNr)
	for _, nr := range append(allowedSyscalls, archSyscalls...) {
		emit(bpfJeqK, 0, 1, uint32(nr))
		emit(bpfRetK, 0, 0, retAllow)
	}
	emit(bpfRetK, 0, 0, deny)
	return p
}

// applySeccomp installs the filter on every thread of this process.
func applySeccomp() error {
	prog := seccompProgram(os.Getpid())
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, seccompSetModeFilter, seccompFilterFlagTsync, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		return fmt.Errorf("seccomp: %w", errno)
	}
	return nil
}
