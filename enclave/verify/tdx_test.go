package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-tdx-guest/abi"
	pb "github.com/google/go-tdx-guest/proto/tdx"
	tdxtesting "github.com/google/go-tdx-guest/testing"
	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

// The real production TDX quote (Sapphire Rapids) that go-tdx-guest
// ships in testing/testdata (embedded by that Go package, read from the
// module cache). Its PCK certificates and the sample collateral are valid
// at tdxSampleTime, the time go-tdx-guest's own tests use.
var tdxSampleTime = time.Date(2023, time.July, 1, 1, 0, 0, 0, time.UTC)

func sampleTDXQuote(t *testing.T) *pb.QuoteV4 {
	t.Helper()
	q, err := abi.QuoteToProto(testdata.RawQuote)
	if err != nil {
		t.Fatal(err)
	}
	return q.(*pb.QuoteV4)
}

// tdxEvidence wraps a raw quote in our evidence; its report data is ours,
// the quote's is whatever the quote carries.
func tdxEvidence(t *testing.T, raw []byte) *evidence.Evidence {
	t.Helper()
	return makeEvidence(t, &fakeProducer{
		backend: evidence.BackendTSM, tee: evidence.TEETDX, provider: ProviderTDX,
		quote: func([64]byte) []byte { return bytes.Clone(raw) },
	})
}

func tdxPolicy() *Policy {
	return &Policy{AllowAnyMeasurement: true, Backends: []string{"tsm"}, TEEs: []string{"tdx"}, TDX: &TDXPolicy{}}
}

// TestTDXHardwarePath runs the TDX checks alone on the real quote, with
// the report data it carries: signature chain, binding, policy.
func TestTDXHardwarePath(t *testing.T) {
	quote := sampleTDXQuote(t)
	var quoteRD [64]byte
	copy(quoteRD[:], quote.GetTdQuoteBody().GetReportData())
	mrTd := hex.EncodeToString(quote.GetTdQuoteBody().GetMrTd())
	rtmr0 := hex.EncodeToString(quote.GetTdQuoteBody().GetRtmrs()[0])
	svn := quote.GetTdQuoteBody().GetTeeTcbSvn()
	higherSvn := bytes.Clone(svn)
	higherSvn[0]++

	otherRoot := filepath.Join(t.TempDir(), "other-root.pem")
	_, _, otherPEM := testPKI(t, time.Now())
	if err := os.WriteFile(otherRoot, otherPEM, 0o644); err != nil {
		t.Fatal(err)
	}

	flip := func(off int) []byte {
		raw := bytes.Clone(testdata.RawQuote)
		raw[off] ^= 1
		return raw
	}
	tests := []struct {
		name    string
		raw     []byte
		tdx     TDXPolicy
		now     time.Time
		getter  bool
		want    Reason
		message string
	}{
		{"real quote verifies offline", testdata.RawQuote, TDXPolicy{}, tdxSampleTime, false, "", ""},
		{"allowed MRTD, RTMR0 and TCB", testdata.RawQuote, TDXPolicy{MrTd: []string{strings.Repeat("00", 48), mrTd}, Rtmrs: []string{rtmr0}, MinTeeTcbSvn: hex.EncodeToString(svn)}, tdxSampleTime, false, "", ""},
		{"MRTD not allowed", testdata.RawQuote, TDXPolicy{MrTd: []string{strings.Repeat("00", 48)}}, tdxSampleTime, false, ReasonQuotePolicyMismatch, "MRTD"},
		{"RTMR0 differs", testdata.RawQuote, TDXPolicy{Rtmrs: []string{strings.Repeat("00", 48)}}, tdxSampleTime, false, ReasonQuotePolicyMismatch, "RTMR"},
		{"TEE TCB SVN too low", testdata.RawQuote, TDXPolicy{MinTeeTcbSvn: hex.EncodeToString(higherSvn)}, tdxSampleTime, false, ReasonQuotePolicyMismatch, "TCB"},
		{"flipped byte in the TD report body", flip(48 + 136), TDXPolicy{}, tdxSampleTime, false, ReasonQuoteInvalid, ""},
		{"flipped byte in the report data", flip(48 + 520), TDXPolicy{}, tdxSampleTime, false, ReasonQuoteInvalid, ""},
		{"flipped byte in the quote signature", flip(636 + 5), TDXPolicy{}, tdxSampleTime, false, ReasonQuoteInvalid, ""},
		{"truncated", testdata.RawQuote[:600], TDXPolicy{}, tdxSampleTime, false, ReasonQuoteInvalid, ""},
		{"certificates expired", testdata.RawQuote, TDXPolicy{}, time.Date(2053, 7, 1, 0, 0, 0, 0, time.UTC), false, ReasonQuoteInvalid, "expired"},
		{"untrusted root", testdata.RawQuote, TDXPolicy{RootCert: otherRoot}, tdxSampleTime, false, ReasonQuoteInvalid, ""},
		// go-tdx-guest's sample collateral (served by its fake PCS getter)
		// is newer than the quote's TCB: with collateral the TCB status
		// check runs, offline, and rejects this platform.
		{"collateral: TCB level not matched", testdata.RawQuote, TDXPolicy{GetCollateral: true, CheckRevocations: true}, tdxSampleTime, true, ReasonQuoteInvalid, "TCB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &evidence.Evidence{Backend: evidence.BackendTSM, TEE: evidence.TEETDX, Provider: ProviderTDX, Quote: tt.raw}
			pol := tdxPolicy()
			pol.TDX = &tt.tdx
			pc, err := pol.compile()
			if err != nil {
				t.Fatal(err)
			}
			opts := &Options{Now: tt.now}
			if tt.getter {
				opts.TDXCollateralGetter = tdxtesting.TestGetter
			}
			res := &Result{}
			err = verifyTDX(ev, quoteRD, pc, opts, res)
			checkOutcome(t, res, err, tt.want)
			t.Logf("error: %v", err)
			if !strings.Contains(errString(err), tt.message) {
				t.Errorf("error %q does not mention %q", err, tt.message)
			}
			if tt.want == "" {
				if !res.HardwareSignatureChecked || !slices.Contains(res.Checks, "tdx-quote-signature") || !slices.Contains(res.Checks, "tdx-quote-report-data") {
					t.Errorf("result %+v", res)
				}
				if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, "offline") }) {
					t.Errorf("warnings %q do not say the TCB status was not checked", res.Warnings)
				}
			}
		})
	}
}

