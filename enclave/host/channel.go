package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/wasm"
)

// channel is the module host's end of the control channel to the shim: a
// socket passed as fd 3, or a TCP connection from an enclave.
type channel struct {
	dec *json.Decoder
	enc *json.Encoder
}

func newChannel(conn io.ReadWriter) *channel {
	return &channel{dec: json.NewDecoder(conn), enc: json.NewEncoder(conn)}
}

// The ways a module host answers the shim's requests.
type (
	// loadFunc loads and checks the module for a "load" request.
	loadFunc func(control.Request) (*wasm.Instance, control.Reply)
	// answerFunc replies to a request of the shim other than "load" and
	// "start".
	answerFunc func(control.Request) control.Reply
)

// errShimDone is answerUntil's: the shim closed the channel, or sent what
// a host that answers nothing does not expect.
var errShimDone = errors.New("the shim is done with this module host")

// serve runs a module host's side of the control protocol and returns its
// exit status: the shim's "load" first, answered by load; then, until
// "start", the shim's other requests, answered by answer; then it
// instantiates the module, says so and calls its entry function, while
// answer goes on replying to the shim's requests. A nil answer serves
// nothing besides load and start: any other request, or a closed channel,
// before start means the shim deleted the container without starting it,
// and while the module runs the channel is the host's to ask the shim
// (askEvidence).
func (c *channel) serve(load loadFunc, answer answerFunc) int {
	var req control.Request
	if err := c.dec.Decode(&req); err != nil || req.Op != control.OpLoad || req.Workload == nil {
		return 1
	}
	inst, rep := load(req)
	if err := c.enc.Encode(rep); err != nil || rep.Error != "" {
		return 1
	}
	if err := c.answerUntil(control.OpStart, answer); errors.Is(err, errShimDone) {
		return 0 // deleted before start
	} else if err != nil {
		return 1
	}
	entry, err := inst.Instantiate()
	if err != nil {
		c.enc.Encode(control.Reply{Error: err.Error()})
		return 1
	}
	if err := c.enc.Encode(control.Reply{}); err != nil {
		return 1
	}
	if answer != nil {
		go c.answerUntil("", answer)
	}
	code, err := inst.Call(entry)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return code
}

// answerUntil reads the shim's requests and replies to each with answer
// until one whose Op is stop comes (none if stop is ""): then it returns
// nil. It returns errShimDone when the channel closes, or, with a nil
// answer, at any other request, and the error of a reply it could not
// send.
func (c *channel) answerUntil(stop string, answer answerFunc) error {
	for {
		var req control.Request
		if err := c.dec.Decode(&req); err != nil {
			return errShimDone
		}
		if stop != "" && req.Op == stop {
			return nil
		}
		if answer == nil {
			return errShimDone
		}
		if err := c.enc.Encode(answer(req)); err != nil {
			return err
		}
	}
}

// askEvidence asks the shim for attestation evidence for the running
// module (the module's wasmtee.get_evidence calls), for a host whose shim
// holds the keys and talks to the TEE: the channel is idle while the
// module runs.
func (c *channel) askEvidence(nonce, publicKey []byte) ([]byte, error) {
	if err := c.enc.Encode(control.Request{Op: control.OpEvidence, Nonce: nonce, PublicKey: publicKey}); err != nil {
		return nil, err
	}
	var rep control.Reply
	if err := c.dec.Decode(&rep); err != nil {
		return nil, err
	}
	if rep.Error != "" {
		return nil, errors.New(rep.Error)
	}
	return rep.Evidence, nil
}

// askCompile tells the shim, during a load, that the module must be
// compiled, and waits for its go-ahead ("compile"): the shim first moves
// the host out of the container's cgroup, so that compiling is charged to
// the runtime, not to the container.
func (c *channel) askCompile() error {
	if err := c.enc.Encode(control.Reply{Compile: true}); err != nil {
		return fmt.Errorf("ask to compile: %w", err)
	}
	var req control.Request
	if err := c.dec.Decode(&req); err != nil {
		return fmt.Errorf("wait for the go-ahead to compile: %w", err)
	}
	if req.Op != control.OpCompile {
		return fmt.Errorf("wait for the go-ahead to compile: got %q", req.Op)
	}
	return nil
}
