package evidence

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmtee/wasmtee/enclave/measure"
)

// fuzzProducer signs like the process backend, with a fixed key.
type fuzzProducer struct {
	backend, tee string
	key          ed25519.PrivateKey
	certs        [][]byte
}

func (p fuzzProducer) Backend() string { return p.backend }
func (p fuzzProducer) TEE() string     { return p.tee }
func (p fuzzProducer) Quote(rd [64]byte) ([]byte, string, [][]byte, error) {
	return ed25519.Sign(p.key, SignedMessage(rd)), "", p.certs, nil
}
func (p fuzzProducer) PublicKey() ed25519.PublicKey { return p.key.Public().(ed25519.PublicKey) }

// FuzzParse: Parse never panics, and what it accepts marshals to JSON that
// Parse accepts again, giving the same evidence.
func FuzzParse(f *testing.F) {
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	launch := measure.Launch{
		Module: strings.Repeat("ab", 32), Entry: "_start",
		Args: []string{"/hello.wasm", "a b"}, Env: []string{"A=1"},
		Preopens:    []measure.Preopen{{Guest: "/", ReadOnly: true}, {Guest: "/data"}},
		MemoryLimit: 1 << 26,
	}
	for _, p := range []fuzzProducer{
		{backend: BackendProcess, tee: TEENone, key: key},
		{backend: BackendTSM, tee: TEETDX, key: key, certs: [][]byte{{1, 2, 3}, {}}},
	} {
		e, err := Make(p, Request{Launch: launch, Nonce: []byte("nonce"), PublicKey: []byte("module key")})
		if err != nil {
			f.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		indented, _ := json.MarshalIndent(e, "", "  ")
		f.Add(indented)
	}
	for _, s := range []string{
		`{"version":1}`,
		`{"version":1,"launch":{"args":null,"preopens":[{"guest":"/","readOnly":true}]},"publicKey":"","certificates":[]}`,
		`{"version":1,"quote":"AAEC","certificates":["",null,"AA=="],"nodeKey":null}`,
		`{"version":1,"VERSION":1,"Launch":{"Module":"x"}}`,
		`{"version":1,"launch":{"preopens":[{"GUEST":"/"}]}}`,
		`{"version":1} {"version":2}`,
		`{"version":2}`,
		`{"version":1,"extra":true}`,
		`{"version":1,"measurement":"\ud800\u00e9\u0000"}`,
		`[1]`, `null`, `1`, `"x"`, ``, `{`,
	} {
		f.Add([]byte(s))
	}
	// Keys are matched exactly (encoding/json alone ignores case), at any
	// depth, also when data follows the evidence.
	for _, s := range []string{
		`{"VERSION":1}`, `{"version":1,"Version":1}`, `{"version":1,"launch":{"Module":"x"}}`,
		`{"version":1,"launch":{"preopens":[{"guest":"/"},{"GUEST":"/"}]}}`,
	} {
		if _, err := Parse([]byte(s)); err == nil || !strings.Contains(err.Error(), "unknown field") {
			f.Errorf("%s: error %v, want an unknown field", s, err)
		}
	}
	// Nothing may follow the evidence.
	for _, s := range []string{`{"version":1} {}`, `{"version":1} trailing garbage`, `{"version":1}]`} {
		if _, err := Parse([]byte(s)); err == nil {
			f.Errorf("%s: accepted", s)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(data)
		if err != nil {
			if e != nil {
				t.Fatalf("evidence and error %v", err)
			}
			return
		}
		if e.Version != Version {
			t.Fatalf("accepted version %d", e.Version)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("accepted evidence does not marshal: %v", err)
		}
		e2, err := Parse(b)
		if err != nil {
			t.Fatalf("re-marshalled evidence does not parse: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(normalized(*e), normalized(*e2)) {
			t.Fatalf("round trip changed the evidence:\n%+v\n%+v", *e, *e2)
		}
		b2, err := json.Marshal(e2)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("second marshalling differs (%v):\n%s\n%s", err, b, b2)
		}
	})
}

// normalized maps the empty values of omitempty fields to nil: the JSON
// form leaves them out, so they come back as nil.
func normalized(e Evidence) Evidence {
	if len(e.PublicKey) == 0 {
		e.PublicKey = nil
	}
	if len(e.Certificates) == 0 {
		e.Certificates = nil
	}
	if len(e.NodeKey) == 0 {
		e.NodeKey = nil
	}
	return e
}
