package shim

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/enclave"
)

// birther is a cgroup that a module host can start in (enclave.BirthCgroup):
// birth prepares cmd, on the thread that starts it, and leave moves a host
// out again, into the shim's own cgroup, for a compile.
type birther interface {
	birth(cmd *exec.Cmd) (after func(), err error)
	leave(pid int) error
}

// hostCgroup is the container's cgroup cg as a launch places the module host
// in it: born in it where cg allows (cgroup v1 and v2), else added by PID
// after the load.
func hostCgroup(cg cgroup) enclave.Cgroup {
	if b, ok := cg.(birther); ok {
		return birthCgroup{addedCgroup{cg}, b}
	}
	return addedCgroup{cg}
}

type addedCgroup struct{ cg cgroup }

func (a addedCgroup) Add(pid int) error { return a.cg.add(pid) }

type birthCgroup struct {
	addedCgroup
	b birther
}

func (c birthCgroup) Birth(cmd *exec.Cmd) (func(), error) { return c.b.birth(cmd) }
func (c birthCgroup) Leave(pid int) error                 { return c.b.leave(pid) }

// leave moves a module host born in the container's v1 cgroup into the
// shim's own, in every hierarchy.
func (v1group) leave(pid int) error {
	own, err := cgroup1.Load(cgroup1.PidPath(os.Getpid()))
	if err != nil {
		return err
	}
	return own.AddProc(uint64(pid))
}

// birth makes cmd's process start in the v2 cgroup with CLONE_INTO_CGROUP
// (Linux 5.7+), which takes only the read side of the kernel's
// cgroup_threadgroup_rwsem; after closes the directory's fd.
func (g v2group) birth(cmd *exec.Cmd) (func(), error) {
	fd, err := unix.Open(g.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open cgroup %s: %w", g.dir, err)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	return func() { unix.Close(fd) }, nil
}

// leave moves a module host born in the container's v2 cgroup into the
// shim's own.
func (g v2group) leave(pid int) error {
	own, err := cgroup2.PidGroupPath(os.Getpid())
	if err != nil {
		return err
	}
	p := filepath.Join(g.mount, own, "cgroup.procs")
	if err := os.WriteFile(p, []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("move %d to %s: %w", pid, p, err)
	}
	return nil
}
