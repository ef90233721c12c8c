package verify

import (
	"bytes"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-sev-guest/abi"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	snptest "github.com/google/go-sev-guest/testing"
	snptrust "github.com/google/go-sev-guest/verify/trust"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// snpCreation is when the fake AMD certificates are issued; snpNow is
// when the tests verify.
var (
	snpCreation = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)
	snpNow      = snpCreation.Add(30 * 24 * time.Hour)
)

// snpReportSpec is what a test report holds.
type snpReportSpec struct {
	reportData  []byte
	measurement []byte
	policy      abi.SnpPolicy
	vmpl        uint32
}

// signSNPReport makes an SEV-SNP attestation report (version 2) and signs
// it with the fake VCEK of go-sev-guest's test certificate chain.
func signSNPReport(t *testing.T, signer *snptest.AmdSigner, s snpReportSpec) []byte {
	t.Helper()
	rpt := &spb.Report{
		Version:         2,
		Policy:          abi.SnpPolicyToBytes(s.policy),
		Vmpl:            s.vmpl,
		SignatureAlgo:   abi.SignEcdsaP384Sha384,
		FamilyId:        make([]byte, abi.FamilyIDSize),
		ImageId:         make([]byte, abi.ImageIDSize),
		ReportData:      s.reportData,
		Measurement:     s.measurement,
		HostData:        make([]byte, abi.HostDataSize),
		IdKeyDigest:     make([]byte, abi.IDKeyDigestSize),
		AuthorKeyDigest: make([]byte, abi.AuthorKeyDigestSize),
		ReportId:        make([]byte, abi.ReportIDSize),
		ReportIdMa:      make([]byte, abi.ReportIDMASize),
		ChipId:          signer.HWID[:],
		Signature:       make([]byte, abi.SignatureSize),
	}
	raw, err := abi.ReportToAbiBytes(rpt)
	if err != nil {
		t.Fatal(err)
	}
	r, sig, err := signer.Sign(abi.SignedComponent(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := abi.SetSignature(r, sig, raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSNPEvidence(t *testing.T) {
	signer, err := snptest.DefaultTestOnlyCertChain("Milan-B1", snpCreation)
	if err != nil {
		t.Fatal(err)
	}
	certTable, err := signer.CertTableBytes()
	if err != nil {
		t.Fatal(err)
	}
	fakeRoot := snptrust.AMDRootCertsProduct("Milan")
	fakeRoot.ProductCerts = &snptrust.ProductCerts{Ark: signer.Ark, Ask: signer.Ask}
	trustFake := map[string][]*snptrust.AMDRootCerts{"Milan": {fakeRoot}}

	launchMeasurement := bytes.Repeat([]byte{0x5a}, abi.MeasurementSize)
	vmpl0 := 0
	tests := []struct {
		name    string
		spec    func(s *snpReportSpec)
		tamper  func(raw []byte)
		certs   [][]byte // nil: the certificate table
		policy  func(p *SNPPolicy, o *Options)
		want    Reason
		message string
	}{
		{"verified (certificate table)", nil, nil, nil, nil, "", ""},
		{"verified (DER certificates)", nil, nil, [][]byte{signer.Ark.Raw, signer.Ask.Raw, signer.Vcek.Raw}, nil, "", ""},
		{"SMT allowed by policy", func(s *snpReportSpec) { s.policy.SMT = true }, nil, nil, func(p *SNPPolicy, o *Options) { p.AllowSMT = true }, "", ""},
		{"flipped report byte", nil, func(raw []byte) { raw[0x90] ^= 1 }, nil, nil, ReasonQuoteInvalid, "signature"},
		{"flipped signature byte", nil, func(raw []byte) { raw[abi.ReportSize-512+3] ^= 1 }, nil, nil, ReasonQuoteInvalid, "signature"},
		{"AMD's real roots do not trust the fake chain", nil, nil, nil, func(p *SNPPolicy, o *Options) { o.SNPRoots = nil }, ReasonQuoteInvalid, "trusted roots"},
		{"no VCEK and no fetching", nil, nil, [][]byte{signer.Ark.Raw, signer.Ask.Raw}, nil, ReasonQuoteInvalid, "VCEK"},
		{"report for other report data", func(s *snpReportSpec) { s.reportData = bytes.Repeat([]byte{1}, 64) }, nil, nil, nil, ReasonQuoteReportDataMismatch, "REPORT_DATA"},
		{"measurement not allowed", nil, nil, nil, func(p *SNPPolicy, o *Options) {
			p.Measurement = []string{strings.Repeat("00", abi.MeasurementSize)}
		}, ReasonQuotePolicyMismatch, "MEASUREMENT"},
		{"debug guest", func(s *snpReportSpec) { s.policy.Debug = true }, nil, nil, nil, ReasonQuotePolicyMismatch, "debug"},
		{"SMT not allowed", func(s *snpReportSpec) { s.policy.SMT = true }, nil, nil, nil, ReasonQuotePolicyMismatch, "multithreading"},
		{"wrong VMPL", func(s *snpReportSpec) { s.vmpl = 2 }, nil, nil, func(p *SNPPolicy, o *Options) { p.VMPL = &vmpl0 }, ReasonQuotePolicyMismatch, "VMPL"},
		{"TCB below minimum", nil, nil, nil, func(p *SNPPolicy, o *Options) { p.MinimumTCB.SnpSpl = 8 }, ReasonQuotePolicyMismatch, "TCB"},
		{"truncated report", nil, nil, nil, nil, ReasonQuoteInvalid, "bytes"},
		{"garbage certificate", nil, nil, [][]byte{[]byte("not a certificate")}, nil, ReasonQuoteInvalid, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs := tt.certs
			if certs == nil {
				certs = [][]byte{certTable}
			}
			p := &fakeProducer{backend: evidence.BackendTSM, tee: evidence.TEESNP, provider: ProviderSNP, certs: certs, quote: func(rd [64]byte) []byte {
				s := snpReportSpec{reportData: rd[:], measurement: launchMeasurement}
				if tt.spec != nil {
					tt.spec(&s)
				}
				raw := signSNPReport(t, signer, s)
				if tt.tamper != nil {
					tt.tamper(raw)
				}
				if tt.name == "truncated report" {
					raw = raw[:abi.ReportSize-1]
				}
				return raw
			}}
			ev := makeEvidence(t, p)
			sp := &SNPPolicy{Measurement: []string{hex.EncodeToString(launchMeasurement)}}
			opts := Options{Nonce: testNonce, Now: snpNow, SNPRoots: trustFake}
			if tt.policy != nil {
				tt.policy(sp, &opts)
			}
			pol := &Policy{AllowAnyMeasurement: true, Backends: []string{"tsm"}, TEEs: []string{"sev-snp"}, SNP: sp}
			res, err := Evidence(ev, pol, opts)
			checkOutcome(t, res, err, tt.want)
			t.Logf("error: %v", err)
			if !strings.Contains(errString(err), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
			if tt.want == "" {
				if !res.HardwareSignatureChecked {
					t.Error("HardwareSignatureChecked is false")
				}
				for _, c := range []string{"snp-report-signature", "snp-report-data", "snp-measurement", "snp-policy"} {
					if !slices.Contains(res.Checks, c) {
						t.Errorf("checks %v lack %q", res.Checks, c)
					}
				}
			}
		})
	}
}

// TestSNPFakeKDS verifies a report whose evidence carries no certificate:
// the VCEK is fetched from go-sev-guest's fake AMD KDS.
func TestSNPFakeKDS(t *testing.T) {
	signer, err := snptest.DefaultTestOnlyCertChain("Milan-B1", snpCreation)
	if err != nil {
		t.Fatal(err)
	}
	signer.Product = abi.DefaultSevProduct()
	kds, err := snptest.FakeKDSFromSigner(signer)
	if err != nil {
		t.Fatal(err)
	}
	fakeRoot := snptrust.AMDRootCertsProduct("Milan")
	fakeRoot.ProductCerts = &snptrust.ProductCerts{Ark: signer.Ark, Ask: signer.Ask}
	p := &fakeProducer{backend: evidence.BackendTSM, tee: evidence.TEESNP, provider: ProviderSNP, quote: func(rd [64]byte) []byte {
		return signSNPReport(t, signer, snpReportSpec{reportData: rd[:], measurement: make([]byte, abi.MeasurementSize)})
	}}
	ev := makeEvidence(t, p)
	pol := &Policy{AllowAnyMeasurement: true, Backends: []string{"tsm"}, TEEs: []string{"sev-snp"}, SNP: &SNPPolicy{ProductLine: "Milan"}}
	opts := Options{Nonce: testNonce, Now: snpNow, SNPGetter: kds, SNPRoots: map[string][]*snptrust.AMDRootCerts{"Milan": {fakeRoot}}}
	res, err := Evidence(ev, pol, opts)
	checkOutcome(t, res, err, "")
	if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "MEASUREMENT") }) {
		t.Errorf("warnings %q do not say the launch measurement is not pinned", res.Warnings)
	}

	// Without the getter nothing is fetched and the VCEK is missing.
	opts.SNPGetter = nil
	res, err = Evidence(ev, pol, opts)
	checkOutcome(t, res, err, ReasonQuoteInvalid)
}
