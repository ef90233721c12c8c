// Package measure computes wasmtee's launch measurement: one digest over a
// module and the launch configuration that decides what it can do, and the
// 64 bytes of report data that bind it, with a verifier's nonce and an
// optional public key, into TEE evidence.
//
// Encoding, version 1 (docs/attestation.md has the same text):
//
//	measurement = SHA-256( "wasmtee/measurement/v1" 0x00 || field... )
//	field       = tag (1 byte) || length (4 bytes, big-endian) || value
//
// Fields, in this order (repeated ones in the order of the spec):
//
//	0x01 module       the module's SHA-256 (32 bytes)
//	0x02 entry        the exported function called (UTF-8, e.g. "_start")
//	0x03 arg          one per WASI argv element, argv[0] included
//	0x04 env          one per WASI environment entry, "KEY=VALUE"
//	0x05 preopen      one per preopened directory: guest path, 0x00, then
//	                  "ro" or "rw" (host paths differ between nodes and are
//	                  not measured)
//	0x06 memory limit the linear-memory bound in bytes, 8 bytes big-endian
//	                  (0: none)
//	0x07 backend      the TEE backend name: "process", "tsm" or "sgx"
//
// and the report data:
//
//	report data = SHA-512( "wasmtee/report-data/v1" 0x00 || measurement (32)
//	              || length (4, BE) || nonce || length (4, BE) || public key )
package measure

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Version is the measurement encoding this package implements.
const Version = 1

const (
	measurementDomain = "wasmtee/measurement/v1\x00"
	reportDataDomain  = "wasmtee/report-data/v1\x00"
)

const (
	tagModule byte = iota + 1
	tagEntry
	tagArg
	tagEnv
	tagPreopen
	tagMemoryLimit
	tagBackend
)

// Launch is everything the measurement covers. Its JSON form travels in
// evidence so that a verifier can recompute the measurement.
type Launch struct {
	// Module is the hex SHA-256 of the module's bytes.
	Module      string    `json:"module"`
	Entry       string    `json:"entry"`
	Args        []string  `json:"args"`
	Env         []string  `json:"env"`
	Preopens    []Preopen `json:"preopens"`
	MemoryLimit uint64    `json:"memoryLimit"`
	Backend     string    `json:"backend"`
}

// Preopen is a measured preopened directory.
type Preopen struct {
	Guest    string `json:"guest"`
	ReadOnly bool   `json:"readOnly"`
}

// Measurement is a launch measurement.
type Measurement [32]byte

func (m Measurement) String() string { return hex.EncodeToString(m[:]) }

// Measure computes the version 1 measurement of l.
func Measure(l Launch) (Measurement, error) {
	module, err := hex.DecodeString(l.Module)
	if err != nil || len(module) != sha256.Size {
		return Measurement{}, fmt.Errorf("launch module digest %q is not a hex SHA-256", l.Module)
	}
	h := sha256.New()
	h.Write([]byte(measurementDomain))
	field := func(tag byte, v []byte) {
		var hdr [5]byte
		hdr[0] = tag
		binary.BigEndian.PutUint32(hdr[1:], uint32(len(v)))
		h.Write(hdr[:])
		h.Write(v)
	}
	field(tagModule, module)
	field(tagEntry, []byte(l.Entry))
	for _, a := range l.Args {
		field(tagArg, []byte(a))
	}
	for _, e := range l.Env {
		field(tagEnv, []byte(e))
	}
	for _, p := range l.Preopens {
		mode := "rw"
		if p.ReadOnly {
			mode = "ro"
		}
		field(tagPreopen, []byte(p.Guest+"\x00"+mode))
	}
	var limit [8]byte
	binary.BigEndian.PutUint64(limit[:], l.MemoryLimit)
	field(tagMemoryLimit, limit[:])
	field(tagBackend, []byte(l.Backend))
	var m Measurement
	copy(m[:], h.Sum(nil))
	return m, nil
}

// ReportData binds a measurement, a verifier's nonce and an optional public
// key (of a key pair held inside the TEE) into the 64 bytes that TEE
// reports carry.
func ReportData(m Measurement, nonce, publicKey []byte) [64]byte {
	h := sha512.New()
	h.Write([]byte(reportDataDomain))
	h.Write(m[:])
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(nonce)))
	h.Write(n[:])
	h.Write(nonce)
	binary.BigEndian.PutUint32(n[:], uint32(len(publicKey)))
	h.Write(n[:])
	h.Write(publicKey)
	var rd [64]byte
	copy(rd[:], h.Sum(nil))
	return rd
}
