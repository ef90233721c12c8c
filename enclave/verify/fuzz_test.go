package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	snpabi "github.com/google/go-sev-guest/abi"
	spb "github.com/google/go-sev-guest/proto/sevsnp"
	snptest "github.com/google/go-sev-guest/testing"
	"github.com/google/go-tdx-guest/testing/testdata"

	"github.com/wasmtee/wasmtee/enclave/evidence"
	"github.com/wasmtee/wasmtee/test/sgxdcap"
)

// FuzzPolicy: ParsePolicy never panics; a policy it accepts marshals to
// JSON that it accepts again, as the same policy.
func FuzzPolicy(f *testing.F) {
	m := strings.Repeat("ab", 32)
	for _, s := range []string{
		`{"measurements":["` + m + `"],"backends":["process"],"tees":["none"]}`,
		`{"measurements":["` + m + `"],"allowAnyMeasurement":false,"backends":["tsm","sgx","process"],"tees":["tdx","sev-snp","sgx","none","arm-cca"],
			"nodeKeys":["` + strings.Repeat("A", 43) + `="],"nonce":"00ff",
			"tdx":{"mrTd":["` + strings.Repeat("11", 48) + `"],"rtmrs":["","` + strings.Repeat("22", 48) + `"],"minTeeTcbSvn":"` + strings.Repeat("00", 16) + `","rootCert":"r.pem","getCollateral":true,"checkRevocations":true,"allowDebug":false},
			"snp":{"measurement":["` + strings.Repeat("33", 48) + `"],"minimumTcb":{"blSpl":1,"teeSpl":0,"snpSpl":8,"ucodeSpl":100},"minimumGuestSvn":1,"vmpl":0,"rootCerts":"ark.pem","productLine":"Genoa","fetchCertificates":false,"checkRevocations":false,"allowDebug":false,"allowSmt":true,"allowMigrationAgent":false},
			"sgx":{"mrEnclave":["` + m + `"],"mrSigner":["` + m + `"],"isvProdId":1,"minIsvSvn":2,"rootCert":"","allowDebug":false}}`,
		`{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":null,"snp":{"vmpl":null},"sgx":{}}`,
		`{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"],"tdx":{"mrtd":[]}}`,
		`{"Measurements":["` + m + `"],"backends":["tsm"],"tees":["tdx"]}`,
		`{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["tdx"]} {}`,
		`{"allowAnyMeasurement":true,"backends":["tsm"],"tees":["sev-snp"],"snp":{"vmpl":4,"minimumTcb":{"snpspl":300}}}`,
		`{"allowAnyMeasurement":true,"backends":["sgx"],"tees":["sgx"],"sgx":{"isvProdId":70000}}`,
		`{"allowAnyMeasurement":true,"backends":["process"],"tees":["none"],"nonce":"\u00ff","nodeKeys":[null]}`,
		`[]`, `null`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			if p != nil {
				t.Fatalf("policy and error %v", err)
			}
			return
		}
		if _, err := p.compile(); err != nil {
			t.Fatalf("accepted policy does not compile: %v", err)
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted policy does not marshal: %v", err)
		}
		p2, err := ParsePolicy(b)
		if err != nil {
			t.Fatalf("re-marshalled policy is refused: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip changed the policy:\n%+v\n%+v", p, p2)
		}
	})
}

// fuzzTime is when the fuzzed evidence is verified: the go-tdx-guest
// sample quote's certificates are valid then, and so is fuzzPKI.
var fuzzTime = tdxSampleTime

// fuzzKey is a fixed ECDSA P-256 key: fuzz workers are separate processes
// and must agree on the keys that the seed corpus was made with.
func fuzzKey(tb testing.TB, b byte) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{b}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// fuzzSGXPKI is a root CA, an intermediate and a PCK certificate with
// fixed keys, valid around fuzzTime: the root's pool, the PCK key and the
// PEM chain leaf-intermediate-root.
func fuzzSGXPKI(tb testing.TB) (*x509.CertPool, *ecdsa.PrivateKey, []byte) {
	tb.Helper()
	pki, err := sgxdcap.NewPKI(sgxdcap.PKIOptions{
		Name: "Fuzz", NotBefore: fuzzTime.Add(-24 * time.Hour), NotAfter: fuzzTime.Add(24 * time.Hour),
		Keys: [3]*ecdsa.PrivateKey{fuzzKey(tb, 1), fuzzKey(tb, 2), fuzzKey(tb, 3)},
	})
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(pki.Root)
	return pool, pki.PCKKey, pki.ChainPEM()
}

