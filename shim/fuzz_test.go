package shim

import (
	"reflect"
	"testing"

	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/containerd/errdefs"
	"github.com/pelletier/go-toml/v2"
)

// FuzzDecodeOptions puts arbitrary TOML, as the ConfigBody of the
// runtimeoptions.v1.Options containerd sends, through decodeOptions: it
// never panics, refuses with an invalid-argument error, and what it accepts
// marshals back to TOML that decodes to the same options.
func FuzzDecodeOptions(f *testing.F) {
	for _, s := range []string{
		"cache_dir = \"/var/lib/wasmtee/cache\"\ncache_max_bytes = 4294967296\n",
		"cache_dir = \"-\"\ntee = \"require:tsm\"\n",
		"tee = 'process'\n[extra]\nkey = 1\n",
		"cache_max_bytes = -1\n",
		"cache_max_bytes = 1e3\n",
		"cache_max_bytes = 99999999999999999999\n",
		"cache_dir = [\n",
		"cache_dir = \"\\u0000\\uD800\"\n",
		"ConfigPath = \"/etc/wasmtee/wasmtee.toml\"\n",
		"a.b.c = 1\n[[cache_dir]]\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := decodeOptions(optionsAny(t, &runtimeoptions.Options{ConfigBody: body}))
		if err != nil {
			if o != nil {
				t.Fatalf("options and error %v", err)
			}
			if !errdefs.IsInvalidArgument(err) {
				t.Fatalf("error %v is not an invalid argument", err)
			}
			return
		}
		if o == nil {
			t.Fatal("no options and no error for a ConfigBody")
		}
		b, err := toml.Marshal(o)
		if err != nil {
			t.Fatalf("accepted options do not marshal: %v", err)
		}
		o2, err := decodeOptions(optionsAny(t, &runtimeoptions.Options{ConfigBody: b}))
		if err != nil {
			t.Fatalf("re-marshalled options are refused: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(o, o2) {
			t.Fatalf("round trip changed the options: %+v -> %+v\n%s", o, o2, b)
		}
	})
}
