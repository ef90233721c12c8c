package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// errLogged: the error went to Gramine's log already.
var errLogged = errors.New("see the log")

// runMain is gramine-sgx NAME.
func runMain(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: gramine-sgx NAME (the manifest fixes the arguments)")
	}
	name := args[0]
	data, err := os.ReadFile(name + ".manifest.sgx")
	if err != nil {
		return err
	}
	m, err := parseManifest(data)
	if err != nil {
		return err
	}
	log := io.Writer(os.Stderr)
	if m.logFile != "" {
		f, err := os.OpenFile(m.logFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("loader.log_file: %w", err)
		}
		defer f.Close()
		log = f
	}
	if err := run(name, data, m, log); err != nil {
		if log != io.Writer(os.Stderr) {
			fmt.Fprintf(log, "error: %v\n", err)
			return errLogged
		}
		return err
	}
	return nil
}

// run checks the enclave and becomes its entrypoint.
func run(name string, data []byte, m *manifest, log io.Writer) error {
	h, err := home()
	if err != nil {
		return err
	}
	sig, err := os.ReadFile(name + ".sig")
	if err != nil {
		return err
	}
	ss, err := checkSigStruct(sig)
	if err != nil {
		return fmt.Errorf("%s.sig: %w", name, err)
	}
	if mre := mrEnclave(data); ss.hash != mre {
		return fmt.Errorf("%s.sig: ENCLAVEHASH %x is not the manifest's measurement %x: the manifest changed after signing", name, ss.hash, mre)
	}
	// Gramine refuses to open a trusted file whose hash differs; the fake
	// refuses to start.
	trusted := map[string]bool{}
	for _, t := range m.trusted {
		p, err := uriPath(t.uri)
		if err != nil {
			return err
		}
		sum, err := hashFile(p)
		if err != nil {
			return fmt.Errorf("trusted file %s: %w", t.uri, err)
		}
		if sum != t.sha256 {
			return fmt.Errorf("trusted file %s: hash mismatch: its SHA-256 is %s, the manifest says %s (the file changed after signing): refusing to start the enclave", t.uri, sum, t.sha256)
		}
		trusted[p] = true
	}
	var allowed []string
	for _, a := range m.allowed {
		p, err := uriPath(a)
		if err != nil {
			return err
		}
		allowed = append(allowed, p)
	}
	isAllowed := func(p string) bool {
		for _, a := range allowed {
			if p == a || strings.HasPrefix(p, strings.TrimSuffix(a, "/")+"/") {
				return true
			}
		}
		return false
	}

	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	root := filepath.Join(cwd, name+".fake-root")
	os.RemoveAll(root)
	if err := os.Mkdir(root, 0o755); err != nil {
		return fmt.Errorf("the fake needs a writable working directory: %w", err)
	}
	plan := stage2Plan{Root: root}
	binds, err := systemBinds(root)
	if err != nil {
		return err
	}
	plan.Binds = binds
	entryOK := false
	for _, mt := range m.mounts {
		src, err := uriPath(mt.uri)
		if err != nil {
			return err
		}
		if src == runtimeDir(h) {
			continue // Gramine's glibc: the fake uses the node's own
		}
		st, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("fs.mounts %s: %w", mt.path, err)
		}
		if st.IsDir() {
			if !isAllowed(src) {
				return fmt.Errorf("fs.mounts %s: directory %s is not in sgx.allowed_files (the fake supports no other directories)", mt.path, mt.uri)
			}
		} else if !trusted[src] && !isAllowed(src) {
			return fmt.Errorf("fs.mounts %s: %s is neither a trusted nor an allowed file", mt.path, mt.uri)
		}
		if mt.path == m.entrypoint {
			if !trusted[src] || st.IsDir() {
				return fmt.Errorf("libos.entrypoint %s: %s is not a trusted file", mt.path, mt.uri)
			}
			entryOK = true
		}
		// Below the node's /usr (or /lib... into it), the mount point is
		// the node's file (e.g. a library mounted at its own path).
		if !underSystemDir(mt.path) {
			if err := mountpoint(root, mt.path, st.IsDir()); err != nil {
				return err
			}
		}
		plan.Binds = append(plan.Binds, bind{Src: src, Dst: mt.path, Rec: st.IsDir()})
	}
	if !entryOK {
		return fmt.Errorf("libos.entrypoint %s is not a mounted file", m.entrypoint)
	}
	if err := attestationDir(root, m.attestType); err != nil {
		return err
	}
	plan.Attest = attestPlan{Type: m.attestType, MrEnclave: hex.EncodeToString(ss.hash[:]), MrSigner: hex.EncodeToString(ss.mrSigner[:]),
		Flags: ss.attrFlags, XFRM: ss.xfrm, ProdID: ss.prodID, Svn: ss.svn}
	if m.attestType == "dcap" {
		key, chain, err := loadPCK(h)
		if err != nil {
			return err
		}
		der, err := marshalECKey(key)
		if err != nil {
			return err
		}
		plan.Attest.PCKKey, plan.Attest.Chain = der, string(chain)
	}

	var env []string
	for _, e := range m.env {
		if !e.passthrough {
			env = append(env, e.name+"="+e.value)
		} else if v, ok := os.LookupEnv(e.name); ok {
			env = append(env, e.name+"="+v)
		}
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		nsenter = "/usr/bin/nsenter"
	}

	pid, err := startStage2(plan, log)
	if err != nil {
		return err
	}
	argv := []string{"nsenter", "--target", strconv.Itoa(pid), "--user", "--mount", "--preserve-credentials", "--root", "--wd", "--", m.entrypoint}
	argv = append(argv, m.argv[1:]...)
	// Gramine passes only stdin, stdout and stderr into an enclave, whatever
	// gramine-sgx itself inherited.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	// The quote server is this thread's child: the thread must stay the
	// same (init locks it), and exec keeps it.
	return fmt.Errorf("exec %s: %w", nsenter, syscall.Exec(nsenter, argv, env))
}

