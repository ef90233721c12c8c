package verify

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"

	"github.com/google/go-sev-guest/kds"

	"github.com/wasmtee/wasmtee/enclave/evidence"

	"github.com/wasmtee/wasmtee/internal/strictjson"
)

// Policy is what a verifier accepts. Its JSON form is decoded strictly:
// unknown fields, trailing data and malformed values are errors.
//
//	{
//	  "measurements": ["hex", ...],   allowed launch measurements (64 hex digits
//	                                  each, measure.Measure); may be empty only
//	                                  with "allowAnyMeasurement": true
//	  "allowAnyMeasurement": false,
//	  "backends": ["tsm", "sgx"],     allowed backends: "process", "tsm", "sgx"
//	  "tees": ["tdx", "sev-snp"],     allowed TEE kinds: "tdx", "sev-snp", "sgx",
//	                                  "arm-cca", and "none" (the process
//	                                  backend: no hardware TEE), which is
//	                                  accepted only when listed
//	  "nodeKeys": ["base64"],         process backend: the node keys (Ed25519
//	                                  public keys) allowed; empty: any key
//	  "nonce": "hex",                 the expected nonce, when the caller does
//	                                  not pass one (Options.Nonce, --nonce)
//	  "tdx": {                        TDX quotes (tsm backend, tee "tdx")
//	    "mrTd": ["hex"],              allowed MRTD values (96 hex digits); empty: any
//	    "rtmrs": ["hex", ...],        up to 4 expected RTMR0..3 values; "" skips one
//	    "minTeeTcbSvn": "hex",        component-wise minimum TEE_TCB_SVN (32 hex digits)
//	    "rootCert": "path",           PEM root to trust instead of Intel's SGX root CA
//	    "getCollateral": false,       fetch TCB info and QE identity from Intel PCS
//	                                  (network) and require an up-to-date TCB
//	    "checkRevocations": false,    check Intel's CRLs (needs getCollateral)
//	    "allowDebug": false           accept a TD with the DEBUG attribute
//	  },
//	  "snp": {                        SEV-SNP reports (tsm backend, tee "sev-snp")
//	    "measurement": ["hex"],       allowed MEASUREMENT values (96 hex digits); empty: any
//	    "minimumTcb": {"blSpl": 0, "teeSpl": 0, "snpSpl": 0, "ucodeSpl": 0},
//	    "minimumGuestSvn": 0,
//	    "vmpl": 0,                    required VMPL (0-3); absent: any
//	    "rootCerts": "path",          PEM ASK (or ASVK) then ARK, as AMD KDS's
//	                                  cert_chain, to trust instead of AMD's roots
//	    "productLine": "Milan",       the expected product line ("Milan", "Genoa",
//	                                  "Turin"); required with rootCerts
//	    "fetchCertificates": false,   fetch a VCEK missing from the evidence from
//	                                  AMD KDS (network)
//	    "checkRevocations": false,    check AMD's CRL (network)
//	    "allowDebug": false, "allowSmt": false, "allowMigrationAgent": false
//	  },
//	  "sgx": {                        SGX DCAP quotes (sgx backend)
//	    "mrEnclave": ["hex"],         allowed MRENCLAVE values (64 hex digits); empty: any
//	    "mrSigner": ["hex"],          allowed MRSIGNER values (64 hex digits); empty: any
//	    "isvProdId": 0,               required ISVPRODID; absent: any
//	    "minIsvSvn": 0,
//	    "rootCert": "path",           PEM root to trust instead of Intel's SGX root CA
//	    "allowDebug": false           accept a debug enclave
//	  }
//	}
//
// Relative certificate paths are relative to the policy file (LoadPolicy)
// or to the working directory (ParsePolicy).
type Policy struct {
	Measurements        []string   `json:"measurements"`
	AllowAnyMeasurement bool       `json:"allowAnyMeasurement"`
	Backends            []string   `json:"backends"`
	TEEs                []string   `json:"tees"`
	NodeKeys            []string   `json:"nodeKeys"`
	Nonce               string     `json:"nonce"`
	TDX                 *TDXPolicy `json:"tdx"`
	SNP                 *SNPPolicy `json:"snp"`
	SGX                 *SGXPolicy `json:"sgx"`
}

// TDXPolicy is the policy for TDX quotes; see Policy.
type TDXPolicy struct {
	MrTd             []string `json:"mrTd"`
	Rtmrs            []string `json:"rtmrs"`
	MinTeeTcbSvn     string   `json:"minTeeTcbSvn"`
	RootCert         string   `json:"rootCert"`
	GetCollateral    bool     `json:"getCollateral"`
	CheckRevocations bool     `json:"checkRevocations"`
	AllowDebug       bool     `json:"allowDebug"`
}