// fuzzSGXQuote is a DCAP quote v3 (layout in sgx.go) binding rd, signed
// through the PCK key.
func fuzzSGXQuote(tb testing.TB, rd [64]byte, pckKey *ecdsa.PrivateKey, chain []byte) []byte {
	tb.Helper()
	q := sgxdcap.Quote{
		MrEnclave: [32]byte(bytes.Repeat([]byte{0xe1}, 32)), MrSigner: [32]byte(bytes.Repeat([]byte{0x51}, 32)),
		Attributes: sgxdcap.AttrInit | sgxdcap.AttrMode64Bit, ReportData: rd,
		AttestationKey: fuzzKey(tb, 4), AuthData: []byte("fuzz qe authentication data"),
	}
	raw, err := q.Build(pckKey, chain)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// fuzzProducer makes evidence with a quote function, as any backend.
type fuzzProducer struct {
	backend, tee, provider string
	quote                  func(rd [64]byte) []byte
	certs                  [][]byte
	nodeKey                ed25519.PublicKey
}

func (p *fuzzProducer) Backend() string { return p.backend }
func (p *fuzzProducer) TEE() string     { return p.tee }
func (p *fuzzProducer) Quote(rd [64]byte) ([]byte, string, [][]byte, error) {
	return p.quote(rd), p.provider, p.certs, nil
}

// FuzzVerifyEvidence puts arbitrary bytes through evidence.Parse and
// Evidence under a policy that allows every backend, TEE and measurement
// and pins no key. It must never panic, every failure must have a
// reason, and it must verify nothing but evidence over report data that
// this test itself signed (process backend, fixed node key) or quoted
// (SGX, through its own PKI): random input never verifies.
func FuzzVerifyEvidence(f *testing.F) {
	nodeKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))
	sgxRoots, pckKey, chain := fuzzSGXPKI(f)
	signed := map[string]bool{} // report data (hex) this test signed or quoted
	var seedEvidence []*evidence.Evidence

	seeds := []*fuzzProducer{
		{backend: evidence.BackendProcess, tee: evidence.TEENone, nodeKey: nodeKey.Public().(ed25519.PublicKey), quote: func(rd [64]byte) []byte {
			signed[hex.EncodeToString(rd[:])] = true
			return ed25519.Sign(nodeKey, evidence.SignedMessage(rd))
		}},
		{backend: evidence.BackendProcess, tee: evidence.TEENone, nodeKey: make(ed25519.PublicKey, ed25519.PublicKeySize), quote: func(rd [64]byte) []byte {
			return make([]byte, ed25519.SignatureSize)
		}},
		{backend: evidence.BackendSGX, tee: evidence.TEESGX, quote: func(rd [64]byte) []byte {
			signed[hex.EncodeToString(rd[:])] = true
			return fuzzSGXQuote(f, rd, pckKey, chain)
		}},
		{backend: evidence.BackendSGX, tee: evidence.TEESGX, quote: func(rd [64]byte) []byte {
			return fuzzSGXQuote(f, [64]byte{}, pckKey, chain)[:sgxSigDataOffset+100]
		}},
		{backend: evidence.BackendTSM, tee: evidence.TEETDX, provider: ProviderTDX, quote: func([64]byte) []byte {
			return bytes.Clone(testdata.RawQuote)
		}},
		{backend: evidence.BackendTSM, tee: evidence.TEECCA, quote: func([64]byte) []byte { return []byte("cca token") }},
	}
	if signer, err := snptest.DefaultTestOnlyCertChain("Milan-B1", snpCreation); err == nil {
		table, err := signer.CertTableBytes()
		if err != nil {
			f.Fatal(err)
		}
		report := func(rd [64]byte) []byte {
			raw, err := snpabi.ReportToAbiBytes(&spb.Report{
				Version: 2, Policy: snpabi.SnpPolicyToBytes(snpabi.SnpPolicy{}), SignatureAlgo: snpabi.SignEcdsaP384Sha384,
				FamilyId: make([]byte, snpabi.FamilyIDSize), ImageId: make([]byte, snpabi.ImageIDSize),
				ReportData: rd[:], Measurement: make([]byte, snpabi.MeasurementSize),
				HostData: make([]byte, snpabi.HostDataSize), IdKeyDigest: make([]byte, snpabi.IDKeyDigestSize),
				AuthorKeyDigest: make([]byte, snpabi.AuthorKeyDigestSize), ReportId: make([]byte, snpabi.ReportIDSize),
				ReportIdMa: make([]byte, snpabi.ReportIDMASize), ChipId: signer.HWID[:], Signature: make([]byte, snpabi.SignatureSize),
			})
			if err != nil {
				f.Fatal(err)
			}
			return raw
		}
		seeds = append(seeds,
			&fuzzProducer{backend: evidence.BackendTSM, tee: evidence.TEESNP, provider: ProviderSNP, quote: report, certs: [][]byte{table}},
			&fuzzProducer{backend: evidence.BackendTSM, tee: evidence.TEESNP, provider: ProviderSNP, quote: report,
				certs: [][]byte{signer.Ark.Raw, signer.Ask.Raw, signer.Vcek.Raw}})
	} else {
		f.Logf("no SEV-SNP seeds: %v", err)
	}
	for i, p := range seeds {
		// A launch of its own per seed, so that report data tell them apart.
		launch := testLaunch()
		launch.Args = append(launch.Args, fmt.Sprint(i))
		ev, err := evidence.Make(p, evidence.Request{Launch: launch, Nonce: testNonce, PublicKey: []byte("module public key")})
		if err != nil {
			f.Fatal(err)
		}
		if p.nodeKey != nil {
			ev.NodeKey = p.nodeKey
		}
		b, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		seedEvidence = append(seedEvidence, ev)
	}
	for _, s := range []string{`{"version":1}`, `{"version":1,"backend":"process","tee":"none","launch":{"module":"` + strings.Repeat("00", 32) + `","backend":"process"}}`, `null`, ``} {
		f.Add([]byte(s))
	}

	pol := &Policy{
		AllowAnyMeasurement: true,
		Backends:            []string{evidence.BackendProcess, evidence.BackendTSM, evidence.BackendSGX},
		TEEs:                []string{evidence.TEENone, evidence.TEETDX, evidence.TEESNP, evidence.TEECCA, evidence.TEESGX},
		TDX:                 &TDXPolicy{AllowDebug: true},
		SNP:                 &SNPPolicy{AllowDebug: true, AllowSMT: true, AllowMigrationAgent: true},
		SGX:                 &SGXPolicy{AllowDebug: true},
	}
	if _, err := pol.compile(); err != nil {
		f.Fatal(err)
	}
	opts := Options{Nonce: testNonce, Now: fuzzTime, SGXRoots: sgxRoots, TDXCollateralGetter: noNetwork{}}
	// The harness reaches success: the seeds it signed verify, no other.
	for _, ev := range seedEvidence {
		_, err := Evidence(ev, pol, opts)
		if want := signed[ev.ReportData]; (err == nil) != want {
			f.Fatalf("seed %s/%s: verified %v, want %v (%v)", ev.Backend, ev.TEE, err == nil, want, err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := evidence.Parse(data)
		if err != nil {
			return
		}
		res, err := Evidence(ev, pol, opts)
		if res == nil {
			t.Fatalf("nil result (error %v)", err)
		}
		if err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("failure without a reason: %v", err)
			}
			return
		}
		if !signed[ev.ReportData] {
			t.Fatalf("verified evidence over report data %s that this test never signed:\n%s", ev.ReportData, data)
		}
		if res.Measurement != ev.Measurement || res.Backend != ev.Backend || res.TEE != ev.TEE {
			t.Fatalf("result %+v does not describe the evidence", res)
		}
		if ev.Backend == evidence.BackendProcess && !bytes.Equal(ev.NodeKey, nodeKey.Public().(ed25519.PublicKey)) {
			t.Fatalf("verified process evidence under node key %x", ev.NodeKey)
		}
	})
}

// noNetwork is a TDX collateral getter that fetches nothing (the policy
// asks for no collateral; this makes sure).
type noNetwork struct{}

func (noNetwork) Get(url string) (map[string][]string, []byte, error) {
	return nil, nil, errors.New("fuzzing: no network (" + url + ")")
}
