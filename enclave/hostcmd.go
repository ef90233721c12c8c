package enclave

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/enclave/control"
)

// hostCreds are the user, group and supplementary groups a module host
// runs as: the container's.
type hostCreds struct {
	uid, gid uint32
	groups   []uint32
}

// hostCommand runs path as a container's module host runs, whether it is
// the module host binary itself (Spawn) or gramine-sgx starting it in an
// enclave (LaunchSGX): in dir with env and nothing else, as the
// container's user, and with SIGKILL when the thread that started it ends
// (Process.run keeps that thread as long as the child lives, so in effect
// when the shim dies). The caller sets its stdio.
func hostCommand(creds hostCreds, path, dir string, args, env []string) *exec.Cmd {
	return &exec.Cmd{
		Path: path,
		Args: args,
		Env:  env,
		Dir:  dir,
		SysProcAttr: &syscall.SysProcAttr{
			Pdeathsig: syscall.SIGKILL,
			Credential: &syscall.Credential{
				Uid:    creds.uid,
				Gid:    creds.gid,
				Groups: append([]uint32{}, creds.groups...),
			},
		},
	}
}

// start starts cmd as p's process (see run; in the container's cgroup if
// birth is set) and returns once it runs, or why it could not be started;
// then p.done is closed already.
func (p *Process) start(cmd *exec.Cmd, birth func(*exec.Cmd) (func(), error)) error {
	started := make(chan error, 1)
	go p.run(cmd, birth, started)
	return <-started
}

// sendFiles hands a spawned host its stdin, stdout, stderr and module
// (control.ModuleFD): one byte on the control socket that carries them
// (SCM_RIGHTS). A nil stdio file is sent as /dev/null.
func (p *Process) sendFiles(stdin, stdout, stderr, module *os.File) error {
	uc, ok := p.conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("send files: control channel is not a unix socket")
	}
	var null *os.File
	fds := make([]int, 0, 4)
	for _, f := range []*os.File{stdin, stdout, stderr, module} {
		if f == nil {
			if null == nil {
				var err error
				if null, err = os.Open(os.DevNull); err != nil {
					return fmt.Errorf("send files: %w", err)
				}
				defer null.Close()
			}
			f = null
		}
		fds = append(fds, int(f.Fd()))
	}
	if _, _, err := uc.WriteMsgUnix([]byte{control.FilesByte}, unix.UnixRights(fds...), nil); err != nil {
		return fmt.Errorf("send files: %w", err)
	}
	return nil
}

// Abort ends a host whose launch failed or that is not needed (a spawned
// host no Load took): it kills it, waits for it and closes the control
// channel, if there is one yet. What LaunchSGX made on disk is its own to
// remove.
func (p *Process) Abort() {
	p.Signal(syscall.SIGKILL)
	<-p.done
	if p.conn != nil {
		p.conn.Close()
	}
}
