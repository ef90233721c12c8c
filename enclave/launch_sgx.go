package enclave

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/tee/sgx"
	"github.com/wasmtee/wasmtee/oci"
)

// The sgx backend's defaults on a node.
const (
	// DefaultSGXDir holds a directory per container with an enclave:
	// DefaultSGXDir/NAMESPACE/ID. Not below /run/wasmtee, which the shim
	// library makes with mode 0600: the enclave's user, without
	// capabilities, could not pass through it.
	DefaultSGXDir = "/run/wasmtee-sgx"
	// DefaultSGXKey is the enclave signing key, beside the process
	// backend's node key in the node's state.
	DefaultSGXKey = "/var/lib/wasmtee/" + sgx.SigningKeyName
	// sgxEnclaveName is the enclave's name: its files are
	// sgxEnclaveName.manifest, .manifest.sgx, .sig.
	sgxEnclaveName = "module-host"
	// sgxModuleFile, sgxPreopenDir and sgxLogFile are, in a container's
	// enclave directory, the copy of the module, the symbolic links to
	// the preopened directories (sgxPreopenDir/0, /1, ...) and Gramine's
	// log. The manifest names them relative to that directory, so that
	// it (and MRENCLAVE) does not depend on the container's ID.
	sgxModuleFile = "module.wasm"
	sgxPreopenDir = "preopens"
	sgxLogFile    = "gramine.log"
)

// Timeouts of LaunchSGX.
var (
	// sgxConnectTimeout bounds the time from starting gramine-sgx to the
	// module host's connection: creating a large enclave takes a while.
	sgxConnectTimeout = 2 * time.Minute
	// helloTimeout bounds the wait for a connection's token.
	helloTimeout = 10 * time.Second
)