// TestTDXEvidenceBinding wraps the real quote in our evidence: the quote
// verifies, but its report data is not ours, so the evidence must fail.
func TestTDXEvidenceBinding(t *testing.T) {
	ev := tdxEvidence(t, testdata.RawQuote)
	res, err := Evidence(ev, tdxPolicy(), Options{Nonce: testNonce, Now: tdxSampleTime})
	checkOutcome(t, res, err, ReasonQuoteReportDataMismatch)
	for _, c := range []string{"measurement", "nonce", "report-data", "tdx-quote-signature"} {
		if !slices.Contains(res.Checks, c) {
			t.Errorf("checks %v lack %q", res.Checks, c)
		}
	}
	if !res.HardwareSignatureChecked {
		t.Error("the quote's signature was not checked before the binding")
	}

	// The wrong provider, or a flipped quote byte, fail before that.
	ev = tdxEvidence(t, testdata.RawQuote)
	ev.Provider = ProviderSNP
	res, err = Evidence(ev, tdxPolicy(), Options{Nonce: testNonce, Now: tdxSampleTime})
	checkOutcome(t, res, err, ReasonEvidenceInvalid)

	raw := bytes.Clone(testdata.RawQuote)
	raw[200] ^= 0x10
	res, err = Evidence(tdxEvidence(t, raw), tdxPolicy(), Options{Nonce: testNonce, Now: tdxSampleTime})
	checkOutcome(t, res, err, ReasonQuoteInvalid)
}

// TestIntelRootIsTheQuoteRoot checks the embedded Intel SGX root CA
// against the root certificate inside the production quote's PCK chain,
// and its published fingerprint.
func TestIntelRootIsTheQuoteRoot(t *testing.T) {
	chain := sampleTDXQuote(t).GetSignedData().GetCertificationData().GetQeReportCertificationData().GetPckCertificateChainData().GetPckCertChain()
	var last *pem.Block
	for rest := chain; ; {
		b, r := pem.Decode(rest)
		if b == nil {
			break
		}
		last, rest = b, r
	}
	ours, _ := pem.Decode([]byte(intelSGXRootCA))
	if last == nil || ours == nil || !bytes.Equal(last.Bytes, ours.Bytes) {
		t.Fatal("the embedded Intel SGX root CA is not the root of the production quote's PCK chain")
	}
	sum := sha256.Sum256(ours.Bytes)
	if got := hex.EncodeToString(sum[:]); got != "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3" {
		t.Errorf("Intel SGX root CA fingerprint %s", got)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
