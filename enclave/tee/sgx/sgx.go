// Package sgx is wasmtee's "sgx" evidence backend: the module host runs
// inside an Intel SGX enclave under Gramine, which takes an unmodified
// Linux binary and a manifest (see Manifest) and makes the enclave.
//
// The shim (enclave.Launcher.LaunchSGX) starts one enclave per container:
// it writes the manifest template, renders it with gramine-manifest, signs
// it with gramine-sgx-sign and the node's signing key (EnsureSigningKey:
// RSA-3072, exponent 3; its MRSIGNER is MRSigner) and runs gramine-sgx.
// Select (package tee) offers this with no producer in the shim (its
// Choice says the module host runs in an enclave): the evidence is made
// inside the enclave, where the module host uses the Producer.
// Status.CanLaunch says whether a host can start enclaves.
//
// Inside the enclave, Gramine offers attestation as a pseudo-file system,
// /dev/attestation: write 64 bytes of report data to user_report_data, read
// a DCAP quote binding them from quote. The Producer does exactly that; the
// quote's MRENCLAVE covers the manifest, and so the host binary and the
// module, whose SHA-256 the manifest pins as trusted files.
//
// What this backend has and has not done: nothing of it has run on SGX
// hardware or under the real Gramine (Gramine is not in Debian, and no
// machine here has SGX). The launch path is tested end to end against
// test/sgxfake, a test double of gramine-manifest, gramine-sgx-sign and
// gramine-sgx that checks signatures and trusted-file hashes and serves a
// /dev/attestation with DCAP v3 quotes from a test CA; the manifest is
// checked as text and by that double, not by Gramine. Whether the Go
// runtime plus wasmtime's JIT run under Gramine is not verified (see
// Manifest about EDMM).
package sgx

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// Paths of the SGX interfaces, relative to a root prefix ("" or "/" for
// the real system).
const (
	AttestationDir = "/dev/attestation" // Gramine's pseudo-file system, inside the enclave
	EnclaveDevice  = "/dev/sgx_enclave" // the in-kernel SGX driver (Linux 5.11+), on the host
	ProvisionDev   = "/dev/sgx_provision"
)

// Producer is the sgx backend's evidence source, for use inside a Gramine
// enclave. It is safe for concurrent use: the pseudo-files hold one report
// data at a time, so quotes are taken one after the other.
type Producer struct {
	dir string // .../dev/attestation
	mu  sync.Mutex
}

var _ evidence.Producer = (*Producer)(nil)

// New returns a producer using the /dev/attestation below root ("" for the
// real one; tests pass a directory that mimics it). It fails unless that
// directory exists and its attestation_type is "dcap".
func New(root string) (*Producer, error) {
	dir := filepath.Join(rootOf(root), AttestationDir)
	if err := checkAttestation(dir); err != nil {
		return nil, err
	}
	return &Producer{dir: dir}, nil
}

// Backend returns "sgx".
func (p *Producer) Backend() string { return evidence.BackendSGX }

// TEE returns "sgx".
func (p *Producer) TEE() string { return evidence.TEESGX }

// Quote writes reportData to user_report_data, reads the quote Gramine
// makes for it, and checks that the quote carries it. There is no provider
// and there are no certificates (a DCAP quote embeds its PCK certificate
// chain).
func (p *Producer) Quote(reportData [64]byte) ([]byte, string, [][]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := checkAttestation(p.dir); err != nil {
		return nil, "", nil, err
	}
	// No O_CREATE: Gramine's pseudo-file exists, and writing somewhere else
	// would yield a quote that binds nothing.
	name := filepath.Join(p.dir, "user_report_data")
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return nil, "", nil, fmt.Errorf("sgx: write report data: %w", err)
	}
	n, err := f.Write(reportData[:])
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != len(reportData) {
		err = fmt.Errorf("short write (%d of %d bytes)", n, len(reportData))
	}
	if err != nil {
		return nil, "", nil, fmt.Errorf("sgx: write report data to %s: %w", name, err)
	}
	quote, err := os.ReadFile(filepath.Join(p.dir, "quote"))
	if err != nil {
		return nil, "", nil, fmt.Errorf("sgx: read quote: %w", err)
	}
	got, err := quoteReportData(quote)
	if err != nil {
		return nil, "", nil, fmt.Errorf("sgx: %w", err)
	}
	if !bytes.Equal(got, reportData[:]) {
		return nil, "", nil, errors.New("sgx: the quote does not carry the report data just written (another writer of /dev/attestation/user_report_data?)")
	}
	return quote, "", nil, nil
}

