package enclave

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/oci"
)

// Launcher starts module hosts as hardened child processes of the shim.
type Launcher struct {
	// Exe is the module host binary (see HostBinary).
	Exe string
	// CacheDir and CacheMax configure the node's compile cache; an empty
	// CacheDir disables caching.
	CacheDir string
	CacheMax int64
	// SGXDir and SGX configure LaunchSGX: where the per-container
	// enclave directories go (DefaultSGXDir if empty), and the node's
	// Gramine tools and enclave signing key, found once and shared by
	// every copy of the Launcher (nil: one with DefaultSGXKey, shared by
	// the process).
	SGXDir string
	SGX    *SGXNode
}

// LaunchRequest is everything needed to host one container's module.
type LaunchRequest struct {
	ID string
	// Namespace is the container's containerd namespace (LaunchSGX
	// names its directory after it).
	Namespace string
	Workload  *oci.Workload
	// Backend is the TEE backend that makes the container's evidence, as
	// the launch measurement names it (Launch; LaunchSGX measures the sgx
	// backend and refuses another).
	Backend string
	// Module is the open module file; Launch does not close it.
	Module *os.File
	// Stdin, Stdout and Stderr become the host's fds 0-2; Launch does not
	// close them.
	Stdin, Stdout, Stderr *os.File
	// AdditionalGIDs are the supplementary groups of the host process.
	AdditionalGIDs []uint32
	// Evidence, if set, answers the module's wasmtee.get_evidence calls
	// (Launch; a host in an SGX enclave makes its evidence itself).
	Evidence func(nonce, publicKey []byte) ([]byte, error)
	// Cgroup, if set, is the container's control group: the host is
	// placed in it once the module is loaded, before anything of the
	// module runs. Compiling is the runtime's work, like unpacking an
	// image: it is not charged to the container's limits.
	Cgroup Cgroup
}

// Cgroup is a container's control group as a launch places the module host
// in it: by PID, after the load.
type Cgroup interface {
	Add(pid int) error
}

// BirthCgroup is a Cgroup that the host can be born in (Launch), so that
// a load from the cache needs no move by PID, which takes the kernel's
// global cgroup_threadgroup_rwsem for writing and waits for an RCU grace
// period (5 to 15 ms here). Birth is called on the thread that starts the
// host, just before it does: it arranges for cmd's process to start in the
// cgroup (cgroup v1: the thread enters the cgroup; v2: CLONE_INTO_CGROUP)
// and returns what to undo once it has started. A host that must compile
// is moved out first (Leave, into the shim's own cgroup) and added again
// after the load.
type BirthCgroup interface {
	Cgroup
	Birth(cmd *exec.Cmd) (after func(), err error)
	Leave(pid int) error
}

// LoadInfo describes how the module was loaded.
type LoadInfo struct {
	Source   string
	Warnings []string
	// Digest is the module's hex SHA-256; DigestKnown says that the
	// module host took it from the compile cache, filed under the module
	// file's identity, instead of hashing the module.
	Digest      string
	DigestKnown bool
	// Launch is what the launch measurement covers: the module's digest,
	// the workload and the backend; Measurement is that measurement.
	Launch      measure.Launch
	Measurement measure.Measurement
}

// Launch starts a module host and has it load and check the module. On
// error nothing is left running.
func (l *Launcher) Launch(ctx context.Context, req LaunchRequest) (*Process, LoadInfo, error) {
	p, err := l.Spawn(SpawnRequest{
		ID: req.ID, UID: req.Workload.UID, GID: req.Workload.GID,
		AdditionalGIDs: req.AdditionalGIDs, Cgroup: req.Cgroup,
	})
	if err != nil {
		return nil, LoadInfo{}, err
	}
	info, err := l.Load(ctx, p, req)
	if err != nil {
		return nil, LoadInfo{}, err
	}
	return p, info, nil
}

