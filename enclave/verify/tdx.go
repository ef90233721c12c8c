package verify

import (
	"bytes"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"
	tdxvalidate "github.com/google/go-tdx-guest/validate"
	tdxverify "github.com/google/go-tdx-guest/verify"
	tdxtrust "github.com/google/go-tdx-guest/verify/trust"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// ProviderTDX is configfs-tsm's provider name for TDX.
const ProviderTDX = "tdx_guest"

// tdAttributesDebug is TD_ATTRIBUTES bit 0: the TD is debuggable, its
// memory and state readable by the host.
const tdAttributesDebug = 0x1

// verifyTDX checks a TDX quote from the tsm backend.
func verifyTDX(ev *evidence.Evidence, rd [64]byte, pc *compiled, opts *Options, res *Result) error {
	if err := checkProvider(ev, ProviderTDX); err != nil {
		return err
	}
	tp := pc.tdx
	if tp == nil {
		tp = &compiledTDX{}
	}
	parsed, err := abi.QuoteToProto(ev.Quote)
	if err != nil {
		return fail(ReasonQuoteInvalid, err, "TDX quote does not parse: %v", err)
	}
	quote, ok := parsed.(*pb.QuoteV4)
	if !ok {
		return fail(ReasonQuoteInvalid, nil, "TDX quote of type %T is not supported (want a v4 quote)", parsed)
	}
	res.pass("tdx-quote-format")

	// The signature chain: PCK certificate chain to the root, QE report
	// signed by the PCK key, QE report data binding the attestation key,
	// quote signed by the attestation key.
	roots := opts.TDXRoots
	if roots == nil {
		// Passing Intel's root explicitly (rather than nil) also keeps
		// go-tdx-guest from logging a warning to standard output.
		if roots, err = rootPool(tp.p.RootCert); err != nil {
			return fail(ReasonPolicyInvalid, err, "tdx.rootCert: %v", err)
		}
	}
	vo := &tdxverify.Options{
		GetCollateral:    tp.p.GetCollateral,
		CheckRevocations: tp.p.CheckRevocations,
		Getter:           opts.TDXCollateralGetter,
		Now:              opts.now(),
		TrustedRoots:     roots,
	}
	if vo.Getter == nil {
		vo.Getter = tdxtrust.DefaultHTTPSGetter()
	}
	if err := tdxverify.TdxQuote(quote, vo); err != nil {
		return fail(ReasonQuoteInvalid, err, "TDX quote does not verify: %v", err)
	}
	res.HardwareSignatureChecked = true
	res.pass("tdx-quote-signature")
	if tp.p.GetCollateral {
		res.pass("tdx-tcb-status")
	} else {
		res.warn("TDX: verified offline: the platform's TCB status and the QE identity were not checked against Intel's collateral (set tdx.getCollateral)")
	}
	if tp.p.CheckRevocations {
		res.pass("tdx-revocation")
	} else {
		res.warn("TDX: certificate revocation (Intel CRLs) was not checked")
	}

	// The binding: the quote was made for this report data.
	body := quote.GetTdQuoteBody()
	if !bytes.Equal(body.GetReportData(), rd[:]) {
		return fail(ReasonQuoteReportDataMismatch, nil,
			"the TDX quote's REPORTDATA %s is not the evidence's report data %s: the quote was not made for this measurement, nonce and key",
			hexOf(body.GetReportData()), hexOf(rd[:]))
	}
	res.pass("tdx-quote-report-data")

	// The TD's identity and state.
	if len(tp.mrTd) > 0 {
		if !containsBytes(tp.mrTd, body.GetMrTd()) {
			return fail(ReasonQuotePolicyMismatch, nil, "MRTD %s is not one the policy allows", hexOf(body.GetMrTd()))
		}
		res.pass("tdx-mrtd")
	} else {
		res.warn("TDX: the policy pins no MRTD: a TD with any firmware on genuine hardware could have produced this evidence")
	}
	if tp.rtmrs == nil {
		res.warn("TDX: the policy pins no RTMR: the TD's kernel and software that wrote the report data are not checked")
	}
	if !tp.p.AllowDebug && len(body.GetTdAttributes()) > 0 && body.GetTdAttributes()[0]&tdAttributesDebug != 0 {
		return fail(ReasonQuotePolicyMismatch, nil, "the TD is debuggable (TD_ATTRIBUTES.DEBUG): the host can read its memory")
	}
	vopts := &tdxvalidate.Options{TdQuoteBodyOptions: tdxvalidate.TdQuoteBodyOptions{
		MinimumTeeTcbSvn: tp.minTeeTcbSvn,
		Rtmrs:            tp.rtmrs,
		ReportData:       rd[:],
	}}
	if err := tdxvalidate.TdxQuote(quote, vopts); err != nil {
		return fail(ReasonQuotePolicyMismatch, err, "TDX quote does not meet the policy: %v", err)
	}
	res.pass("tdx-policy")
	return nil
}
