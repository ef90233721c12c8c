#!/usr/bin/env python3
"""Reference implementation of wasmtee's launch measurement, version 1
(docs/attestation.md), independent of the Go code: it prints the golden
vectors that enclave/measure's tests check, and shows third parties how to
recompute a measurement from an image and a pod spec."""
import hashlib
import struct


def field(tag, value):
    return bytes([tag]) + struct.pack(">I", len(value)) + value


def measure(module_sha256_hex, entry, args, env, preopens, memory_limit, backend):
    data = b"wasmtee/measurement/v1\x00"
    data += field(1, bytes.fromhex(module_sha256_hex))
    data += field(2, entry.encode())
    for a in args:
        data += field(3, a.encode())
    for e in env:
        data += field(4, e.encode())
    for guest, read_only in preopens:
        data += field(5, guest.encode() + b"\x00" + (b"ro" if read_only else b"rw"))
    data += field(6, struct.pack(">Q", memory_limit))
    data += field(7, backend.encode())
    return hashlib.sha256(data).digest()


def report_data(measurement, nonce, public_key=b""):
    data = b"wasmtee/report-data/v1\x00" + measurement
    data += struct.pack(">I", len(nonce)) + nonce
    data += struct.pack(">I", len(public_key)) + public_key
    return hashlib.sha512(data).digest()


if __name__ == "__main__":
    m = measure("ab" * 32, "_start", ["/app.wasm", "serve"], ["PATH=/bin", "MODE=prod"],
                [("/", True), ("/data", False)], 64 << 20, "process")
    print("measurement", m.hex())
    print("report data", report_data(m, bytes.fromhex("00112233445566778899aabbccddeeff"), b"pubkey").hex())