// SNPPolicy is the policy for SEV-SNP reports; see Policy.
type SNPPolicy struct {
	Measurement         []string `json:"measurement"`
	MinimumTCB          SNPTCB   `json:"minimumTcb"`
	MinimumGuestSvn     uint32   `json:"minimumGuestSvn"`
	VMPL                *int     `json:"vmpl"`
	RootCerts           string   `json:"rootCerts"`
	ProductLine         string   `json:"productLine"`
	FetchCertificates   bool     `json:"fetchCertificates"`
	CheckRevocations    bool     `json:"checkRevocations"`
	AllowDebug          bool     `json:"allowDebug"`
	AllowSMT            bool     `json:"allowSmt"`
	AllowMigrationAgent bool     `json:"allowMigrationAgent"`
}

// SNPTCB is a minimum SEV-SNP TCB version, component by component.
type SNPTCB struct {
	BlSpl    uint8 `json:"blSpl"`
	TeeSpl   uint8 `json:"teeSpl"`
	SnpSpl   uint8 `json:"snpSpl"`
	UcodeSpl uint8 `json:"ucodeSpl"`
}

// SGXPolicy is the policy for SGX DCAP quotes; see Policy.
type SGXPolicy struct {
	MrEnclave  []string `json:"mrEnclave"`
	MrSigner   []string `json:"mrSigner"`
	IsvProdID  *uint16  `json:"isvProdId"`
	MinIsvSvn  uint16   `json:"minIsvSvn"`
	RootCert   string   `json:"rootCert"`
	AllowDebug bool     `json:"allowDebug"`
}

// ParsePolicy decodes and checks a policy.
func ParsePolicy(data []byte) (*Policy, error) {
	p, err := decodePolicy(data)
	if err != nil {
		return nil, err
	}
	if _, err := p.compile(); err != nil {
		return nil, err
	}
	return p, nil
}

