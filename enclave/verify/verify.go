// Package verify checks wasmtee attestation evidence (package evidence)
// against a verifier's Policy: that the evidence binds the launch
// configuration it shows, the verifier's nonce and the module's key, that
// the backend, TEE and measurement are allowed, and that the hardware
// quote is genuine, bound to that report data, and from an allowed TEE
// identity.
//
// The checks, in order (each failure has its own Reason):
//
//  1. measurement: measure.Measure(launch) equals the evidence's
//     measurement, with launch.backend equal to the evidence's backend;
//  2. nonce: the evidence's nonce is the expected one (Options.Nonce, else
//     the policy's); without an expected nonce verification fails;
//  3. report data: measure.ReportData(measurement, nonce, publicKey)
//     equals the evidence's report data;
//  4. backend and TEE: both allowed by the policy, and a pair that exists
//     (process/none, tsm/tdx|sev-snp|arm-cca, sgx/sgx);
//  5. the measurement is one the policy allows;
//  6. the hardware evidence, per backend (see Evidence).
package verify

import (
	"bytes"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"slices"
	"time"

	snptrust "github.com/google/go-sev-guest/verify/trust"
	tdxtrust "github.com/google/go-tdx-guest/verify/trust"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/enclave/measure"
)

// Options are the verifier's inputs besides the policy.
type Options struct {
	// Nonce is the challenge the evidence must answer. If empty, the
	// policy's nonce is used; if both are empty, verification fails.
	Nonce []byte
	// Now is the time at which certificates and collateral must be valid;
	// zero means time.Now(). Tests set it to verify old sample evidence.
	Now time.Time

	// TDXCollateralGetter fetches Intel PCS collateral when the policy
	// sets tdx.getCollateral; nil means HTTPS to Intel.
	TDXCollateralGetter tdxtrust.HTTPSGetter
	// TDXRoots, if set, replaces the trusted root for TDX PCK chains
	// (policy tdx.rootCert, else Intel's SGX root CA).
	TDXRoots *x509.CertPool
	// SNPGetter, if set, lets SEV-SNP verification fetch certificates
	// missing from the evidence through it (a fake AMD KDS in tests).
	// Otherwise they are fetched from AMD only with snp.fetchCertificates.
	SNPGetter snptrust.HTTPSGetter
	// SNPRoots, if set, replaces the trusted AMD roots (policy
	// snp.rootCerts, else AMD's roots built into go-sev-guest), by
	// product line ("Milan", "Genoa", ...).
	SNPRoots map[string][]*snptrust.AMDRootCerts
	// SGXRoots, if set, replaces the trusted root for SGX PCK chains
	// (policy sgx.rootCert, else Intel's SGX root CA).
	SGXRoots *x509.CertPool
}

// Result says what was verified. Evidence returns it also on failure,
// with the checks that passed before the failing one.
type Result struct {
	Backend     string `json:"backend"`
	TEE         string `json:"tee"`
	Measurement string `json:"measurement"`
	// Checks are the checks that passed, in order (e.g. "nonce",
	// "tdx-quote-signature").
	Checks []string `json:"checks"`
	// Warnings are what the verification did not establish although it
	// passed (e.g. a TCB status that was not checked offline).
	Warnings []string `json:"warnings"`
	// HardwareSignatureChecked is true when a TEE vendor's signature
	// chain over the quote was verified; it is false for the process
	// backend, which has no hardware root of trust.
	HardwareSignatureChecked bool `json:"hardwareSignatureChecked"`
}

func (r *Result) pass(check string) { r.Checks = append(r.Checks, check) }
func (r *Result) warn(w string)     { r.Warnings = append(r.Warnings, w) }

