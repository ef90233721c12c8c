package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wasmtee/wasmtee/cli"
	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
	"github.com/wasmtee/wasmtee/enclave/tee/process"
	"github.com/wasmtee/wasmtee/shim/api"
)

// The attestation benchmark: what evidence costs for a running container
// with the process backend (a `wasmtee attest` process, and the shim's
// ttrpc call alone), what producing it costs in process (evidence.Make with
// the process backend's producer), and what the launch measurement adds to
// a start (measure.Measure, and hashing the module).

const teeAnnotation = "wasmtee.io/tee"

// attestResult is the round trips measured on one daemon.
type attestResult struct {
	cli      []time.Duration // `wasmtee attest` processes, fork to exit
	direct   []time.Duration // dial the shim's socket + one ttrpc call, in this process
	size     int             // bytes of the evidence
	launch   *measure.Launch // the container's launch, from its evidence
	failures []string
}

// benchAttest starts the idle WAT guest with the process backend, asks its
// shim for evidence n times each way (after one warm-up each), interleaved,
// checks every answer, and removes the container.
func benchAttest(ctx context.Context, c config, d *daemon, sleeper image) *attestResult {
	res := &attestResult{}
	fail := func(msg string) {
		res.failures = append(res.failures, msg)
		fmt.Fprintln(os.Stderr, "bench: ERROR (attest, continuing):", msg)
	}
	id := containerID("attest", time.Now().UnixNano()%1e9)
	r := d.ctr(ctx, 2*time.Minute, "run", "-d", "--null-io", "--snapshotter", "overlayfs", "--runtime", runtimeWasm,
		"--annotation", teeAnnotation+"=process", sleeper.ref, id)
	defer func() {
		d.ctr(ctx, 30*time.Second, "tasks", "kill", "-s", "SIGKILL", id)
		for i := 0; i < 50; i++ { // until the task has stopped
			if r := d.ctr(ctx, 30*time.Second, "tasks", "delete", id); r.ok() || strings.Contains(r.stderr, "not found") {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		d.ctr(ctx, 30*time.Second, "containers", "delete", id)
	}()
	if !r.ok() {
		fail("starting the container: " + r.String())
		return res
	}
	wasmtee := filepath.Join(c.repo, "bin", "wasmtee")
	sock := strings.TrimPrefix(api.Address(d.sock, namespace, id), "unix://")
	step(fmt.Sprintf("containerd %s: attestation, %d evidence round trips each way after a warm-up", d.version, c.attestN))
	for i := 0; i <= c.attestN && ctx.Err() == nil; i++ {
		nonce := make([]byte, 16)
		rand.Read(nonce)
		cr := runCmd(ctx, time.Minute, c.repo, nil, wasmtee, "attest", "--address", d.sock, "-n", namespace,
			"--nonce", hex.EncodeToString(nonce), id)
		ev, err := checkEvidence([]byte(cr.stdout), nonce)
		if !cr.ok() || err != nil {
			fail(fmt.Sprintf("wasmtee attest: %v %s", err, cr))
			return res
		}
		if i == 0 {
			res.size, res.launch = len(strings.TrimSpace(cr.stdout)), &ev.Launch
		} else {
			res.cli = append(res.cli, cr.elapsed)
		}

		rand.Read(nonce)
		t0 := time.Now()
		out, err := askShim(ctx, sock, api.AttestRequest{Namespace: namespace, ContainerID: id, Nonce: nonce})
		took := time.Since(t0)
		if err == nil {
			_, err = checkEvidence(out, nonce)
		}
		if err != nil {
			fail(fmt.Sprintf("ttrpc call to %s: %v", sock, err))
			return res
		}
		if i > 0 {
			res.direct = append(res.direct, took)
		}
	}
	return res
}

// askShim is one attestation call as `wasmtee attest` makes it
// (cli.AskShim): a new connection to the shim's socket, one ttrpc call. It
// returns the evidence, or an error if the shim did not give it.
func askShim(ctx context.Context, sock string, req api.AttestRequest) ([]byte, error) {
	resp, err := cli.AskShim(ctx, sock, req)
	if err != nil {
		return nil, err
	}
	if resp.Error != "" || resp.NotHere {
		return nil, fmt.Errorf("the shim answered: error %q, not here %v", resp.Error, resp.NotHere)
	}
	return resp.Evidence, nil
}

// checkEvidence parses evidence and checks that it is the process
// backend's, for our nonce, and that its launch hashes to its measurement.
func checkEvidence(data, nonce []byte) (*evidence.Evidence, error) {
	ev, err := evidence.Parse([]byte(strings.TrimSpace(string(data))))
	if err != nil {
		return nil, err
	}
	m, err := measure.Measure(ev.Launch)
	switch {
	case err != nil:
		return nil, err
	case ev.Backend != evidence.BackendProcess || ev.TEE != evidence.TEENone:
		return nil, fmt.Errorf("evidence of backend %q, TEE %q; want process, none", ev.Backend, ev.TEE)
	case ev.Nonce != hex.EncodeToString(nonce):
		return nil, fmt.Errorf("evidence for nonce %s, asked with %x", ev.Nonce, nonce)
	case ev.Measurement != m.String():
		return nil, errors.New("the evidence's launch does not hash to its measurement")
	}
	return ev, nil
}

// hashCost is sha256 over one module's bytes.
type hashCost struct {
	name  string
	size  int64
	perOp time.Duration
}

// attestMicro is what is measured in this process, once per run.
type attestMicro struct {
	launch     measure.Launch
	launchFrom string        // where launch came from
	measure    time.Duration // measure.Measure(launch)
	quote      time.Duration // the producer's Quote alone (an Ed25519 signature)
	make       time.Duration // evidence.Make with the process producer, then json.Marshal: what the shim does per request
	hashes     []hashCost
	iterations map[string]int
}

// helloHash is the hash cost of the hello module (the "typical launch").
func (m *attestMicro) hash(name string) (hashCost, bool) {
	if m == nil {
		return hashCost{}, false
	}
	for _, h := range m.hashes {
		if h.name == name {
			return h, true
		}
	}
	return hashCost{}, false
}

// benchAttestMicro times the producer, the measurement and module hashing
// in this process. launch is a running container's (nil: a launch like the
// hello container's is made up). modules are the files to hash, by name.
func benchAttestMicro(launch *measure.Launch, modules [][2]string) (*attestMicro, error) {
	m := &attestMicro{iterations: map[string]int{}}
	if launch != nil {
		m.launch, m.launchFrom = *launch, "the attestation container's own launch (from its evidence)"
	} else {
		sum := sha256.Sum256([]byte("hello"))
		m.launch = measure.Launch{
			Module: hex.EncodeToString(sum[:]), Entry: "_start", Args: []string{"/hello.wasm"},
			Env:      []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PWD=/"},
			Preopens: []measure.Preopen{{Guest: "/"}}, Backend: evidence.BackendProcess,
		}
		m.launchFrom = "a launch like the hello container's (no container was attested)"
	}
	if _, err := measure.Measure(m.launch); err != nil {
		return nil, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	producer, err := process.NewWithKey(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	var sink byte
	m.measure, m.iterations["measure"] = perOp(func() {
		mm, _ := measure.Measure(m.launch)
		sink ^= mm[0]
	})
	var rd [64]byte
	m.quote, m.iterations["quote"] = perOp(func() {
		q, _, _, _ := producer.Quote(rd)
		sink ^= q[0]
	})
	var makeErr error
	m.make, m.iterations["make"] = perOp(func() {
		ev, err := evidence.Make(producer, evidence.Request{Launch: m.launch, Nonce: nonce})
		if err != nil {
			makeErr = err
			return
		}
		b, err := json.Marshal(ev)
		if err != nil {
			makeErr = err
			return
		}
		sink ^= b[0]
	})
	if makeErr != nil {
		return nil, makeErr
	}
	for _, mod := range modules {
		data, err := os.ReadFile(mod[1])
		if err != nil {
			return nil, err
		}
		h := hashCost{name: mod[0], size: int64(len(data))}
		h.perOp, m.iterations["hash "+mod[0]] = perOp(func() {
			s := sha256.Sum256(data)
			sink ^= s[0]
		})
		m.hashes = append(m.hashes, h)
	}
	_ = sink
	return m, nil
}

// perOp times f: it finds an iteration count that takes at least 100 ms,
// then takes the median per-call time of 5 batches of that many calls.
func perOp(f func()) (time.Duration, int) {
	n := 1
	for {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			f()
		}
		if el := time.Since(t0); el >= 100*time.Millisecond || n >= 1<<30 {
			break
		}
		n *= 2
	}
	var batches []time.Duration
	for b := 0; b < 5; b++ {
		t0 := time.Now()
		for i := 0; i < n; i++ {
			f()
		}
		batches = append(batches, time.Since(t0)/time.Duration(n))
	}
	slices.Sort(batches)
	return batches[len(batches)/2], n
}
