package verify

import (
	"bytes"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-sev-guest/abi"
	snptest "github.com/google/go-sev-guest/testing"
	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/wasmtee/wasmtee/enclave/evidence"
)

func TestParsePolicy(t *testing.T) {
	m := strings.Repeat("ab", 32)
	tests := []struct {
		name, json, wantErr string
	}{
		{"minimal", `{"measurements":["` + m + `"],"backends":["process"],"tees":["none"]}`, ""},
		{"everything", `{"measurements":["` + m + `"],"allowAnyMeasurement":false,"backends":["tsm","sgx","process"],"tees":["tdx","sev-snp","sgx","none"],
			"nodeKeys":["` + strings.Repeat("A", 43) + `="],"nonce":"00ff",
			"tdx":{"mrTd":["` + strings.Repeat("11", 48) + `"],"rtmrs":["","` + strings.Repeat("22", 48) + `"],"minTeeTcbSvn":"` + strings.Repeat("00", 16) + `","rootCert":"","getCollateral":true,"checkRevocations":true,"allowDebug":false},
			"snp":{"measurement":["` + strings.Repeat("33", 48) + `"],"minimumTcb":{"blSpl":1,"teeSpl":0,"snpSpl":8,"ucodeSpl":100},"minimumGuestSvn":1,"vmpl":0,"productLine":"Genoa","fetchCertificates":false,"checkRevocations":false,"allowDebug":false,"allowSmt":true,"allowMigrationAgent":false},
			"sgx":{"mrEnclave":["` + m + `"],"mrSigner":["` + m + `"],"isvProdId":1,"minIsvSvn":2,"rootCert":"","allowDebug":false}}`, ""},
		{"any measurement", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"]}`, ""},
		{"no measurement", `{"backends":["tsm"],"tees":["tdx"]}`, "allowAnyMeasurement"},
		{"unknown field", `{"measurements":["` + m + `"],"backends":["tsm"],"tees":["tdx"],"measurment":[]}`, "unknown field"},
		{"unknown nested field", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":{"mrtd":[]}}`, "unknown field"},
		{"key in another case", `{"Measurements":["` + m + `"],"backends":["tsm"],"tees":["tdx"]}`, `unknown field "Measurements"`},
		{"nested key in another case", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"snp":{"minimumTcb":{"snpspl":8}}}`, `unknown field "snp.minimumTcb.snpspl"`},
		{"trailing data", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"]} {}`, "after the policy"},
		{"trailing brace", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"]}}`, "after the policy"},
		{"short measurement", `{"measurements":["abcd"],"backends":["tsm"],"tees":["tdx"]}`, "64 hex digits"},
		{"no backend", `{"allowAnyMeasurement":true,"tees":["tdx"]}`, "no backend"},
		{"unknown backend", `{"allowAnyMeasurement":true,"backends":["kvm"],"tees":["tdx"]}`, `unknown backend "kvm"`},
		{"no tee", `{"allowAnyMeasurement":true,"backends":["tsm"]}`, "no TEE"},
		{"unknown tee", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["sev"]}`, `unknown TEE "sev"`},
		{"bad node key", `{"allowAnyMeasurement":true,"backends":["process"],"tees":["none"],"nodeKeys":["AAAA"]}`, "Ed25519"},
		{"bad nonce", `{"allowAnyMeasurement":true,"backends":["process"],"tees":["none"],"nonce":"xyz"}`, "nonce"},
		{"bad mrTd", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":{"mrTd":["` + m + `"]}}`, "96 hex digits"},
		{"five rtmrs", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":{"rtmrs":["","","","",""]}}`, "4 RTMRs"},
		{"revocations without collateral", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":{"checkRevocations":true}}`, "getCollateral"},
		{"bad vmpl", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["sev-snp"],"snp":{"vmpl":4}}`, "vmpl"},
		{"root certs without product line", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["sev-snp"],"snp":{"rootCerts":"x.pem"}}`, "productLine"},
		{"unknown product line", `{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["sev-snp"],"snp":{"productLine":"Naples"}}`, "productLine"},
		{"bad mrSigner", `{"allowAnyMeasurement":true,"backends":["sgx"],"tees":["sgx"],"sgx":{"mrSigner":["zz"]}}`, "mrSigner"},
		{"not json", `measurements: []`, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.json))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestLoadPolicyRoots loads policies whose root certificate paths are
// relative to the policy file, and verifies with them.
func TestLoadPolicyRoots(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}

	// TDX with Intel's root given as a file.
	write("certs/intel.pem", []byte(intelSGXRootCA))
	pol, err := LoadPolicy(write("tdx.json", []byte(`{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":{"rootCert":"certs/intel.pem"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "certs/intel.pem"); pol.TDX.RootCert != want {
		t.Errorf("rootCert %q, want %q", pol.TDX.RootCert, want)
	}
	res, err := Evidence(tdxEvidence(t, testdata.RawQuote), pol, Options{Nonce: testNonce, Now: tdxSampleTime})
	checkOutcome(t, res, err, ReasonQuoteReportDataMismatch) // the signature chain verified to the file's root

	// A missing root file is a policy error, at verification.
	pol.TDX.RootCert = filepath.Join(dir, "missing.pem")
	res, err = Evidence(tdxEvidence(t, testdata.RawQuote), pol, Options{Nonce: testNonce, Now: tdxSampleTime})
	checkOutcome(t, res, err, ReasonPolicyInvalid)

	// SEV-SNP with the fake AMD roots (ASK then ARK) given as a file.
	signer, err := snptest.DefaultTestOnlyCertChain("Milan-B1", snpCreation)
	if err != nil {
		t.Fatal(err)
	}
	var bundle bytes.Buffer
	pem.Encode(&bundle, &pem.Block{Type: "CERTIFICATE", Bytes: signer.Ask.Raw})
	pem.Encode(&bundle, &pem.Block{Type: "CERTIFICATE", Bytes: signer.Ark.Raw})
	write("amd/milan.pem", bundle.Bytes())
	pol, err = LoadPolicy(write("snp.json", []byte(`{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["sev-snp"],"snp":{"rootCerts":"amd/milan.pem","productLine":"Milan"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	table, err := signer.CertTableBytes()
	if err != nil {
		t.Fatal(err)
	}
	ev := makeEvidence(t, &fakeProducer{backend: evidence.BackendTSM, tee: evidence.TEESNP, certs: [][]byte{table}, quote: func(rd [64]byte) []byte {
		return signSNPReport(t, signer, snpReportSpec{reportData: rd[:], measurement: make([]byte, abi.MeasurementSize)})
	}})
	res, err = Evidence(ev, pol, Options{Nonce: testNonce, Now: snpNow})
	checkOutcome(t, res, err, "")

	// Unreadable and malformed policy files.
	if _, err := LoadPolicy(filepath.Join(dir, "none.json")); err == nil {
		t.Error("missing policy file loaded")
	}
	if _, err := LoadPolicy(write("bad.json", []byte(`{"backends":`))); err == nil || !strings.Contains(err.Error(), "bad.json") {
		t.Errorf("malformed policy: %v", err)
	}
}
