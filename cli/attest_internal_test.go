package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/wasmtee/wasmtee/shim/api"
)

func TestAttestNotFoundSaysWhy(t *testing.T) {
	req := api.AttestRequest{ContainerID: "c1", Namespace: "default"}
	if got := notFound(req, nil).Error(); got != "attest: no wasmtee shim on this node runs container c1 in namespace default" {
		t.Errorf("no failures: %q", got)
	}
	denied := &net.OpError{Op: "dial", Net: "unix", Err: fmt.Errorf("connect: %w", syscall.EACCES)}
	got := notFound(req, []error{denied, errors.New("other")}).Error()
	for _, w := range []string{"container c1", "2 shim socket(s) could not be asked", "permission denied", "run as root"} {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
	// A socket with no shim behind it is not a reason worth reporting.
	_, err := net.Dial("unix", filepath.Join(t.TempDir(), "gone"))
	if !deadSocket(err) {
		t.Errorf("dial of a missing socket (%v) not taken as dead", err)
	}
	if deadSocket(denied) || !errors.Is(denied, fs.ErrPermission) {
		t.Errorf("EACCES taken as a dead socket")
	}
}
