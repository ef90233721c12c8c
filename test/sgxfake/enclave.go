package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/wasmtee/wasmtee/test/sgxdcap"
)

// stage2Name is the hidden subcommand of the namespace holder.
const stage2Name = "sgxfake-enclave-namespace"

// stage2Plan is what gramine-sgx hands the namespace holder (on fd 3).
type stage2Plan struct {
	Root   string     `json:"root"`
	Binds  []bind     `json:"binds"`
	Attest attestPlan `json:"attest"`
}

// bind mounts Src (a host path) at Dst below Root.
type bind struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
	Rec bool   `json:"rec"`
}

type attestPlan struct {
	Type      string `json:"type"`
	MrEnclave string `json:"mrEnclave"`
	MrSigner  string `json:"mrSigner"`
	Flags     uint64 `json:"flags"`
	XFRM      uint64 `json:"xfrm"`
	ProdID    uint16 `json:"prodId"`
	Svn       uint16 `json:"svn"`
	PCKKey    []byte `json:"pckKey,omitempty"` // DER, SEC 1
	Chain     string `json:"chain,omitempty"`  // PEM
}

func marshalECKey(k *ecdsa.PrivateKey) ([]byte, error) { return x509.MarshalECPrivateKey(k) }

// stage2Main runs in the enclave's new user and mount namespace: it
// mounts the plan's binds in the skeleton root, moves into it, says it is
// ready (fd 4) and then serves quotes until its parent (the entrypoint,
// which joins these namespaces) dies.
func stage2Main() error {
	var plan stage2Plan
	pf := os.NewFile(3, "plan")
	err := json.NewDecoder(pf).Decode(&plan)
	pf.Close()
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	ready := os.NewFile(4, "ready")
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	for _, b := range plan.Binds {
		flags := uintptr(unix.MS_BIND)
		if b.Rec {
			flags |= unix.MS_REC
		}
		if err := unix.Mount(b.Src, filepath.Join(plan.Root, b.Dst), "", flags, ""); err != nil {
			return fmt.Errorf("mount %s at %s: %w", b.Src, b.Dst, err)
		}
	}
	if err := unix.Chroot(plan.Root); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	var q *quoter
	if plan.Attest.Type == "dcap" {
		if q, err = newQuoter(plan.Attest); err != nil {
			return err
		}
	}
	ready.Write([]byte{1})
	ready.Close()
	if q == nil {
		for {
			time.Sleep(time.Hour)
		}
	}
	for {
		if err := q.serve(); err != nil {
			fmt.Fprintln(os.Stderr, "sgxfake quote server:", err)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

type quoter struct {
	params sgxdcap.Quote // all but the report data
	pck    *ecdsa.PrivateKey
	chain  []byte
}

func newQuoter(a attestPlan) (*quoter, error) {
	q := &quoter{chain: []byte(a.Chain)}
	for _, f := range []struct {
		hex string
		out *[32]byte
	}{{a.MrEnclave, &q.params.MrEnclave}, {a.MrSigner, &q.params.MrSigner}} {
		b, err := hex.DecodeString(f.hex)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("plan: bad measurement %q", f.hex)
		}
		copy(f.out[:], b)
	}
	q.params.Attributes, q.params.XFRM, q.params.IsvProdID, q.params.IsvSvn = a.Flags, a.XFRM, a.ProdID, a.Svn
	key, err := x509.ParseECPrivateKey(a.PCKKey)
	if err != nil {
		return nil, fmt.Errorf("plan: PCK key: %w", err)
	}
	q.pck = key
	return q, nil
}

// serve answers one quote: it reads the report data written to the
// user_report_data FIFO (until the writer closes it), then writes the
// quote to the quote FIFO when the reader opens it. The writer of the next
// report data waits for the next open of user_report_data, so a reader
// never sees two quotes.
func (q *quoter) serve() error {
	rdf, err := os.OpenFile("/dev/attestation/user_report_data", os.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(rdf, 4096))
	rdf.Close()
	if err != nil {
		return err
	}
	p := q.params
	copy(p.ReportData[:], b)
	quote, err := p.Build(q.pck, q.chain)
	if err != nil {
		return err
	}
	qf, err := os.OpenFile("/dev/attestation/quote", os.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_, err = qf.Write(quote)
	if cerr := qf.Close(); err == nil {
		err = cerr
	}
	return err
}
