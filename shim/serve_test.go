package shim

import (
	"bufio"
	"bytes"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSIGPIPENotIgnoredInChildren: the shim survives a broken log FIFO,
// yet the processes it starts get SIGPIPE with its default action, as
// under containerd's shim library (an ignored signal would be inherited).
func TestSIGPIPENotIgnoredInChildren(t *testing.T) {
	catchSIGPIPE()
	out, err := exec.Command("cat", "/proc/self/status").Output()
	if err != nil {
		t.Skipf("cat /proc/self/status: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "SigIgn:")
		if !ok {
			continue
		}
		mask, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			t.Fatalf("SigIgn %q: %v", v, err)
		}
		if mask&(1<<(syscall.SIGPIPE-1)) != 0 {
			t.Fatalf("a child of the shim starts with SIGPIPE ignored (SigIgn %s)", strings.TrimSpace(v))
		}
		return
	}
	t.Skip("no SigIgn in /proc/self/status")
}
