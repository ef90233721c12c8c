package verify

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/google/go-sev-guest/abi"
	"github.com/google/go-sev-guest/kds"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	snpvalidate "github.com/google/go-sev-guest/validate"
	snpverify "github.com/google/go-sev-guest/verify"
	snptrust "github.com/google/go-sev-guest/verify/trust"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// ProviderSNP is configfs-tsm's provider name for SEV-SNP.
const ProviderSNP = "sev_guest"

// verifySNP checks an SEV-SNP attestation report from the tsm backend.
func verifySNP(ev *evidence.Evidence, rd [64]byte, pc *compiled, opts *Options, res *Result) error {
	if err := checkProvider(ev, ProviderSNP); err != nil {
		return err
	}
	sp := pc.snp
	if sp == nil {
		sp = &compiledSNP{}
	}
	if len(ev.Quote) < abi.ReportSize {
		return fail(ReasonQuoteInvalid, nil, "SEV-SNP report is %d bytes, want %d", len(ev.Quote), abi.ReportSize)
	}
	report, err := abi.ReportToProto(ev.Quote[:abi.ReportSize])
	if err != nil {
		return fail(ReasonQuoteInvalid, err, "SEV-SNP report does not parse: %v", err)
	}
	chain, err := snpCertificateChain(ev.Certificates)
	if err != nil {
		return fail(ReasonQuoteInvalid, err, "SEV-SNP certificates: %v", err)
	}
	res.pass("snp-report-format")

	// The signature chain: VCEK (or VLEK) certified by the trusted AMD
	// root (ARK through ASK or ASVK), report signed by the VCEK.
	vo := &snpverify.Options{
		Now:                 opts.now(),
		CheckRevocations:    sp.p.CheckRevocations,
		DisableCertFetching: true,
		TrustedRoots:        opts.SNPRoots,
	}
	switch {
	case opts.SNPGetter != nil:
		vo.Getter, vo.DisableCertFetching = opts.SNPGetter, false
	case sp.p.FetchCertificates || sp.p.CheckRevocations:
		vo.Getter, vo.DisableCertFetching = snptrust.DefaultHTTPSGetter(), !sp.p.FetchCertificates
	}
	if sp.p.ProductLine != "" {
		// The expected product; it also spares go-sev-guest guessing one
		// (with a warning on standard output) for version 2 reports.
		if vo.Product, err = kds.ParseProductLine(sp.p.ProductLine); err != nil {
			return fail(ReasonPolicyInvalid, err, "snp.productLine: %v", err)
		}
	}
	if vo.TrustedRoots == nil && sp.p.RootCerts != "" {
		r := snptrust.AMDRootCertsProduct(sp.p.ProductLine)
		if err := r.FromKDSCert(sp.p.RootCerts); err != nil {
			return fail(ReasonPolicyInvalid, err, "snp.rootCerts: %v", err)
		}
		vo.TrustedRoots = map[string][]*snptrust.AMDRootCerts{sp.p.ProductLine: {r}}
	}
	att := &spb.Attestation{Report: report, CertificateChain: chain}
	if err := snpverify.SnpAttestation(att, vo); err != nil {
		return fail(ReasonQuoteInvalid, err, "SEV-SNP report does not verify: %v", err)
	}
	res.HardwareSignatureChecked = true
	res.pass("snp-report-signature")
	if sp.p.CheckRevocations {
		res.pass("snp-revocation")
	} else {
		res.warn("SEV-SNP: certificate revocation (AMD's CRL) was not checked")
	}

	// The binding.
	if !bytes.Equal(report.GetReportData(), rd[:]) {
		return fail(ReasonQuoteReportDataMismatch, nil,
			"the SEV-SNP report's REPORT_DATA %s is not the evidence's report data %s: the report was not made for this measurement, nonce and key",
			hexOf(report.GetReportData()), hexOf(rd[:]))
	}
	res.pass("snp-report-data")

	// The guest's identity and state.
	if len(sp.measurement) > 0 {
		if !containsBytes(sp.measurement, report.GetMeasurement()) {
			return fail(ReasonQuotePolicyMismatch, nil, "SEV-SNP MEASUREMENT %s is not one the policy allows", hexOf(report.GetMeasurement()))
		}
		res.pass("snp-measurement")
	} else {
		res.warn("SEV-SNP: the policy pins no launch MEASUREMENT: a guest with any firmware and kernel on genuine hardware could have produced this evidence")
	}
	t := sp.p.MinimumTCB
	vopts := &snpvalidate.Options{
		GuestPolicy: abi.SnpPolicy{
			SMT:       sp.p.AllowSMT,
			Debug:     sp.p.AllowDebug,
			MigrateMA: sp.p.AllowMigrationAgent,
		},
		MinimumGuestSvn: sp.p.MinimumGuestSvn,
		ReportData:      rd[:],
		MinimumTCB:      kds.TCBParts{BlSpl: t.BlSpl, TeeSpl: t.TeeSpl, SnpSpl: t.SnpSpl, UcodeSpl: t.UcodeSpl},
		VMPL:            sp.p.VMPL,
	}
	if err := snpvalidate.SnpAttestation(att, vopts); err != nil {
		return fail(ReasonQuotePolicyMismatch, err, "SEV-SNP report does not meet the policy: %v", err)
	}
	res.pass("snp-policy")
	return nil
}

// snpCertificateChain reads the evidence's certificates: either one SNP
// certificate table (the GUID table of configfs-tsm's auxblob or of
// SNP_GET_EXT_REPORT) or X.509 certificates in DER, told apart by their
// AMD subject names (SEV-VCEK, SEV-VLEK, ARK-*, SEV-VLEK-*, SEV-*).
func snpCertificateChain(certs [][]byte) (*spb.CertificateChain, error) {
	chain := &spb.CertificateChain{Extras: map[string][]byte{}}
	if len(certs) == 1 {
		var table abi.CertTable
		if _, err := abi.ParseSnpCertTableHeader(certs[0]); err == nil {
			if err := table.Unmarshal(certs[0]); err != nil {
				return nil, err
			}
			guids := map[string]*[]byte{
				abi.VcekGUID: &chain.VcekCert,
				abi.VlekGUID: &chain.VlekCert,
				abi.AskGUID:  &chain.AskCert,
				abi.ArkGUID:  &chain.ArkCert,
			}
			for _, e := range table.Entries {
				if dst, ok := guids[e.GUID.String()]; ok {
					*dst = e.RawCert
				} else {
					chain.Extras[e.GUID.String()] = e.RawCert
				}
			}
			return chain, nil
		}
	}
	for i, der := range certs {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d is neither an SNP certificate table nor DER X.509: %v", i, err)
		}
		cn := c.Subject.CommonName
		switch {
		case cn == "SEV-VCEK":
			chain.VcekCert = der
		case cn == "SEV-VLEK":
			chain.VlekCert = der
		case strings.HasPrefix(cn, "ARK-"):
			chain.ArkCert = der
		case strings.HasPrefix(cn, "SEV-"): // ASK (SEV-Milan) or ASVK (SEV-VLEK-Milan)
			chain.AskCert = der
		default:
			return nil, fmt.Errorf("certificate %d (%q) is not an AMD SEV certificate", i, cn)
		}
	}
	return chain, nil
}