// LoadPolicy reads and checks a policy file. Relative certificate paths in
// it are made relative to the file's directory.
func LoadPolicy(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p, err := decodePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir := filepath.Dir(path)
	rel := func(s *string) {
		if *s != "" && !filepath.IsAbs(*s) {
			*s = filepath.Join(dir, *s)
		}
	}
	if p.TDX != nil {
		rel(&p.TDX.RootCert)
	}
	if p.SNP != nil {
		rel(&p.SNP.RootCerts)
	}
	if p.SGX != nil {
		rel(&p.SGX.RootCert)
	}
	if _, err := p.compile(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

func decodePolicy(data []byte) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("policy is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("policy is not valid JSON: data after the policy object")
	}
	if err := strictjson.ExactKeys(data, reflect.TypeOf(p)); err != nil {
		return nil, fmt.Errorf("policy is not valid: %w", err)
	}
	return &p, nil
}

// compiled is a checked policy with its values decoded.
type compiled struct {
	measurements [][]byte
	anyMeasure   bool
	backends     []string
	tees         []string
	nodeKeys     [][]byte
	nonce        []byte
	tdx          *compiledTDX
	snp          *compiledSNP
	sgx          *compiledSGX
}

type compiledTDX struct {
	p            TDXPolicy
	mrTd         [][]byte
	rtmrs        [][]byte // 4 entries; nil: unchecked
	minTeeTcbSvn []byte
}

type compiledSNP struct {
	p           SNPPolicy
	measurement [][]byte
}

type compiledSGX struct {
	p         SGXPolicy
	mrEnclave [][]byte
	mrSigner  [][]byte
}

var (
	knownBackends = []string{evidence.BackendProcess, evidence.BackendTSM, evidence.BackendSGX}
	knownTEEs     = []string{evidence.TEENone, evidence.TEETDX, evidence.TEESNP, evidence.TEECCA, evidence.TEESGX}
)

// compile checks p and decodes its values; errors have reason
// policy-invalid.
func (p *Policy) compile() (*compiled, error) {
	if p == nil {
		return nil, fail(ReasonPolicyInvalid, nil, "no policy")
	}
	c := &compiled{anyMeasure: p.AllowAnyMeasurement}
	var err error
	if c.measurements, err = hexList("measurements", p.Measurements, 32); err != nil {
		return nil, err
	}
	if len(c.measurements) == 0 && !p.AllowAnyMeasurement {
		return nil, fail(ReasonPolicyInvalid, nil, `policy allows no measurement: list "measurements", or set "allowAnyMeasurement": true`)
	}
	if len(p.Backends) == 0 {
		return nil, fail(ReasonPolicyInvalid, nil, `policy allows no backend: list "backends"`)
	}
	for _, b := range p.Backends {
		if !slices.Contains(knownBackends, b) {
			return nil, fail(ReasonPolicyInvalid, nil, "unknown backend %q in policy (known: %v)", b, knownBackends)
		}
	}
	c.backends = p.Backends
	if len(p.TEEs) == 0 {
		return nil, fail(ReasonPolicyInvalid, nil, `policy allows no TEE: list "tees" ("none" for the process backend)`)
	}
	for _, t := range p.TEEs {
		if !slices.Contains(knownTEEs, t) {
			return nil, fail(ReasonPolicyInvalid, nil, "unknown TEE %q in policy (known: %v)", t, knownTEEs)
		}
	}
	c.tees = p.TEEs
	for i, k := range p.NodeKeys {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(key) != ed25519.PublicKeySize {
			return nil, fail(ReasonPolicyInvalid, err, "nodeKeys[%d] is not a base64 Ed25519 public key", i)
		}
		c.nodeKeys = append(c.nodeKeys, key)
	}
	if p.Nonce != "" {
		if c.nonce, err = hex.DecodeString(p.Nonce); err != nil {
			return nil, fail(ReasonPolicyInvalid, err, "nonce is not hex")
		}
	}
	if p.TDX != nil {
		t := &compiledTDX{p: *p.TDX}
		if t.mrTd, err = hexList("tdx.mrTd", p.TDX.MrTd, 48); err != nil {
			return nil, err
		}
		if len(p.TDX.Rtmrs) > 4 {
			return nil, fail(ReasonPolicyInvalid, nil, "tdx.rtmrs has %d entries; a TD has 4 RTMRs", len(p.TDX.Rtmrs))
		}
		for i, r := range p.TDX.Rtmrs {
			if r == "" {
				continue
			}
			b, err := hexN(fmt.Sprintf("tdx.rtmrs[%d]", i), r, 48)
			if err != nil {
				return nil, err
			}
			if t.rtmrs == nil {
				t.rtmrs = make([][]byte, 4)
			}
			t.rtmrs[i] = b
		}
		if p.TDX.MinTeeTcbSvn != "" {
			if t.minTeeTcbSvn, err = hexN("tdx.minTeeTcbSvn", p.TDX.MinTeeTcbSvn, 16); err != nil {
				return nil, err
			}
		}
		if p.TDX.CheckRevocations && !p.TDX.GetCollateral {
			return nil, fail(ReasonPolicyInvalid, nil, "tdx.checkRevocations needs tdx.getCollateral")
		}
		c.tdx = t
	}
	if p.SNP != nil {
		s := &compiledSNP{p: *p.SNP}
		if s.measurement, err = hexList("snp.measurement", p.SNP.Measurement, 48); err != nil {
			return nil, err
		}
		if p.SNP.VMPL != nil && (*p.SNP.VMPL < 0 || *p.SNP.VMPL > 3) {
			return nil, fail(ReasonPolicyInvalid, nil, "snp.vmpl %d is not 0-3", *p.SNP.VMPL)
		}
		if p.SNP.ProductLine != "" {
			if _, err := kds.ParseProductLine(p.SNP.ProductLine); err != nil {
				return nil, fail(ReasonPolicyInvalid, err, "snp.productLine: %v", err)
			}
		}
		if p.SNP.RootCerts != "" && p.SNP.ProductLine == "" {
			return nil, fail(ReasonPolicyInvalid, nil, `snp.rootCerts needs snp.productLine ("Milan", "Genoa", "Turin")`)
		}
		c.snp = s
	}
	if p.SGX != nil {
		s := &compiledSGX{p: *p.SGX}
		if s.mrEnclave, err = hexList("sgx.mrEnclave", p.SGX.MrEnclave, 32); err != nil {
			return nil, err
		}
		if s.mrSigner, err = hexList("sgx.mrSigner", p.SGX.MrSigner, 32); err != nil {
			return nil, err
		}
		c.sgx = s
	}
	return c, nil
}

func hexN(name, s string, n int) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != n {
		return nil, fail(ReasonPolicyInvalid, err, "%s %q is not %d hex digits", name, s, 2*n)
	}
	return b, nil
}

func hexList(name string, list []string, n int) ([][]byte, error) {
	var out [][]byte
	for i, s := range list {
		b, err := hexN(fmt.Sprintf("%s[%d]", name, i), s, n)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func containsBytes(list [][]byte, b []byte) bool {
	return slices.ContainsFunc(list, func(x []byte) bool { return bytes.Equal(x, b) })
}