// LaunchSGX starts a module host inside a Gramine SGX enclave of its own
// (the sgx backend) and has it load and check the module; on error nothing
// is left running and nothing is left on disk.
//
// In the container's directory (SGXDir/NAMESPACE/ID, removed when the
// Process is closed) it copies the module, links the preopened
// directories, writes the manifest template (sgx.Manifest: the module
// host binary and the module as trusted files, pinned by SHA-256), renders
// it with gramine-manifest, signs it with gramine-sgx-sign and the node's
// signing key (made on first use), and runs `gramine-sgx module-host`
// there with the container's stdio as fds 0-2 and nothing else, from a
// thread without privileges, as the container's uid/gid, with PDEATHSIG.
//
// Gramine passes no other file descriptors into an enclave, so the control
// channel is a TCP connection on the loopback interface: the shim listens
// on an ephemeral port for this one host and passes "ADDRESS TOKEN" in
// control.EnvControl, which the manifest declares passthrough (argv is
// fixed in the manifest). The first connection that presents the token is
// the host's; the others are closed. The host computes the launch
// measurement itself; LaunchSGX checks that it equals its own and that the
// module digest is the one it pinned.
func (l *Launcher) LaunchSGX(ctx context.Context, req LaunchRequest) (_ *Process, _ LoadInfo, retErr error) {
	if err := checkHostBinary(l.Exe); err != nil {
		return nil, LoadInfo{}, err
	}
	if req.Backend != "" && req.Backend != evidence.BackendSGX {
		return nil, LoadInfo{}, fmt.Errorf("a module host in an SGX enclave makes evidence of the sgx backend, not of %q", req.Backend)
	}
	node := l.SGX
	if node == nil {
		node = defaultSGXNode
	}
	found, keyWarning, err := node.setup(l.Exe)
	if err != nil {
		return nil, LoadInfo{}, err
	}

	dir, err := sgxContainerDir(l.SGXDir, req.Namespace, req.ID)
	if err != nil {
		return nil, LoadInfo{}, err
	}
	if err := makeSGXDir(dir, req.Workload.GID); err != nil {
		return nil, LoadInfo{}, err
	}
	defer func() {
		if retErr != nil {
			os.RemoveAll(dir)
		}
	}()
	digest, err := copyModule(req.Module, filepath.Join(dir, sgxModuleFile))
	if err != nil {
		return nil, LoadInfo{}, fmt.Errorf("sgx: copy the module: %w", err)
	}
	opts := sgx.ManifestOptions{
		HostBinary: l.Exe,
		// Hashed once per shim, the module while it was copied: the
		// manifest need not read either again.
		HostSHA256:   found.hostSHA256,
		Argv:         []string{control.Arg0},
		Libraries:    found.libraries,
		Module:       sgxModuleFile,
		ModuleSHA256: digest,
		Dir:          dir,
		UID:          req.Workload.UID,
		GID:          req.Workload.GID,
		Passthrough:  []string{control.EnvControl},
		LogFile:      sgxLogFile,
	}
	if err := os.Mkdir(filepath.Join(dir, sgxPreopenDir), 0o755); err != nil {
		return nil, LoadInfo{}, fmt.Errorf("sgx: %w", err)
	}
	for i, p := range req.Workload.Preopens {
		link := filepath.Join(sgxPreopenDir, fmt.Sprint(i))
		if err := os.Symlink(p.Host, filepath.Join(dir, link)); err != nil {
			return nil, LoadInfo{}, fmt.Errorf("sgx: preopen %s: %w", p.Guest, err)
		}
		opts.Preopens = append(opts.Preopens, sgx.Preopen{Host: link, Guest: p.Guest, ReadOnly: p.ReadOnly})
	}
	// Gramine appends its log as the container's user.
	if err := createOwned(filepath.Join(dir, sgxLogFile), req.Workload.UID, req.Workload.GID); err != nil {
		return nil, LoadInfo{}, fmt.Errorf("sgx: %w", err)
	}
	files := sgx.Files{Dir: dir, Name: sgxEnclaveName}
	if err := files.WriteTemplate(opts); err != nil {
		return nil, LoadInfo{}, err
	}
	if err := node.sign(ctx, files, found.tools); err != nil {
		return nil, LoadInfo{}, err
	}

	token, err := newToken()
	if err != nil {
		return nil, LoadInfo{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, LoadInfo{}, fmt.Errorf("sgx control channel: %w", err)
	}
	env := []string{"PATH=" + oci.DefaultPath, control.EnvControl + "=" + control.FormatAddress(ln.Addr().String(), token)}
	cmd := hostCommand(hostCreds{req.Workload.UID, req.Workload.GID, req.AdditionalGIDs}, found.tools.Run, dir,
		[]string{sgx.GramineSGX, files.Name}, env)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = req.Stdin, req.Stdout, req.Stderr
	p := &Process{done: make(chan struct{}), sgx: true}
	if err := p.start(cmd, nil); err != nil {
		ln.Close()
		return nil, LoadInfo{}, fmt.Errorf("start %s: %w", sgx.GramineSGX, err)
	}
	// An enclave that dies says why in Gramine's log, not to the shim.
	fail := func(err error) (*Process, LoadInfo, error) {
		p.Abort()
		if errors.Is(err, ErrHostDied) {
			err = fmt.Errorf("%w%s", err, logTail(filepath.Join(dir, sgxLogFile)))
		}
		return nil, LoadInfo{}, err
	}
	// acceptHost closes the listener, whatever happens.
	conn, dec, err := acceptHost(ctx, ln, token, p.done)
	if err != nil {
		if errors.Is(err, ErrHostDied) {
			<-p.done
			err = fmt.Errorf("%w: %s exited with status %d before the module host connected", ErrHostDied, sgx.GramineSGX, p.status)
		}
		return fail(err)
	}
	p.conn, p.dec, p.enc = conn, dec, json.NewEncoder(conn)

	// No compile cache: the enclave does not use one (see enclave/host).
	// No req.Evidence either: the host makes evidence in the enclave.
	info, enclaveMeasurement, err := p.load(ctx, control.Request{Op: control.OpLoad, Workload: req.Workload}, req.Cgroup)
	if err != nil {
		return fail(err)
	}
	if info.Digest != digest {
		return fail(fmt.Errorf("sgx: the enclave loaded a module with SHA-256 %s, not the %s the manifest pins", info.Digest, digest))
	}
	if info.Launch, info.Measurement, err = req.Workload.Measure(digest, evidence.BackendSGX); err != nil {
		return fail(err)
	}
	if enclaveMeasurement != info.Measurement.String() {
		return fail(fmt.Errorf("sgx: the enclave measured the launch as %q, the shim as %s", enclaveMeasurement, info.Measurement))
	}
	if keyWarning != "" {
		info.Warnings = append([]string{keyWarning}, info.Warnings...)
	}
	p.cleanup = func() { os.RemoveAll(dir) }
	return p, info, nil
}

// Evidence asks a module host in an SGX enclave for evidence, which it
// makes in the enclave (for `wasmtee attest`).
func (p *Process) Evidence(ctx context.Context, nonce, publicKey []byte) ([]byte, error) {
	if !p.sgx {
		return nil, errors.New("the module host does not make evidence: the shim does")
	}
	rep, err := p.exchange(ctx, control.Request{Op: control.OpEvidence, Nonce: nonce, PublicKey: publicKey})
	if err != nil {
		return nil, err
	}
	if rep.Error != "" {
		return nil, fmt.Errorf("module host: %s", rep.Error)
	}
	return rep.Evidence, nil
}

// exchange sends one request to a host in an SGX enclave and reads its
// reply. If either fails, the channel is broken for good: a reply that
// comes late must not answer a later request.
func (p *Process) exchange(ctx context.Context, req control.Request) (control.Reply, error) {
	p.xmu.Lock()
	defer p.xmu.Unlock()
	if p.broken != nil {
		return control.Reply{}, p.broken
	}
	var rep control.Reply
	err := p.enc.Encode(req)
	if err != nil {
		err = p.diedOr(fmt.Errorf("send %s: %w", req.Op, err))
	} else {
		rep, err = p.receive(ctx)
	}
	if err != nil {
		p.broken = fmt.Errorf("control channel unusable after an earlier failure: %w", err)
		p.conn.Close()
	}
	return rep, err
}

// sgxContainerDir is base/ns/id, for a namespace and an ID that are plain
// file names (containerd allows nothing else).
func sgxContainerDir(base, ns, id string) (string, error) {
	if base == "" {
		base = DefaultSGXDir
	}
	for _, n := range []string{ns, id} {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00") {
			return "", fmt.Errorf("sgx: %q cannot name a directory", n)
		}
	}
	return filepath.Join(base, ns, id), nil
}

