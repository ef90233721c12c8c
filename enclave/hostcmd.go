package enclave

import (
	"os/exec"
	"syscall"
)

// hostCommand runs path as a container's module host runs, whether it is
// the module host binary itself (Launch) or gramine-sgx starting it in an
// enclave (LaunchSGX): in dir with env and nothing else, the container's
// stdio as fds 0-2, the container's uid, gid and supplementary groups, and
// SIGKILL when the thread that started it ends (Process.run keeps that
// thread as long as the child lives, so in effect when the shim dies).
func hostCommand(req LaunchRequest, path, dir string, args, env []string) *exec.Cmd {
	return &exec.Cmd{
		Path:   path,
		Args:   args,
		Env:    env,
		Dir:    dir,
		Stdin:  req.Stdin,
		Stdout: req.Stdout,
		Stderr: req.Stderr,
		SysProcAttr: &syscall.SysProcAttr{
			Pdeathsig: syscall.SIGKILL,
			Credential: &syscall.Credential{
				Uid:    req.Workload.UID,
				Gid:    req.Workload.GID,
				Groups: append([]uint32{}, req.AdditionalGIDs...),
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

// abort ends a host whose launch failed: it kills it, waits for it and
// closes the control channel, if there is one yet. What LaunchSGX made on
// disk is its own to remove.
func (p *Process) abort() {
	p.Signal(syscall.SIGKILL)
	<-p.done
	if p.conn != nil {
		p.conn.Close()
	}
}
