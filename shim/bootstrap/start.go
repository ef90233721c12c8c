package bootstrap

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/wasmtee/wasmtee/shim/api"
)

// runStart is "shim start", run by containerd in the bundle directory: it
// prints the ttrpc address of the shim server for the container's group,
// starting one when the group has none.
func runStart(f Flags, stdin io.Reader, stdout io.Writer) (retErr error) {
	if f.Namespace == "" {
		return errors.New("shim namespace cannot be empty")
	}
	if f.ID == "" {
		return errors.New("shim id cannot be empty")
	}
	server, err := serverPath()
	if err != nil {
		return err
	}
	if err := os.WriteFile(CleanupMarker, nil, 0o600); err != nil {
		return fmt.Errorf("mark bundle: %w", err)
	}
	if err := saveOptions(stdin); err != nil {
		return err
	}
	address := api.Address(f.Address, f.Namespace, group(f.ID))
	l, err := listen(address)
	if errors.Is(err, syscall.EADDRINUSE) {
		if canConnect(address) {
			if err := writeAddress(address); err != nil {
				return err
			}
			_, err = io.WriteString(stdout, address)
			return err
		}
		if err := RemoveSocket(address); err != nil {
			return fmt.Errorf("remove stale shim socket: %w", err)
		}
		l, err = listen(address)
	}
	if err != nil {
		return fmt.Errorf("create shim socket: %w", err)
	}
	defer func() {
		l.Close()
		if retErr != nil {
			_ = RemoveSocket(address)
		}
	}()
	if err := writeAddress(address); err != nil {
		return err
	}
	if err := startServer(server, f, l); err != nil {
		return err
	}
	_, err = io.WriteString(stdout, address)
	return err
}

// group is the shim group of the container whose bundle is the current
// directory: CRI puts a pod's containers into one shim.
func group(id string) string {
	data, err := os.ReadFile("config.json")
	if err != nil {
		return id
	}
	var spec struct {
		Annotations map[string]string `json:"annotations"`
	}
	if json.Unmarshal(data, &spec) != nil {
		return id
	}
	return api.Group(id, spec.Annotations)
}

// startServer starts the serving shim on the listening socket (its fd 3),
// in its own process group so that signals to containerd's do not reach it,
// with /dev/null as its stdin, stdout and stderr (it opens its log FIFO
// itself). It inherits this process's working directory, the bundle, and
// environment. A plain fork and exec: os.StartProcess would first probe
// this kernel's pidfd support, with a child process of its own, for a
// child this process never waits for.
func startServer(p string, f Flags, socket *os.File) error {
	args := []string{ServerBinary, "-namespace", f.Namespace, "-id", f.ID, "-address", f.Address}
	if f.Debug {
		args = append(args, "-debug")
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	// The server outlives this process; containerd's reaper (or init)
	// collects it.
	_, err = syscall.ForkExec(p, args, &syscall.ProcAttr{
		Env:   os.Environ(),
		Files: []uintptr{null.Fd(), null.Fd(), null.Fd(), socket.Fd()},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return fmt.Errorf("start %s: %w", p, err)
	}
	return nil
}

// saveOptions copies the runtime options containerd wrote on stdin (a
// serialized google.protobuf.Any) into the bundle for the server's Create,
// which reads runtimeoptions.v1.Options and warns about any other type
// (runc's options, say, in a handler's table meant for runc). Anything
// that is not an Any, such as containerd 2.3+'s JSON bootstrap parameters,
// is not options and is not saved.
func saveOptions(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil || len(data) == 0 || anyTypeURL(data) == "" {
		return nil
	}
	if err := os.WriteFile(OptionsFile, data, 0o600); err != nil {
		return fmt.Errorf("save runtime options: %w", err)
	}
	return nil
}

// IsRuntimeOptions reports whether an Any's type URL names
// runtimeoptions.v1.Options, the only options type wasmtee reads.
func IsRuntimeOptions(typeURL string) bool {
	return strings.HasSuffix(typeURL, "runtimeoptions.v1.Options")
}

// anyTypeURL is the type_url (field 1) of a serialized Any, or "" when data
// is not one.
func anyTypeURL(b []byte) string {
	url := ""
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType || (num != 1 && num != 2) {
			return ""
		}
		b = b[n:]
		v, m := protowire.ConsumeBytes(b)
		if m < 0 {
			return ""
		}
		if num == 1 {
			url = string(v)
		}
		b = b[m:]
	}
	return url
}