// SGXContainerDir is the directory LaunchSGX uses for a container (under
// l.SGXDir); the shim's cleanup after a crash removes it.
func (l *Launcher) SGXContainerDir(ns, id string) (string, error) {
	return sgxContainerDir(l.SGXDir, ns, id)
}

// makeSGXDir makes a container's enclave directory afresh: owned by root,
// group gid, mode 0750, so that the enclave (which runs as the
// container's user) can read it and others cannot.
func makeSGXDir(dir string, gid uint32) error {
	// The enclave's user must be able to pass through the parents.
	ns := filepath.Dir(dir)
	if err := os.MkdirAll(ns, 0o711); err != nil {
		return fmt.Errorf("sgx: %w", err)
	}
	for _, d := range []string{filepath.Dir(ns), ns} {
		if err := os.Chmod(d, 0o711); err != nil {
			return fmt.Errorf("sgx: %w", err)
		}
	}
	// Left over by a shim that was killed.
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("sgx: %w", err)
	}
	if err := os.Mkdir(dir, 0o750); err != nil {
		return fmt.Errorf("sgx: %w", err)
	}
	if err := os.Chown(dir, -1, int(gid)); err != nil {
		os.Remove(dir)
		return fmt.Errorf("sgx: %w", err)
	}
	return nil
}

// copyModule copies the open module to name (mode 0644) and returns the
// hex SHA-256 of what it wrote. The copy is what the manifest pins and
// Gramine maps into the enclave: the shim opened the module safely inside
// the rootfs, and a path into the rootfs could be a symbolic link.
func copyModule(src *os.File, name string) (string, error) {
	st, err := src.Stat()
	if err != nil {
		return "", err
	}
	dst, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(dst, h), io.NewSectionReader(src, 0, st.Size()))
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// createOwned creates an empty file owned by uid:gid, mode 0600.
func createOwned(name string, uid, gid uint32) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = f.Chown(int(uid), int(gid))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func newToken() (string, error) {
	b := make([]byte, control.TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// acceptHost waits for the connection that presents token, until ctx
// ends, died is closed or sgxConnectTimeout passes. Each connection gets
// helloTimeout to send its Hello; the wrong ones are closed. It returns
// the connection and the decoder that read the Hello (it may hold more),
// and closes ln in any case: the token is used once.
func acceptHost(ctx context.Context, ln net.Listener, token string, died <-chan struct{}) (net.Conn, *json.Decoder, error) {
	defer ln.Close()
	type won struct {
		conn net.Conn
		dec  *json.Decoder
	}
	winner := make(chan won)
	acceptErr := make(chan error, 1)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				acceptErr <- err
				return
			}
			go func() {
				c.SetDeadline(time.Now().Add(helloTimeout))
				dec := json.NewDecoder(c)
				var h control.Hello
				if err := dec.Decode(&h); err != nil || control.CheckToken(h.Token, token) != nil {
					c.Close()
					return
				}
				c.SetDeadline(time.Time{})
				select {
				case winner <- won{c, dec}:
				case <-stop: // too late, or the token was used already
					c.Close()
				}
			}()
		}
	}()
	timer := time.NewTimer(sgxConnectTimeout)
	defer timer.Stop()
	var err error
	select {
	case w := <-winner:
		return w.conn, w.dec, nil
	case <-died:
		err = ErrHostDied
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("sgx: the module host did not connect within %v", sgxConnectTimeout)
	case e := <-acceptErr:
		err = fmt.Errorf("sgx control channel: %w", e)
	}
	return nil, nil, err
}

// logTail is the end of Gramine's log, for an error message.
func logTail(name string) string {
	b, err := os.ReadFile(name)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return ": " + strings.ReplaceAll(string(bytes.TrimSpace(b)), "\n", "; ")
}