// quoteReportData returns the 64 report-data bytes of an SGX DCAP quote
// (versions 3 and 4: a 48-byte header, then the 384-byte enclave report
// whose last 64 bytes are the report data; version 5 puts a 6-byte body
// descriptor between them).
func quoteReportData(quote []byte) ([]byte, error) {
	const header, body, rdOffset = 48, 384, 320
	if len(quote) < 2 {
		return nil, fmt.Errorf("quote of %d bytes is too short", len(quote))
	}
	start := header
	switch v := binary.LittleEndian.Uint16(quote); v {
	case 3, 4:
	case 5:
		start += 6
	default:
		return nil, fmt.Errorf("quote version %d is not an SGX DCAP quote (want 3, 4 or 5)", v)
	}
	if len(quote) < start+body {
		return nil, fmt.Errorf("quote of %d bytes is too short to hold an enclave report", len(quote))
	}
	return quote[start+rdOffset : start+body], nil
}

// checkAttestation checks that dir is Gramine's /dev/attestation with DCAP
// remote attestation configured.
func checkAttestation(dir string) error {
	data, err := os.ReadFile(filepath.Join(dir, "attestation_type"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(dir); serr != nil {
				return fmt.Errorf("%s does not exist: this process is not running inside a Gramine SGX enclave", dir)
			}
			return fmt.Errorf("%s/attestation_type does not exist: not Gramine's attestation interface", dir)
		}
		return fmt.Errorf("sgx: %w", err)
	}
	switch t := strings.TrimSpace(string(data)); t {
	case "dcap":
		return nil
	case "none":
		return fmt.Errorf("%s/attestation_type is \"none\": the enclave's manifest does not enable remote attestation (sgx.remote_attestation = \"dcap\")", dir)
	case "epid":
		return fmt.Errorf("%s/attestation_type is \"epid\": wasmtee needs DCAP quotes (EPID attestation is end-of-life)", dir)
	default:
		return fmt.Errorf("%s/attestation_type is %q, want \"dcap\"", dir, t)
	}
}

// Status is what a node offers for SGX, apart from Gramine's tools (see
// Tools: only what may start enclaves looks them up).
type Status struct {
	// InEnclave: /dev/attestation exists, so this process runs inside a
	// Gramine enclave; AttestationType is its attestation_type.
	InEnclave       bool   `json:"inEnclave"`
	AttestationType string `json:"attestationType,omitempty"`
	// Enclave and Provision: the host's SGX devices (the in-kernel driver,
	// Linux 5.11+). /dev/sgx_provision is needed by the DCAP quoting
	// enclave to get a provisioning key.
	Enclave   bool `json:"enclaveDevice"`
	Provision bool `json:"provisionDevice"`
}

// Probe looks at the SGX interfaces below root ("" for the real system).
func Probe(root string) Status {
	r := rootOf(root)
	var s Status
	dir := filepath.Join(r, AttestationDir)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		s.InEnclave = true
		if b, err := os.ReadFile(filepath.Join(dir, "attestation_type")); err == nil {
			s.AttestationType = strings.TrimSpace(string(b))
		}
	}
	_, err := os.Stat(filepath.Join(r, EnclaveDevice))
	s.Enclave = err == nil
	_, err = os.Stat(filepath.Join(r, ProvisionDev))
	s.Provision = err == nil
	return s
}

// Available reports whether the sgx Producer can work here (inside a
// Gramine enclave with DCAP attestation) and, if not, why. What the host
// offers to start such an enclave is CanLaunch's to say.
func (s Status) Available() (ok bool, why string) {
	if s.InEnclave && s.AttestationType == "dcap" {
		return true, "inside a Gramine SGX enclave with DCAP attestation"
	}
	if s.InEnclave {
		t := s.AttestationType
		if t == "" {
			t = "unknown"
		}
		return false, fmt.Sprintf("inside a Gramine enclave whose attestation type is %q, not \"dcap\"", t)
	}
	return false, AttestationDir + " does not exist: this process is not running inside a Gramine SGX enclave"
}

func rootOf(root string) string {
	if root == "" {
		return "/"
	}
	return root
}
