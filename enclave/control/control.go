// Package control is the control channel between the shim and a module
// host: the messages both sides exchange over the host's fd 3 (one JSON
// value per message), and the host's file descriptors.
//
// A module host in an SGX enclave (the sgx backend, under Gramine) gets no
// file descriptors but stdio. It finds the shim through the environment
// variable EnvControl ("127.0.0.1:PORT TOKEN", passed through by Gramine),
// connects over TCP on the loopback interface and first sends a Hello with
// the token; then the same messages follow. The channel is outside the
// enclave and untrusted: the enclave host takes nothing from it on trust
// that it does not measure.
package control

import (
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/wasmtee/wasmtee/oci"
)

// Arg0 is argv[0] of a module host process (argv[1] is its container ID).
const Arg0 = "wasmtee-module-host"

// File descriptors of a module host, besides stdio.
const (
	// FD is the host's end of the control socket.
	FD = 3
	// ModuleFD is the module file, open read-only.
	ModuleFD = 4
)

// FilesByte is the first byte the shim sends on a module host's control
// socket: it carries the host's stdin, stdout, stderr and module file, in
// that order (SCM_RIGHTS), which the host puts at fds 0, 1, 2 and
// ModuleFD. The JSON messages follow.
const FilesByte = 'F'

// Files is the number of file descriptors FilesByte carries.
const Files = 4

// EnvControl names the environment variable that tells a module host in
// an SGX enclave where its control channel is: "ADDRESS TOKEN", with
// ADDRESS a loopback "IP:PORT" and TOKEN TokenBytes random bytes in hex.
const EnvControl = "WASMTEE_CONTROL"

// TokenBytes is the length of a control channel's one-time token.
const TokenBytes = 32

// Hello is the first message on a TCP control channel, from the host.
type Hello struct {
	Token string `json:"token"`
}

// FormatAddress is the value of EnvControl for addr and token.
func FormatAddress(addr, token string) string { return addr + " " + token }

// ParseAddress splits a value of EnvControl and checks it: the address
// must be a loopback IP with a port, the token TokenBytes bytes of hex.
func ParseAddress(v string) (addr, token string, err error) {
	addr, token, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return "", "", fmt.Errorf("%s: want \"ADDRESS TOKEN\"", EnvControl)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("%s: address %q: %w", EnvControl, addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || port == "" || port == "0" {
		return "", "", fmt.Errorf("%s: address %q is not a loopback IP and port", EnvControl, addr)
	}
	if b, err := hex.DecodeString(token); err != nil || len(b) != TokenBytes {
		return "", "", fmt.Errorf("%s: the token is not %d bytes of hex", EnvControl, TokenBytes)
	}
	return addr, token, nil
}

// CheckToken compares a Hello's token with the expected one in constant
// time.
func CheckToken(got, want string) error {
	if len(want) == 0 || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errors.New("wrong control channel token")
	}
	return nil
}

// Request is a message from the shim to the module host ("load",
// "start"), or, once the module runs, from the module host to the shim
// ("evidence", for the module's wasmtee.get_evidence calls). A host in an
// SGX enclave makes its evidence itself: there "evidence" goes from the
// shim to the host (for `wasmtee attest`), before or after "start".
type Request struct {
	Op       string        `json:"op"`
	Workload *oci.Workload `json:"workload,omitempty"`
	CacheDir string        `json:"cacheDir,omitempty"`
	CacheMax int64         `json:"cacheMax,omitempty"`
	// AskBeforeCompile (load) is set when the host was started in the
	// container's cgroup: before it compiles a module that is not in the
	// cache, it replies Compile and waits for the shim's "compile", sent
	// once the shim has moved it out, so that compiling is not charged to
	// the container.
	AskBeforeCompile bool `json:"askBeforeCompile,omitempty"`
	// Nonce and PublicKey of an "evidence" request.
	Nonce     []byte `json:"nonce,omitempty"`
	PublicKey []byte `json:"publicKey,omitempty"`
}

// Operations.
const (
	OpLoad     = "load"
	OpStart    = "start"
	OpEvidence = "evidence"
	OpCompile  = "compile"
)

// Reply is the answer to one Request.
type Reply struct {
	Error string `json:"error,omitempty"`
	// Kind classifies Error: KindInvalid (the module or spec is wrong),
	// KindUnsupported, or "" (a runtime failure).
	Kind string `json:"kind,omitempty"`
	// Compile is the interim reply to a load with AskBeforeCompile: the
	// module must be compiled; the host waits for "compile".
	Compile bool `json:"compile,omitempty"`
	// Source says whether load compiled the module or hit the cache.
	Source string `json:"source,omitempty"`
	// Warnings are logged by the shim (e.g. the cache is unwritable).
	Warnings []string `json:"warnings,omitempty"`
	// Digest is the hex SHA-256 of the loaded module (load).
	Digest string `json:"digest,omitempty"`
	// DigestKnown is set when load took the digest from the compile cache
	// (filed under the module file's identity) instead of hashing.
	DigestKnown bool `json:"digestKnown,omitempty"`
	// Measurement is the launch measurement a host in an SGX enclave
	// computed itself from the workload it got and the module it loaded
	// (load); the shim checks that it equals its own.
	Measurement string `json:"measurement,omitempty"`
	// Evidence answers an "evidence" request (JSON).
	Evidence []byte `json:"evidence,omitempty"`
}

// Kinds of Reply.Error.
const (
	KindInvalid     = "invalid"
	KindUnsupported = "unsupported"
)
