package cli

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/wasmtee/wasmtee/shim/api"
	"github.com/wasmtee/wasmtee/shim/taskapi"
	"github.com/wasmtee/wasmtee/shim/ttrpc"
)

func init() {
	register("", &command{
		name:    "attest",
		summary: "get attestation evidence for a running wasm container",
		usage: `Usage: wasmtee attest [options] --nonce HEX CONTAINER

Ask the shim that runs CONTAINER for attestation evidence: its launch
measurement (the module and its launch configuration), bound to your nonce
(and a public key, if given) and signed or quoted by the container's TEE
backend. The evidence (JSON) goes to standard output or --output; check it
with 'wasmtee verify'.

Options:
  --address SOCK      containerd's socket, as containerd names it
                      (default /run/containerd/containerd.sock)
  -n, --namespace NS  containerd namespace (default "default"; k8s.io for
                      Kubernetes pods)
  --nonce HEX         the verifier's fresh challenge (required)
  --public-key B64    a public key to bind into the evidence (base64)
  -o, --output FILE   write the evidence to FILE
`,
		run: runAttest,
	})
}

func runAttest(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	address := fs.String("address", "/run/containerd/containerd.sock", "")
	ns := fs.String("namespace", "default", "")
	fs.StringVar(ns, "n", "default", "")
	nonceHex := fs.String("nonce", "", "")
	keyB64 := fs.String("public-key", "", "")
	output := fs.String("output", "", "")
	fs.StringVar(output, "o", "", "")
	pos, err := parseArgs(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageErrorf(c, "attest: want one CONTAINER, got %d arguments", len(pos))
	}
	nonce, err := hex.DecodeString(*nonceHex)
	if err != nil || len(nonce) == 0 {
		return usageErrorf(c, "attest: --nonce must be a non-empty hex string")
	}
	var key []byte
	if *keyB64 != "" {
		if key, err = base64.StdEncoding.DecodeString(*keyB64); err != nil {
			return usageErrorf(c, "attest: --public-key is not base64: %v", err)
		}
	}
	req := api.AttestRequest{Namespace: *ns, ContainerID: pos[0], Nonce: nonce, PublicKey: key}
	ev, err := attest(strings.TrimPrefix(*address, "unix://"), req)
	if err != nil {
		return err
	}
	if *output != "" {
		return os.WriteFile(*output, append(ev, '\n'), 0o644)
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", ev)
	return err
}

// attest asks the shims for the container's evidence: first the one whose
// socket the container's own ID names (a container outside a pod), then
// every wasmtee shim on the node (pods are grouped under their sandbox ID,
// which only the shim knows).
func attest(address string, req api.AttestRequest) ([]byte, error) {
	first := strings.TrimPrefix(api.Address(address, req.Namespace, req.ContainerID), "unix://")
	var failed []error // shims that could not be asked, other than dead sockets
	ents, err := os.ReadDir(api.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		failed = append(failed, err)
	}
	socks := []string{first}
	for _, e := range ents {
		socks = append(socks, filepath.Join(api.Dir, e.Name()))
	}
	tried := map[string]bool{}
	for _, s := range socks {
		if tried[s] {
			continue
		}
		tried[s] = true
		resp, err := AskShim(context.Background(), s, req)
		switch {
		case err != nil:
			if !deadSocket(err) {
				failed = append(failed, err)
			}
		case resp.NotHere:
			continue
		case resp.Error != "":
			return nil, fmt.Errorf("attest %s: %s", req.ContainerID, resp.Error)
		default:
			return resp.Evidence, nil
		}
	}
	return nil, notFound(req, failed)
}

// deadSocket tells a socket with no shim behind it (gone or stale) from a
// shim that could not be asked.
func deadSocket(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED)
}

// notFound says that no shim answered for the container, and why some
// could not be asked (not being root, most often).
func notFound(req api.AttestRequest, failed []error) error {
	msg := fmt.Sprintf("attest: no wasmtee shim on this node runs container %s in namespace %s", req.ContainerID, req.Namespace)
	if len(failed) > 0 {
		msg += fmt.Sprintf("; %d shim socket(s) could not be asked, e.g.: %v", len(failed), failed[0])
		if errors.Is(failed[0], fs.ErrPermission) {
			msg += " (the shims' sockets are root's: run as root)"
		}
	}
	return errors.New(msg)
}

// AskShim is one attestation request to the wasmtee shim listening on the
// unix socket sock: a new connection, one ttrpc call (at most 30 s, within
// ctx), and the shim's answer. `wasmtee attest` makes it for every shim it
// tries; the bench times it.
func AskShim(ctx context.Context, sock string, req api.AttestRequest) (*api.AttestResponse, error) {
	dctx, cancel := context.WithTimeout(ctx, time.Second)
	client, err := ttrpc.Dial(dctx, sock)
	cancel()
	if err != nil {
		return nil, err
	}
	defer client.Close()
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := client.Call(ctx, api.AttestService, api.AttestMethod, taskapi.MarshalBytesValue(body))
	if err != nil {
		return nil, err
	}
	value, err := taskapi.UnmarshalBytesValue(out)
	if err != nil {
		return nil, fmt.Errorf("shim's answer: %w", err)
	}
	var resp api.AttestResponse
	if err := json.Unmarshal(value, &resp); err != nil {
		return nil, fmt.Errorf("shim's answer is not JSON: %w", err)
	}
	return &resp, nil
}
