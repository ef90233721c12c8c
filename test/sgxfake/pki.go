package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/wasmtee/wasmtee/test/sgxdcap"
)

// initHome makes the fake's home: runtime stand-ins, the test PKI, a node
// root with the SGX device files, and the tool links in HOME/bin (which
// must hold this binary as HOME/bin/sgxfake).
func initHome(h string) error {
	h, err := filepath.Abs(h)
	if err != nil {
		return err
	}
	for _, d := range []string{runtimeDir(h), pkiDir(h), filepath.Join(nodeRoot(h), "dev"), filepath.Join(h, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	files := map[string]string{
		libosPath(h): "sgxfake: stands in for Gramine's LibOS\n",
		filepath.Join(runtimeDir(h), "libc.so.6"):          "sgxfake: stands in for Gramine's patched glibc\n",
		filepath.Join(runtimeDir(h), "ld-linux.so"):        "sgxfake: stands in for Gramine's loader\n",
		filepath.Join(nodeRoot(h), "dev", "sgx_enclave"):   "",
		filepath.Join(nodeRoot(h), "dev", "sgx_provision"): "",
	}
	for name, content := range files {
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			return err
		}
	}
	for _, tool := range []string{"gramine-manifest", "gramine-sgx-sign", "gramine-sgx"} {
		link := toolLink(h, tool)
		os.Remove(link)
		if err := os.Symlink("sgxfake", link); err != nil {
			return err
		}
	}
	return writePKI(h, time.Now())
}

// writePKI makes a test root CA, a PCK platform CA and a PCK leaf (ECDSA
// P-256, as Intel's), valid from an hour ago for a week: root.pem,
// chain.pem (leaf, intermediate, root: a quote's certification data) and
// pck-key.pem.
func writePKI(h string, now time.Time) error {
	pki, err := sgxdcap.NewPKI(sgxdcap.PKIOptions{
		Name: "sgxfake Test", Organization: "wasmtee sgxfake (TEST ONLY)",
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(7 * 24 * time.Hour),
	})
	if err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(pki.PCKKey)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		rootCertPath(h): pki.RootPEM(),
		chainPath(h):    pki.ChainPEM(),
		pckKeyPath(h):   pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}),
	} {
		mode := os.FileMode(0o644)
		if name == pckKeyPath(h) {
			mode = 0o600
		}
		if err := os.WriteFile(name, data, mode); err != nil {
			return err
		}
	}
	return nil
}

// loadPCK reads the PCK key and the chain PEM.
func loadPCK(h string) (*ecdsa.PrivateKey, []byte, error) {
	kp, err := os.ReadFile(pckKeyPath(h))
	if err != nil {
		return nil, nil, fmt.Errorf("test PKI (run sgxfake init): %w", err)
	}
	blk, _ := pem.Decode(kp)
	if blk == nil {
		return nil, nil, fmt.Errorf("%s is not PEM", pckKeyPath(h))
	}
	key, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		return nil, nil, err
	}
	chain, err := os.ReadFile(chainPath(h))
	if err != nil {
		return nil, nil, err
	}
	return key, chain, nil
}