// SpawnRequest is what a module host is started with, before its
// container's module and stdio are at hand: its identity and its cgroup.
type SpawnRequest struct {
	ID             string
	UID, GID       uint32
	AdditionalGIDs []uint32
	// Cgroup, if set, is the container's control group (see
	// LaunchRequest.Cgroup); a BirthCgroup is one the host is born in.
	Cgroup Cgroup
}

// Spawn starts a module host that hardens itself and then waits for Load
// to hand it its stdio and module: the shim spawns a container's host as
// soon as the bundle names its user and cgroup, so that the exec and the
// runtime start of the host overlap with the rest of Create (see
// docs/performance.md). Until Load, the host's stdin and stdout are
// /dev/null and its stderr is the shim's (its log). A spawned host that is
// not needed is ended with Abort.
func (l *Launcher) Spawn(req SpawnRequest) (*Process, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("control socketpair: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "control")
	child := os.NewFile(uintptr(fds[1]), "control-child")
	conn, err := net.FileConn(parent)
	parent.Close()
	if err != nil {
		child.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The placeholder stdio is opened here: the thread that starts the
	// host may be in the container's cgroup by then, whose device rules
	// can refuse it.
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		conn.Close()
		child.Close()
		return nil, fmt.Errorf("start module host: %w", err)
	}
	defer null.Close()
	cmd := l.command(req, child, null)
	p := &Process{conn: conn, dec: json.NewDecoder(conn), enc: json.NewEncoder(conn), done: make(chan struct{}),
		uid: req.UID, gid: req.GID, groups: slices.Clone(req.AdditionalGIDs), cgroup: req.Cgroup}
	var birth func(*exec.Cmd) (func(), error)
	if bc, ok := req.Cgroup.(BirthCgroup); ok {
		birth = bc.Birth
	}
	err = p.start(cmd, birth)
	child.Close()
	if err != nil {
		conn.Close()
		// Say why, when it is the binary (missing, not executable).
		if berr := checkHostBinary(l.Exe); berr != nil {
			return nil, berr
		}
		return nil, fmt.Errorf("start module host: %w", err)
	}
	return p, nil
}

// Load hands a host from Spawn the container's stdio and module (req's
// files, which Load does not close) and has it load and check the module;
// the launch measurement is taken once the module's digest is known. The
// host keeps the user and cgroup it was spawned with: req's workload must
// name the same user. On error the host is ended.
func (l *Launcher) Load(ctx context.Context, p *Process, req LaunchRequest) (LoadInfo, error) {
	info, err := l.load(ctx, p, req)
	if err != nil {
		p.Abort()
		return LoadInfo{}, err
	}
	p.evidence = req.Evidence
	return info, nil
}

func (l *Launcher) load(ctx context.Context, p *Process, req LaunchRequest) (LoadInfo, error) {
	if w := req.Workload; w.UID != p.uid || w.GID != p.gid {
		return LoadInfo{}, fmt.Errorf("module host started as %d:%d, the container's user is %d:%d", p.uid, p.gid, w.UID, w.GID)
	}
	if !slices.Equal(req.AdditionalGIDs, p.groups) {
		return LoadInfo{}, fmt.Errorf("module host started with supplementary groups %v, the container's are %v", p.groups, req.AdditionalGIDs)
	}
	if err := p.sendFiles(req.Stdin, req.Stdout, req.Stderr, req.Module); err != nil {
		return LoadInfo{}, p.diedOr(err)
	}
	_, born := p.cgroup.(BirthCgroup)
	load := control.Request{Op: control.OpLoad, Workload: req.Workload, CacheDir: l.CacheDir, CacheMax: l.CacheMax,
		AskBeforeCompile: born}
	info, _, err := p.load(ctx, load, p.cgroup)
	if err != nil {
		return LoadInfo{}, err
	}
	info.Launch, info.Measurement, err = req.Workload.Measure(info.Digest, req.Backend)
	return info, err
}

// command is the module host's command line, with null as its stdin,
// stdout and fd 4, the shim's stderr and the control socket as fd 3 (the
// host gets its stdio and module, fd 4, over it). GOMAXPROCS=1: a module runs on one
// thread (WASI preview1 has none of its own), and fewer Go threads and
// per-P caches save ~130 KiB of private memory per container; wasmtime
// compiles on threads of its own.
func (l *Launcher) command(req SpawnRequest, ctl, null *os.File) *exec.Cmd {
	cmd := hostCommand(hostCreds{req.UID, req.GID, req.AdditionalGIDs}, l.Exe, "/",
		[]string{control.Arg0, req.ID}, []string{"RUST_BACKTRACE=0", "GOMAXPROCS=1"})
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, os.Stderr
	// fd 4 holds a placeholder until the module arrives: left free, it
	// would be taken by whatever the Go runtime opens first (its cgroup
	// CPU limit files, or its epoll fd), which receiving the module
	// would then replace.
	cmd.ExtraFiles = []*os.File{ctl, null}
	return cmd
}

// load sends the host the load request and, once the module is loaded,
// places the host in the container's cgroup cg (if any). A host born in
// cg (a BirthCgroup; load.AskBeforeCompile) that must compile asks first
// (Reply.Compile): it is moved out, told to go on, and added again after
// its load. hostMeasurement is the launch measurement the host reported,
// if it computed one (a host in an SGX enclave: LaunchSGX checks it).
func (p *Process) load(ctx context.Context, load control.Request, cg Cgroup) (_ LoadInfo, hostMeasurement string, _ error) {
	if err := p.enc.Encode(load); err != nil {
		return LoadInfo{}, "", p.diedOr(fmt.Errorf("send load: %w", err))
	}
	rep, err := p.receive(ctx)
	if err != nil {
		return LoadInfo{}, "", err
	}
	// A host asked to ask before compiling was born in the container's
	// cgroup.
	inCgroup := load.AskBeforeCompile
	if birth, ok := cg.(BirthCgroup); ok && rep.Compile && inCgroup {
		if err := birth.Leave(p.pid); err != nil {
			return LoadInfo{}, "", fmt.Errorf("move the module host out of the container's cgroup to compile: %w", err)
		}
		inCgroup = false
		if err := p.enc.Encode(control.Request{Op: control.OpCompile}); err != nil {
			return LoadInfo{}, "", p.diedOr(fmt.Errorf("send compile: %w", err))
		}
		if rep, err = p.receive(ctx); err != nil {
			return LoadInfo{}, "", err
		}
	}
	if err := replyErr(rep); err != nil {
		return LoadInfo{}, "", err
	}
	if cg != nil && !inCgroup {
		if err := cg.Add(p.pid); err != nil {
			return LoadInfo{}, "", err
		}
	}
	return LoadInfo{Source: rep.Source, Warnings: rep.Warnings, Digest: rep.Digest, DigestKnown: rep.DigestKnown}, rep.Measurement, nil
}

// Process is one running module host.
type Process struct {
	pid  int
	proc *os.Process
	conn net.Conn
	dec  *json.Decoder
	enc  *json.Encoder

	done     chan struct{}
	status   int
	exitedAt time.Time

	evidence func(nonce, publicKey []byte) ([]byte, error)

	// What Spawn started the host with (Load checks and uses them).
	uid, gid uint32
	groups   []uint32
	cgroup   Cgroup // a BirthCgroup: the host was born in it

	// In an SGX enclave (LaunchSGX), the host makes evidence and the
	// shim asks for it: requests and replies are exchanged under xmu, and
	// a channel left in an unknown state (an exchange given up) is broken.
	sgx     bool
	xmu     sync.Mutex
	broken  error
	cleanup func() // removes what LaunchSGX made, once the host is gone
}

// run starts cmd on a thread of its own whose privileges are dropped first,
// so that the child inherits none, then waits for the child. The thread
// stays locked and is discarded when run returns: its credentials are
// spoiled, and PDEATHSIG is tied to the thread that forked the child, so it
// must live as long as the child does. birth, if set, makes the child start
// in the container's cgroup (BirthCgroup).
func (p *Process) run(cmd *exec.Cmd, birth func(*exec.Cmd) (func(), error), started chan<- error) {
	runtime.LockOSThread()
	if err := dropThreadPrivileges(); err != nil {
		started <- err
		close(p.done)
		return
	}
	after := func() {}
	if birth != nil {
		var err error
		if after, err = birth(cmd); err != nil {
			started <- fmt.Errorf("enter the container's cgroup: %w", err)
			close(p.done)
			return
		}
	}
	err := cmd.Start()
	// This thread only waits for the host from now on; it is not the
	// container's.
	after()
	if err != nil {
		started <- err
		close(p.done)
		return
	}
	p.pid, p.proc = cmd.Process.Pid, cmd.Process
	started <- nil
	err = cmd.Wait()
	p.status = exitCode(cmd.ProcessState, err)
	p.exitedAt = time.Now()
	close(p.done)
}

func exitCode(st *os.ProcessState, err error) int {
	if st == nil {
		return 255
	}
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok {
		return st.ExitCode()
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// receive reads one reply, giving up when ctx ends or the host dies.
func (p *Process) receive(ctx context.Context) (control.Reply, error) {
	type result struct {
		r   control.Reply
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r control.Reply
		err := p.dec.Decode(&r)
		ch <- result{r, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			return control.Reply{}, p.diedOr(fmt.Errorf("read reply: %w", res.err))
		}
		return res.r, nil
	case <-ctx.Done():
		return control.Reply{}, ctx.Err()
	}
}

// diedOr explains a broken control channel by the host's exit, if it exited.
func (p *Process) diedOr(err error) error {
	select {
	case <-p.done:
	case <-time.After(2 * time.Second):
		return err
	}
	if p.status > 128 {
		return fmt.Errorf("%w: killed by signal %d", ErrHostDied, p.status-128)
	}
	return fmt.Errorf("%w with status %d", ErrHostDied, p.status)
}

// Pid is the module host's process ID.
func (p *Process) Pid() int { return p.pid }

// Start runs the module's entry function.
func (p *Process) Start(ctx context.Context) error {
	if p.sgx {
		rep, err := p.exchange(ctx, control.Request{Op: control.OpStart})
		if err != nil {
			return err
		}
		return replyErr(rep)
	}
	if err := p.enc.Encode(control.Request{Op: control.OpStart}); err != nil {
		return p.diedOr(fmt.Errorf("send start: %w", err))
	}
	rep, err := p.receive(ctx)
	if err != nil {
		return err
	}
	if err := replyErr(rep); err != nil {
		return err
	}
	go p.serveRequests()
	return nil
}

// serveRequests answers the module host's requests while the module runs,
// until the control channel closes (the host exited).
func (p *Process) serveRequests() {
	for {
		var req control.Request
		if err := p.dec.Decode(&req); err != nil {
			return
		}
		var rep control.Reply
		switch {
		case req.Op != control.OpEvidence:
			rep.Error = fmt.Sprintf("unknown request %q", req.Op)
		case p.evidence == nil:
			rep.Error = "attestation is not available for this container"
		default:
			ev, err := p.evidence(req.Nonce, req.PublicKey)
			if err != nil {
				rep.Error = err.Error()
			}
			rep.Evidence = ev
		}
		if err := p.enc.Encode(rep); err != nil {
			return
		}
	}
}

// Signal sends sig to the module host. Signalling an exited host is not an
// error.
func (p *Process) Signal(sig syscall.Signal) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.proc.Signal(sig); err != nil && err != os.ErrProcessDone {
		return err
	}
	return nil
}

// Done is closed when the module host has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exit returns the exit status (128+signal for a killed host) and time;
// valid once Done is closed.
func (p *Process) Exit() (int, time.Time) { return p.status, p.exitedAt }

// Close releases the control channel and, for a host in an SGX enclave,
// removes its directory. The host must have exited.
func (p *Process) Close() error {
	err := p.conn.Close()
	if p.cleanup != nil {
		p.cleanup()
		p.cleanup = nil
	}
	return err
}
