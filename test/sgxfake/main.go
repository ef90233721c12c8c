// Command sgxfake is a test double for Gramine's SGX tools, for machines
// without SGX and without Gramine (Debian does not package it). Installed
// as (symbolic links named) gramine-manifest, gramine-sgx-sign and
// gramine-sgx, it implements the subset of their documented interface
// that wasmtee relies on:
//
//   - gramine-manifest TEMPLATE OUTPUT renders the two Jinja expressions
//     wasmtee's templates use ({{ gramine.libos }}, {{ gramine.runtimedir() }})
//     and refuses any other template syntax.
//   - gramine-sgx-sign --manifest M --output M.sgx --key KEY [--sigfile S]
//     refuses keys that are not RSA-3072 with exponent 3, expands
//     sgx.trusted_files (hashing those without a sha256, directories
//     included), writes M.sgx and a SIGSTRUCT (the real 1808-byte layout,
//     RSA-signed) whose ENCLAVEHASH is this fake's MRENCLAVE: a SHA-256
//     over M.sgx (Gramine's real MRENCLAVE covers the manifest too, and so
//     the trusted files' hashes).
//   - gramine-sgx NAME, in the directory of NAME.manifest.sgx and NAME.sig:
//     checks the signature and ENCLAVEHASH, REFUSES TO RUN if a trusted
//     file's SHA-256 differs from the manifest (Gramine refuses to open
//     such a file; the fake checks them all up front), builds the
//     enclave's file system from fs.mounts in a private user and mount
//     namespace, with /dev/attestation (attestation_type "dcap" when
//     sgx.remote_attestation is "dcap", user_report_data, and quote, a
//     FIFO that returns a DCAP v3 quote carrying the report data just
//     written, signed with the fake's test PCK chain), and then becomes
//     libos.entrypoint with loader.argv[1:] and the environment of
//     loader.env (values and passthrough only). Only fds 0-2 reach it.
//     Gramine's log (errors) goes to loader.log_file if set.
//
// It is not an enclave: nothing is isolated from the host, the entrypoint
// runs on the node's own glibc (the mount of Gramine's runtime directory
// is skipped), argv[0] is the entrypoint's path rather than
// loader.argv[0], and loader.uid/gid are not emulated (the entrypoint
// runs as an unmapped user in its user namespace).
//
// Its home is the parent of the directory of its binary (HOME/bin/sgxfake):
// `sgxfake init HOME` makes HOME/runtime (a stand-in for Gramine's runtime
// files), HOME/pki (a test root CA, a PCK platform CA and a PCK leaf with
// its key, P-256, like Intel's) and HOME/root/dev/sgx_enclave and
// sgx_provision (a node root for the shim's SGX probe, WASMTEE_SGX_ROOT).
// A file HOME/tamper-next makes the next gramine-sgx-sign change the
// trusted file whose URI ends with the file's content after signing (an
// untrusted host changing it), then it is removed.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// The thread that starts the quote server must be the one that becomes
// the entrypoint (parent-death signals are per thread).
func init() { runtime.LockOSThread() }

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "sgxfake" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	var err error
	switch name {
	case "gramine-manifest":
		err = manifestMain(args)
	case "gramine-sgx-sign":
		err = signMain(args)
	case "gramine-sgx":
		err = runMain(args)
	case stage2Name:
		err = stage2Main()
	case "init":
		if len(args) != 1 {
			err = fmt.Errorf("usage: sgxfake init HOME")
		} else {
			err = initHome(args[0])
		}
	default:
		err = fmt.Errorf("sgxfake: run as gramine-manifest, gramine-sgx-sign or gramine-sgx, or `sgxfake init HOME` (not %q)", name)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s (sgxfake): error: %v\n", name, err)
		os.Exit(1)
	}
}

// home is the fake's home directory: the parent of its binary's directory.
func home() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.Dir(filepath.Dir(exe)), nil
}

// Paths in the home directory.
func libosPath(h string) string      { return filepath.Join(h, "runtime", "libsysdb.so") }
func runtimeDir(h string) string     { return filepath.Join(h, "runtime", "glibc") }
func pkiDir(h string) string         { return filepath.Join(h, "pki") }
func tamperSwitch(h string) string   { return filepath.Join(h, "tamper-next") }
func nodeRoot(h string) string       { return filepath.Join(h, "root") }
func rootCertPath(h string) string   { return filepath.Join(pkiDir(h), "root.pem") }
func chainPath(h string) string      { return filepath.Join(pkiDir(h), "chain.pem") }
func pckKeyPath(h string) string     { return filepath.Join(pkiDir(h), "pck-key.pem") }
func toolLink(h, tool string) string { return filepath.Join(h, "bin", tool) }
