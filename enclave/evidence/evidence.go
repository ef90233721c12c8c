// Package evidence defines wasmtee's attestation evidence: what a TEE
// backend produces for a running module, and what `wasmtee verify` checks.
//
// Evidence is JSON (version 1):
//
//	{
//	  "version": 1,
//	  "backend": "process" | "tsm" | "sgx",
//	  "tee": "none" | "tdx" | "sev-snp" | "arm-cca" | "sgx",
//	  "provider": "tdx_guest" ...      configfs-tsm's provider, if any
//	  "launch": {...},                  measure.Launch: what was measured
//	  "measurement": "hex",             measure.Measure(launch)
//	  "nonce": "hex",                   the verifier's challenge
//	  "publicKey": "base64",            optional key held by the module
//	  "reportData": "hex (64 bytes)",   measure.ReportData(...)
//	  "quote": "base64",                raw hardware report/quote; for the
//	                                    process backend, the node key's
//	                                    Ed25519 signature over Signed()
//	  "certificates": ["base64"],       e.g. SNP's VCEK chain (auxblob)
//	  "nodeKey": "base64"               process backend: the node's Ed25519
//	                                    public key
//	}
package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/wasmtee/wasmtee/enclave/measure"
)

// Version is the evidence format this package writes and reads.
const Version = 1

// Backends and TEE kinds.
const (
	BackendProcess = "process"
	BackendTSM     = "tsm"
	BackendSGX     = "sgx"

	TEENone = "none"
	TEETDX  = "tdx"
	TEESNP  = "sev-snp"
	TEECCA  = "arm-cca"
	TEESGX  = "sgx"
)

// Evidence is a backend's statement about one running module.
type Evidence struct {
	Version      int            `json:"version"`
	Backend      string         `json:"backend"`
	TEE          string         `json:"tee"`
	Provider     string         `json:"provider,omitempty"`
	Launch       measure.Launch `json:"launch"`
	Measurement  string         `json:"measurement"`
	Nonce        string         `json:"nonce"`
	PublicKey    []byte         `json:"publicKey,omitempty"`
	ReportData   string         `json:"reportData"`
	Quote        []byte         `json:"quote"`
	Certificates [][]byte       `json:"certificates,omitempty"`
	NodeKey      []byte         `json:"nodeKey,omitempty"`
}

// Request is what a backend needs to produce evidence.
type Request struct {
	Launch    measure.Launch
	Nonce     []byte
	PublicKey []byte
}

// Producer is a TEE backend's evidence source, used where evidence is made
// (the module host).
type Producer interface {
	// Backend and TEE name what the producer is ("process"/"none", ...).
	Backend() string
	TEE() string
	// Quote returns the raw report or quote binding reportData, plus the
	// provider name and certificates when the hardware gives them.
	Quote(reportData [64]byte) (quote []byte, provider string, certs [][]byte, err error)
}

// Make measures the launch, binds the nonce and key, and asks p for the
// quote.
func Make(p Producer, r Request) (*Evidence, error) {
	if len(r.Nonce) == 0 {
		return nil, errors.New("evidence needs a nonce")
	}
	r.Launch.Backend = p.Backend()
	m, err := measure.Measure(r.Launch)
	if err != nil {
		return nil, err
	}
	rd := measure.ReportData(m, r.Nonce, r.PublicKey)
	quote, provider, certs, err := p.Quote(rd)
	if err != nil {
		return nil, fmt.Errorf("%s quote: %w", p.Backend(), err)
	}
	e := &Evidence{
		Version: Version, Backend: p.Backend(), TEE: p.TEE(), Provider: provider,
		Launch: r.Launch, Measurement: m.String(), Nonce: hex.EncodeToString(r.Nonce),
		PublicKey: r.PublicKey, ReportData: hex.EncodeToString(rd[:]), Quote: quote, Certificates: certs,
	}
	if k, ok := p.(interface{ PublicKey() ed25519.PublicKey }); ok {
		e.NodeKey = k.PublicKey()
	}
	return e, nil
}

// Parse decodes evidence JSON, rejecting unknown versions and fields.
func Parse(data []byte) (*Evidence, error) {
	var e Evidence
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("evidence is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("evidence is not valid JSON: data after the object")
	}
	if e.Version != Version {
		return nil, fmt.Errorf("evidence version %d is not supported (want %d)", e.Version, Version)
	}
	return withExactKeys(&e, data)
}

// SignedMessage is what the process backend's node key signs: the report
// data, under a domain string.
func SignedMessage(reportData [64]byte) []byte {
	return append([]byte("wasmtee/process-evidence/v1\x00"), reportData[:]...)
}
