package cli

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/verify"
)

func init() {
	register("", &command{
		name:    "verify",
		summary: "verify attestation evidence against a policy",
		usage: `Usage: wasmtee verify --policy POLICY.json [--nonce HEX] [--json] EVIDENCE.json

Verify wasmtee attestation evidence (a file, or - for standard input)
against a verifier's policy: that the measurement is the one of the
launch configuration shown, that the evidence answers the nonce and binds
the module's key, that the backend, TEE and measurement are allowed, and
that the TDX, SEV-SNP or SGX quote is genuine, bound to that report data
and from an allowed TEE identity. Process-backend evidence (tee "none",
signed by a node key) is accepted only if the policy lists "none".

The policy format is documented in the enclave/verify package (Policy).
Certificates are checked offline unless the policy asks for collateral.

Options:
  --policy FILE  the verifier's policy (JSON; required)
  --nonce HEX    the nonce the evidence must answer (default: the
                 policy's "nonce"; one of them is required)
  --json         print {"verified", "reason", "message", "checks",
                 "warnings", ...} on standard output

Exit status: 0 verified; 1 verification failed (the reason, e.g.
nonce-mismatch, is printed as "verification failed: REASON: MESSAGE");
2 usage errors and unreadable or malformed input.
`,
		run: runVerify,
	})
}

// verifyStdin is where "-" reads evidence from; tests replace it.
var verifyStdin io.Reader = os.Stdin

// verifyOutput is the --json output.
type verifyOutput struct {
	Verified                 bool     `json:"verified"`
	Reason                   string   `json:"reason"`
	Message                  string   `json:"message"`
	Checks                   []string `json:"checks"`
	Warnings                 []string `json:"warnings"`
	Backend                  string   `json:"backend,omitempty"`
	TEE                      string   `json:"tee,omitempty"`
	Measurement              string   `json:"measurement,omitempty"`
	HardwareSignatureChecked bool     `json:"hardwareSignatureChecked"`
}

func runVerify(e *env, c *command, args []string) error {
	var (
		policyPath, nonceHex string
		asJSON               bool
	)
	fs := newFlagSet(c)
	fs.StringVar(&policyPath, "policy", "", "")
	fs.StringVar(&nonceHex, "nonce", "", "")
	fs.BoolVar(&asJSON, "json", false, "")
	pos, err := parseArgs(c, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageErrorf(c, "verify: missing EVIDENCE.json (or - for standard input)")
	case len(pos) > 1:
		return usageErrorf(c, "verify: want one EVIDENCE.json, got %d arguments: %q", len(pos), pos)
	case policyPath == "":
		return usageErrorf(c, "verify: missing --policy FILE")
	}
	nonce, err := hex.DecodeString(nonceHex)
	if err != nil {
		return usageErrorf(c, "verify: --nonce %q is not hex", nonceHex)
	}

	pol, err := verify.LoadPolicy(policyPath)
	if err != nil {
		return usageErrorf(c, "verify: policy: %v", err)
	}
	if len(nonce) == 0 && pol.Nonce == "" {
		return usageErrorf(c, "verify: no nonce: pass --nonce HEX or set the policy's \"nonce\" (replay protection is not optional)")
	}
	var data []byte
	if pos[0] == "-" {
		data, err = io.ReadAll(verifyStdin)
	} else {
		data, err = os.ReadFile(pos[0])
	}
	if err != nil {
		return usageErrorf(c, "verify: evidence: %v", err)
	}
	ev, err := evidence.Parse(data)
	if err != nil {
		return usageErrorf(c, "verify: evidence %s: %v", pos[0], err)
	}

	res, verr := verify.Evidence(ev, pol, verify.Options{Nonce: nonce})
	var ve *verify.Error
	if verr != nil && (!errors.As(verr, &ve) || ve.Reason == verify.ReasonPolicyInvalid) {
		// The policy's certificate files are input too.
		return usageErrorf(c, "verify: %v", verr)
	}
	out := verifyOutput{
		Verified:                 verr == nil,
		Checks:                   append([]string{}, res.Checks...),
		Warnings:                 append([]string{}, res.Warnings...),
		Backend:                  res.Backend,
		TEE:                      res.TEE,
		Measurement:              res.Measurement,
		HardwareSignatureChecked: res.HardwareSignatureChecked,
	}
	if verr != nil {
		out.Reason, out.Message = string(ve.Reason), ve.Message
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else if verr == nil {
		printVerified(e.stdout, out)
	}
	if verr != nil {
		return fmt.Errorf("verification failed: %s: %s", out.Reason, out.Message)
	}
	return nil
}

func printVerified(w io.Writer, out verifyOutput) {
	hw := "no hardware signature"
	if out.HardwareSignatureChecked {
		hw = "hardware signature checked"
	}
	fmt.Fprintf(w, "verified: backend %s, TEE %s, measurement %s (%s)\n", out.Backend, out.TEE, out.Measurement, hw)
	fmt.Fprintf(w, "checks: %s\n", strings.Join(out.Checks, ", "))
	for _, warning := range out.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warning)
	}
}
