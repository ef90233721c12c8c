// Package tsm is wasmtee's "tsm" evidence backend: confidential VMs (Intel
// TDX, AMD SEV-SNP, Arm CCA) whose Linux kernel (6.7+) offers attestation
// reports through configfs-tsm, /sys/kernel/config/tsm/report.
//
// The whole VM is the TEE. A report binds 64 bytes of the caller's choosing
// (inblob) into a hardware-signed quote (outblob); wasmtee puts its report
// data there. On SEV-SNP, the kernel may also return the certificates that
// chain the report's signing key (VCEK/VLEK) to AMD (auxblob).
//
// The backend uses github.com/google/go-configfs-tsm: its report package
// drives a report entry (mkdir, write inblob, read outblob/auxblob/provider,
// rmdir) and checks the entry's generation counter, which tells whether
// another writer changed the entry between our write and our read; when it
// did, the library returns a *report.GenerationErr and the caller may try
// again, which Quote does a few times.
//
// What this backend does not do: it does not verify anything (that is the
// verifier's work, with go-tdx-guest or go-sev-guest), it does not choose
// an SEV-SNP privilege level (the kernel's default is used), and it does
// not extend runtime measurement registers. It has only ever run against
// go-configfs-tsm's fake configfs, not on TEE hardware.
package tsm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-configfs-tsm/configfs/configfsi"
	"github.com/google/go-configfs-tsm/configfs/linuxtsm"
	"github.com/google/go-configfs-tsm/report"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// DefaultRoot is where configfs-tsm lives.
const DefaultRoot = configfsi.TsmPrefix

// Providers maps configfs-tsm provider names to evidence TEE kinds.
var Providers = map[string]string{
	"tdx_guest":     evidence.TEETDX,
	"sev_guest":     evidence.TEESNP,
	"arm_cca_guest": evidence.TEECCA,
}

// TEEOf returns the TEE kind of a configfs-tsm provider, or an error naming
// a provider wasmtee does not know.
func TEEOf(provider string) (string, error) {
	if tee, ok := Providers[provider]; ok {
		return tee, nil
	}
	return "", fmt.Errorf("configfs-tsm provider %q is not one wasmtee knows (tdx_guest, sev_guest, arm_cca_guest)", provider)
}

// maxAttempts bounds the tries of one quote when the report entry's
// generation changes under us or the host says it is busy.
const maxAttempts = 5

// retryDelay is the pause before retrying after EBUSY (host rate limiting).
var retryDelay = 50 * time.Millisecond

// Producer is the tsm backend's evidence source.
type Producer struct {
	client   configfsi.Client
	provider string
	tee      string
}

var _ evidence.Producer = (*Producer)(nil)

// New returns a producer for the configfs-tsm at root (DefaultRoot if
// empty): go-configfs-tsm's linuxtsm client for DefaultRoot, otherwise a
// client that reads and writes the same files under root. It fails, saying
// why, when there is no configfs-tsm, no provider, or a provider wasmtee
// does not know.
func New(root string) (*Producer, error) {
	c, err := NewClient(root)
	if err != nil {
		return nil, err
	}
	return NewWithClient(c)
}

// NewWithClient returns a producer that talks to configfs-tsm through
// client (tests pass go-configfs-tsm's faketsm). It finds the provider by
// opening a report entry, and fails for a provider it does not know.
func NewWithClient(client configfsi.Client) (*Producer, error) {
	provider, err := Provider(client)
	if err != nil {
		return nil, err
	}
	tee, err := TEEOf(provider)
	if err != nil {
		return nil, err
	}
	return &Producer{client: client, provider: provider, tee: tee}, nil
}

// NewClient returns a configfsi.Client for the configfs-tsm at root
// (DefaultRoot if empty). It fails, with an explanation, if root has no
// report subsystem.
func NewClient(root string) (configfsi.Client, error) {
	if root == "" {
		root = DefaultRoot
	}
	if _, err := os.Stat(filepath.Join(root, "report")); err != nil {
		return nil, errors.New(absentReason(root, err))
	}
	if filepath.Clean(root) == DefaultRoot {
		return linuxtsm.MakeClient()
	}
	return &rootedClient{root: filepath.Clean(root)}, nil
}

// AvailableAt reports whether the configfs-tsm at root (DefaultRoot if
// empty) offers reports, with the provider's name, or why not.
func AvailableAt(root string) (provider string, ok bool, why string) {
	c, err := NewClient(root)
	if err != nil {
		return "", false, err.Error()
	}
	return AvailableClient(c)
}

// AvailableClient is AvailableAt through client. ok is false for a provider
// wasmtee does not know; why names it, and provider is still set.
func AvailableClient(c configfsi.Client) (provider string, ok bool, why string) {
	provider, err := Provider(c)
	if err != nil {
		return "", false, err.Error()
	}
	if _, err := TEEOf(provider); err != nil {
		return provider, false, err.Error()
	}
	return provider, true, "configfs-tsm provider " + provider
}

// Provider opens a report entry and reads its provider (e.g. "tdx_guest").
func Provider(c configfsi.Client) (string, error) {
	r, err := report.CreateOpenReport(c)
	if err != nil {
		return "", fmt.Errorf("configfs-tsm: %w%s", err, errnoHint(err))
	}
	defer r.Destroy()
	// An entry's provider is readable at once on Linux; the library's fake
	// answers only after an input was written, so write a blank inblob
	// first. Writing inblob alone asks the TEE for nothing.
	var blank [64]byte
	if err := r.WriteOption("inblob", blank[:]); err != nil {
		return "", fmt.Errorf("configfs-tsm: %w%s", err, errnoHint(err))
	}
	data, err := r.ReadOption("provider")
	if err != nil {
		return "", fmt.Errorf("configfs-tsm: %w%s", err, errnoHint(err))
	}
	provider := strings.TrimSpace(string(data))
	if provider == "" {
		return "", errors.New("configfs-tsm: the report entry names no provider")
	}
	return provider, nil
}