func (o *Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func equalCT(a, b []byte) bool { return len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1 }
func hexOf(b []byte) string    { return hex.EncodeToString(b) }

func backendTEEs(backend string) []string {
	switch backend {
	case evidence.BackendProcess:
		return []string{evidence.TEENone}
	case evidence.BackendTSM:
		return []string{evidence.TEETDX, evidence.TEESNP, evidence.TEECCA}
	case evidence.BackendSGX:
		return []string{evidence.TEESGX}
	}
	return nil
}

// Evidence verifies ev against pol. It returns a nil error only when every
// check passed; a failure is an *Error whose Reason names the check.
//
// The hardware checks per backend:
//
//   - process (tee "none"): ev.Quote is an Ed25519 signature by ev.NodeKey
//     over evidence.SignedMessage(reportData); with policy nodeKeys, the
//     key is one of them. No hardware is involved: this proves who made
//     the evidence, not that the module is protected from the node.
//   - tsm, tdx: the quote (v4) parses; go-tdx-guest verifies the PCK
//     chain to the trusted root, the QE report's signature by the PCK
//     key, that the QE report binds the attestation key, and the quote's
//     signature by it (plus TCB info and QE identity with
//     tdx.getCollateral); the quote's REPORTDATA equals ev.ReportData;
//     then tdx policy: MRTD, RTMRs, minimum TEE_TCB_SVN, no DEBUG.
//   - tsm, sev-snp: the report parses; go-sev-guest verifies the VCEK (or
//     VLEK) chain to the trusted AMD root and the report's signature; the
//     report's REPORT_DATA equals ev.ReportData; then snp policy.
//   - tsm, arm-cca: unsupported-tee.
//   - sgx: the DCAP quote v3 parses (ECDSA P-256, SGX, PCK certificate
//     chain as certification data); the PCK chain verifies to Intel's SGX
//     root CA (or sgx.rootCert), the QE report's signature by the PCK
//     key, that the QE report binds the attestation key, and the quote's
//     signature by it over header and enclave report; the enclave's
//     REPORTDATA (64 bytes) equals ev.ReportData; then sgx policy:
//     MRENCLAVE, MRSIGNER, ISVPRODID, minimum ISVSVN, no DEBUG.
//
// Not checked, and said so in Result.Warnings: the TDX and SGX TCB
// status and QE identity unless tdx.getCollateral (SGX: never), and
// certificate revocation unless the policy asks for it (SGX: never).
func Evidence(ev *evidence.Evidence, pol *Policy, opts Options) (*Result, error) {
	res := &Result{}
	if ev == nil {
		return res, fail(ReasonEvidenceInvalid, nil, "no evidence")
	}
	res.Backend, res.TEE = ev.Backend, ev.TEE
	pc, err := pol.compile()
	if err != nil {
		return res, err
	}
	if ev.Version != evidence.Version {
		return res, fail(ReasonEvidenceInvalid, nil, "evidence version %d is not supported (want %d)", ev.Version, evidence.Version)
	}

	// 1. The measurement covers the launch, backend included.
	if ev.Launch.Backend != ev.Backend {
		return res, fail(ReasonMeasurementMismatch, nil, "the launch was measured for backend %q but the evidence is from backend %q", ev.Launch.Backend, ev.Backend)
	}
	m, err := measure.Measure(ev.Launch)
	if err != nil {
		return res, fail(ReasonEvidenceInvalid, err, "launch: %v", err)
	}
	claimed, err := hex.DecodeString(ev.Measurement)
	if err != nil {
		return res, fail(ReasonEvidenceInvalid, err, "measurement %q is not hex", ev.Measurement)
	}
	if !bytes.Equal(claimed, m[:]) {
		return res, fail(ReasonMeasurementMismatch, nil, "evidence says measurement %s but its launch configuration measures %s", ev.Measurement, m)
	}
	res.Measurement = m.String()
	res.pass("measurement")

	// 2. The nonce: replay protection is not optional.
	want := opts.Nonce
	if len(want) == 0 {
		want = pc.nonce
	}
	if len(want) == 0 {
		return res, fail(ReasonNonceRequired, nil, "no expected nonce: pass one, or set the policy's nonce")
	}
	nonce, err := hex.DecodeString(ev.Nonce)
	if err != nil {
		return res, fail(ReasonEvidenceInvalid, err, "nonce %q is not hex", ev.Nonce)
	}
	if !equalCT(nonce, want) {
		return res, fail(ReasonNonceMismatch, nil, "evidence answers nonce %s, expected %s", ev.Nonce, hexOf(want))
	}
	res.pass("nonce")

	// 3. The report data binds measurement, nonce and public key.
	rd := measure.ReportData(m, nonce, ev.PublicKey)
	evRD, err := hex.DecodeString(ev.ReportData)
	if err != nil || len(evRD) != len(rd) {
		return res, fail(ReasonEvidenceInvalid, err, "reportData is not %d hex bytes", len(rd))
	}
	if !bytes.Equal(evRD, rd[:]) {
		return res, fail(ReasonReportDataMismatch, nil, "evidence report data %s is not ReportData(measurement, nonce, public key) = %s", ev.ReportData, hexOf(rd[:]))
	}
	res.pass("report-data")

	// 4. Backend and TEE.
	if !contains(pc.backends, ev.Backend) {
		return res, fail(ReasonBackendNotAllowed, nil, "backend %q is not allowed by the policy (allowed: %v)", ev.Backend, pc.backends)
	}
	if !contains(pc.tees, ev.TEE) {
		msg := "TEE %q is not allowed by the policy (allowed: %v)"
		if ev.TEE == evidence.TEENone {
			msg += `; "none" (no hardware TEE) must be listed explicitly`
		}
		return res, fail(ReasonTEENotAllowed, nil, msg, ev.TEE, pc.tees)
	}
	if !contains(backendTEEs(ev.Backend), ev.TEE) {
		return res, fail(ReasonEvidenceInvalid, nil, "backend %q does not run in TEE %q", ev.Backend, ev.TEE)
	}
	res.pass("backend")
	res.pass("tee")

	// 5. The measurement is allowed.
	if len(pc.measurements) > 0 {
		if !containsBytes(pc.measurements, m[:]) {
			return res, fail(ReasonMeasurementNotAllowed, nil, "measurement %s is not one the policy allows", m)
		}
		res.pass("measurement-allowed")
	} else {
		res.warn("the policy allows any measurement: the evidence shows which module and launch configuration run, but any is accepted")
	}

	// 6. The hardware evidence.
	switch {
	case ev.Backend == evidence.BackendProcess:
		err = verifyProcess(ev, rd, pc, res)
	case ev.Backend == evidence.BackendTSM && ev.TEE == evidence.TEETDX:
		err = parseSafely("TDX quote", func() error { return verifyTDX(ev, rd, pc, &opts, res) })
	case ev.Backend == evidence.BackendTSM && ev.TEE == evidence.TEESNP:
		err = parseSafely("SEV-SNP report", func() error { return verifySNP(ev, rd, pc, &opts, res) })
	case ev.Backend == evidence.BackendTSM && ev.TEE == evidence.TEECCA:
		err = fail(ReasonUnsupportedTEE, nil, "Arm CCA evidence cannot be verified yet: this wasmtee has no CCA token verifier")
	case ev.Backend == evidence.BackendSGX:
		err = verifySGX(ev, rd, pc, &opts, res)
	default:
		err = fail(ReasonEvidenceInvalid, nil, "backend %q with TEE %q is not supported", ev.Backend, ev.TEE)
	}
	if err != nil {
		return res, err
	}
	return res, nil
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// checkProvider rejects a configfs-tsm provider that is not the TEE's.
func checkProvider(ev *evidence.Evidence, want string) error {
	if ev.Provider != "" && ev.Provider != want {
		return fail(ReasonEvidenceInvalid, nil, "provider %q does not make %s reports (want %q)", ev.Provider, ev.TEE, want)
	}
	return nil
}

// parseSafely runs a verification that parses hardware evidence with a
// vendor library (go-tdx-guest, go-sev-guest), whose parsers can panic on
// malformed input (go-tdx-guest v0.3.1's QuoteToProto indexes past a short
// QE authentication data field): a panic is the evidence's fault, and is
// reported as invalid evidence instead of crashing the verifier.
func parseSafely(what string, verify func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fail(ReasonQuoteInvalid, nil, "%s does not parse: %v", what, p)
		}
	}()
	return verify()
}
