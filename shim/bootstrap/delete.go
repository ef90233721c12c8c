package bootstrap

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wasmtee/wasmtee/shim/taskapi"
)

// KilledStatus is the exit status "delete" reports for a container whose
// shim is gone: the module host died with it (PDEATHSIG, SIGKILL). Both
// answers report it (KilledResponse): this binary's fast delete and the
// serving binary's "delete", which cleans up first.
const KilledStatus = 128 + int(syscall.SIGKILL)

// fastDelete answers "shim delete", which containerd runs whenever a shim's
// connection closes, without the serving binary when there is nothing to
// clean up: the serving shim removed the bundle's CleanupMarker after its
// Delete released the container. Only a stale socket may be left (the
// server removes it as it exits). It reports false when the full cleanup
// must run.
func fastDelete(f Flags, stdout io.Writer) (bool, error) {
	bundle, err := f.BundleDir()
	if err != nil {
		return false, nil
	}
	if _, err := os.Lstat(filepath.Join(bundle, CleanupMarker)); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	RemoveStaleSocket(bundle)
	_, err = stdout.Write(KilledResponse())
	return true, err
}

// BundleDir is the bundle a "delete" is about: -bundle, or else the working
// directory containerd runs it in, which is the bundle.
func (f Flags) BundleDir() (string, error) {
	if f.Bundle != "" {
		return f.Bundle, nil
	}
	return os.Getwd()
}

// KilledResponse is the task API's DeleteResponse that "delete" prints for
// a container whose shim is gone: killed, now.
func KilledResponse() []byte {
	r := taskapi.DeleteResponse{ExitStatus: uint32(KilledStatus), ExitedAt: time.Now()}
	return r.Marshal()
}

// RemoveStaleSocket removes the shim socket that bundle's "address" names
// if no server answers there any more (a server removes its socket as it
// exits, unless it was killed); a live group shim's socket stays.
func RemoveStaleSocket(bundle string) {
	if b, err := os.ReadFile(filepath.Join(bundle, "address")); err == nil {
		if a := strings.TrimSpace(string(b)); !canConnect(a) {
			_ = RemoveSocket(a)
		}
	}
}