// systemBinds makes the skeleton of what the entrypoint needs from the
// node: /usr and the /lib, /lib64, /bin, /sbin that point into it, /proc,
// and a few device nodes.
func systemBinds(root string) ([]bind, error) {
	var binds []bind
	if err := os.Mkdir(filepath.Join(root, "usr"), 0o755); err != nil {
		return nil, err
	}
	binds = append(binds, bind{Src: "/usr", Dst: "/usr", Rec: true})
	for _, d := range []string{"/lib", "/lib64", "/bin", "/sbin"} {
		st, err := os.Lstat(d)
		if err != nil {
			continue
		}
		if st.Mode()&os.ModeSymlink != 0 {
			t, err := os.Readlink(d)
			if err != nil {
				return nil, err
			}
			if !filepath.IsAbs(t) {
				if err := os.Symlink(t, filepath.Join(root, d)); err != nil {
					return nil, err
				}
				continue
			}
		}
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			return nil, err
		}
		binds = append(binds, bind{Src: d, Dst: d, Rec: true})
	}
	if err := os.Mkdir(filepath.Join(root, "proc"), 0o555); err != nil {
		return nil, err
	}
	binds = append(binds, bind{Src: "/proc", Dst: "/proc", Rec: true})
	if err := os.Mkdir(filepath.Join(root, "dev"), 0o755); err != nil {
		return nil, err
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom"} {
		if err := mountpoint(root, "/dev/"+n, false); err != nil {
			return nil, err
		}
		binds = append(binds, bind{Src: "/dev/" + n, Dst: "/dev/" + n})
	}
	if err := os.Mkdir(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return nil, err
	}
	return binds, nil
}

// systemDirs come from the node (systemBinds).
var systemDirs = []string{"/usr", "/lib", "/lib64", "/bin", "/sbin", "/proc"}

func underSystemDir(p string) bool {
	p = filepath.Clean(p)
	for _, d := range systemDirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

// mountpoint makes an empty directory or file at p below root.
func mountpoint(root, p string, dir bool) error {
	full := filepath.Join(root, p)
	if dir {
		return os.MkdirAll(full, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// attestationDir makes /dev/attestation: attestation_type, and with DCAP
// user_report_data and quote, FIFOs the quote server reads and writes.
func attestationDir(root, typ string) error {
	dir := filepath.Join(root, "dev", "attestation")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "attestation_type"), []byte(typ), 0o444); err != nil {
		return err
	}
	if typ != "dcap" {
		return nil
	}
	for _, f := range []string{"user_report_data", "quote"} {
		if err := unix.Mkfifo(filepath.Join(dir, f), 0o600); err != nil {
			return fmt.Errorf("mkfifo %s: %w", f, err)
		}
	}
	return nil
}

// startStage2 starts the namespace holder and quote server (stage2Main)
// in a new user and mount namespace, hands it the plan and waits until
// the enclave's file system is ready.
func startStage2(plan stage2Plan, log io.Writer) (int, error) {
	planR, planW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := &exec.Cmd{
		Path:       "/proc/self/exe",
		Args:       []string{"sgxfake", stage2Name},
		Stderr:     log,
		ExtraFiles: []*os.File{planR, readyW},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
			// In its new user namespace the child has every capability
			// until it execs; as an unmapped user it would lose them
			// then, unless they are ambient. uid 0 cannot be mapped
			// without CAP_SETFCAP, which the shim's child lacks.
			AmbientCaps: []uintptr{unix.CAP_SYS_ADMIN, unix.CAP_SYS_CHROOT},
			Pdeathsig:   syscall.SIGKILL,
		},
	}
	if err := cmd.Start(); err != nil {
		planR.Close()
		planW.Close()
		readyR.Close()
		readyW.Close()
		return 0, fmt.Errorf("start the enclave's namespaces: %w", err)
	}
	planR.Close()
	readyW.Close()
	defer readyR.Close()
	err = json.NewEncoder(planW).Encode(plan)
	planW.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, err
	}
	var b [1]byte
	if n, _ := readyR.Read(b[:]); n != 1 {
		cmd.Process.Kill()
		cmd.Wait()
		return 0, errors.New("the enclave's file system could not be set up (the reason is above)")
	}
	return cmd.Process.Pid, nil
}