// Backend returns "tsm".
func (p *Producer) Backend() string { return evidence.BackendTSM }

// TEE returns the TEE kind of the provider: "tdx", "sev-snp" or "arm-cca".
func (p *Producer) TEE() string { return p.tee }

// Provider returns the configfs-tsm provider, e.g. "tdx_guest".
func (p *Producer) Provider() string { return p.provider }

// Quote returns the outblob of a report whose inblob is reportData, the
// provider, and, on SEV-SNP when the kernel gives one, the auxblob as the
// only certificate entry. The auxblob is passed on as the kernel returns
// it: for SEV-SNP, the GHCB certificate table (GUID, offset, length
// entries, then the DER certificates), which go-sev-guest's abi package
// parses.
func (p *Producer) Quote(reportData [64]byte) ([]byte, string, [][]byte, error) {
	req := &report.Request{
		InBlob: reportData[:],
		// Only SEV-SNP has certificates to give; on other providers newer
		// kernels hide the auxblob attribute and reading it fails.
		GetAuxBlob: p.tee == evidence.TEESNP,
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		var resp *report.Response
		resp, err = report.Get(p.client, req)
		if err == nil {
			return p.response(resp)
		}
		var gen *report.GenerationErr
		switch {
		case errors.As(err, &gen):
			// Another writer touched the entry: our outblob may not bind
			// our inblob. Start over with a fresh entry.
		case hasErrno(err, syscall.EBUSY) || hasErrno(err, syscall.EAGAIN):
			// The host rate-limits reports.
			if attempt < maxAttempts {
				time.Sleep(retryDelay * time.Duration(attempt))
			}
		default:
			return nil, "", nil, fmt.Errorf("configfs-tsm report: %w%s", err, errnoHint(err))
		}
	}
	return nil, "", nil, fmt.Errorf("configfs-tsm report: gave up after %d attempts: %w", maxAttempts, err)
}

func (p *Producer) response(resp *report.Response) ([]byte, string, [][]byte, error) {
	provider := strings.TrimSpace(resp.Provider)
	if provider != p.provider {
		return nil, "", nil, fmt.Errorf("configfs-tsm report came from provider %q, not %q", provider, p.provider)
	}
	if len(resp.OutBlob) == 0 {
		return nil, "", nil, errors.New("configfs-tsm report: empty outblob")
	}
	var certs [][]byte
	if len(resp.AuxBlob) > 0 {
		certs = [][]byte{resp.AuxBlob}
	}
	return resp.OutBlob, provider, certs, nil
}

// absentReason explains a missing report subsystem.
func absentReason(root string, err error) string {
	dir := filepath.Join(root, "report")
	if errors.Is(err, fs.ErrNotExist) {
		return dir + " does not exist: this is not a confidential VM with configfs-tsm (kernel 6.7+), or configfs is not mounted"
	}
	return fmt.Sprintf("%s: %v", dir, err)
}

// hasErrno reports whether err is, or says, errno. The report package
// formats most errors with %v, which drops the chain, so the text is
// checked too.
func hasErrno(err error, errno syscall.Errno) bool {
	return errors.Is(err, errno) || strings.Contains(err.Error(), errno.Error())
}

// errnoHint adds an explanation to the errors configfs-tsm is known for.
func errnoHint(err error) string {
	switch {
	case hasErrno(err, syscall.EACCES) || hasErrno(err, syscall.EPERM):
		return " (configfs-tsm reports need root)"
	case hasErrno(err, syscall.ENXIO) || hasErrno(err, syscall.ENOTTY):
		return " (no TEE guest driver is registered with configfs-tsm)"
	}
	return ""
}

// rootedClient is a configfsi.Client over the OS file system for a
// configfs-tsm mounted somewhere else than DefaultRoot: the library speaks
// in DefaultRoot paths, which it maps below root.
type rootedClient struct{ root string }

func (c *rootedClient) host(name string) (string, error) {
	p := path.Clean(name)
	if p != DefaultRoot && !strings.HasPrefix(p, DefaultRoot+"/") {
		return "", fmt.Errorf("%q is not below %s", name, DefaultRoot)
	}
	return filepath.Join(c.root, strings.TrimPrefix(p, DefaultRoot)), nil
}

func (c *rootedClient) MkdirTemp(dir, pattern string) (string, error) {
	h, err := c.host(dir)
	if err != nil {
		return "", err
	}
	made, err := os.MkdirTemp(h, pattern)
	if err != nil {
		return "", err
	}
	return path.Join(dir, filepath.Base(made)), nil
}

func (c *rootedClient) ReadFile(name string) ([]byte, error) {
	h, err := c.host(name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(h)
}

func (c *rootedClient) ReadDir(dirname string) ([]os.DirEntry, error) {
	h, err := c.host(dirname)
	if err != nil {
		return nil, err
	}
	return os.ReadDir(h)
}

func (c *rootedClient) WriteFile(name string, contents []byte) error {
	h, err := c.host(name)
	if err != nil {
		return err
	}
	return os.WriteFile(h, contents, 0o600)
}

// RemoveAll removes a report entry: on configfs rmdir removes an entry with
// its attributes, which os.RemoveAll tries first.
func (c *rootedClient) RemoveAll(name string) error {
	h, err := c.host(name)
	if err != nil {
		return err
	}
	return os.RemoveAll(h)
}
