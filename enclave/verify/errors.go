package verify

import (
	"errors"
	"fmt"
)

// Reason names why verification failed. It is stable: scripts may match
// on it (`wasmtee verify --json` prints it as "reason").
type Reason string

// Failure reasons, in the order the checks run.
const (
	// The evidence or the policy cannot be used as they are: a field is
	// malformed, the backend and TEE do not go together, the policy is
	// inconsistent.
	ReasonEvidenceInvalid Reason = "evidence-invalid"
	ReasonPolicyInvalid   Reason = "policy-invalid"
	// The measurement in the evidence is not the one its launch
	// configuration (with the evidence's backend) hashes to.
	ReasonMeasurementMismatch Reason = "measurement-mismatch"
	// No expected nonce was given (Options.Nonce or the policy's nonce).
	ReasonNonceRequired Reason = "nonce-required"
	// The evidence answers another challenge.
	ReasonNonceMismatch Reason = "nonce-mismatch"
	// The evidence's report data is not ReportData(measurement, nonce,
	// public key).
	ReasonReportDataMismatch Reason = "report-data-mismatch"
	ReasonBackendNotAllowed  Reason = "backend-not-allowed"
	ReasonTEENotAllowed      Reason = "tee-not-allowed"
	// The (correctly recomputed) measurement is not one the policy allows.
	ReasonMeasurementNotAllowed Reason = "measurement-not-allowed"
	// Process backend: the node key's signature does not verify.
	ReasonSignatureInvalid Reason = "signature-invalid"
	// Process backend: the node key is not one of the policy's nodeKeys.
	ReasonNodeKeyNotAllowed Reason = "node-key-not-allowed"
	// The hardware quote or report does not parse, or its signature or
	// certificate chain does not verify.
	ReasonQuoteInvalid Reason = "quote-invalid"
	// The hardware quote is genuine but binds other report data than the
	// evidence's: it was not made for this measurement, nonce and key.
	ReasonQuoteReportDataMismatch Reason = "quote-report-data-mismatch"
	// The hardware quote is genuine and bound to the evidence, but the
	// TEE's own identity or state (MRTD, SNP measurement, MRENCLAVE,
	// MRSIGNER, TCB levels, debug mode...) is not allowed by the policy.
	ReasonQuotePolicyMismatch Reason = "quote-policy-mismatch"
	// The TEE kind cannot be verified by this version (Arm CCA).
	ReasonUnsupportedTEE Reason = "unsupported-tee"
)

// Error is a verification failure: a Reason and a message that explains
// it. errors.Is(err, ErrNonceMismatch) and the like match on the reason.
type Error struct {
	Reason  Reason
	Message string
	Err     error // the underlying library error, if any
}

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Reason)
	}
	return string(e.Reason) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same reason.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason == e.Reason
}

// Sentinels for errors.Is, one per Reason.
var (
	ErrEvidenceInvalid         = &Error{Reason: ReasonEvidenceInvalid}
	ErrPolicyInvalid           = &Error{Reason: ReasonPolicyInvalid}
	ErrMeasurementMismatch     = &Error{Reason: ReasonMeasurementMismatch}
	ErrNonceRequired           = &Error{Reason: ReasonNonceRequired}
	ErrNonceMismatch           = &Error{Reason: ReasonNonceMismatch}
	ErrReportDataMismatch      = &Error{Reason: ReasonReportDataMismatch}
	ErrBackendNotAllowed       = &Error{Reason: ReasonBackendNotAllowed}
	ErrTEENotAllowed           = &Error{Reason: ReasonTEENotAllowed}
	ErrMeasurementNotAllowed   = &Error{Reason: ReasonMeasurementNotAllowed}
	ErrSignatureInvalid        = &Error{Reason: ReasonSignatureInvalid}
	ErrNodeKeyNotAllowed       = &Error{Reason: ReasonNodeKeyNotAllowed}
	ErrQuoteInvalid            = &Error{Reason: ReasonQuoteInvalid}
	ErrQuoteReportDataMismatch = &Error{Reason: ReasonQuoteReportDataMismatch}
	ErrQuotePolicyMismatch     = &Error{Reason: ReasonQuotePolicyMismatch}
	ErrUnsupportedTEE          = &Error{Reason: ReasonUnsupportedTEE}
)

// ReasonOf returns the reason of a verification error, or "" if err is
// not one.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func fail(r Reason, err error, format string, args ...any) *Error {
	return &Error{Reason: r, Message: fmt.Sprintf(format, args...), Err: err}
}
