package shim

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"google.golang.org/protobuf/proto"

	runtimeoptions "github.com/containerd/containerd/api/types/runtimeoptions/v1"
	"github.com/containerd/containerd/protobuf/types"
	"github.com/containerd/typeurl/v2"
	"github.com/pelletier/go-toml/v2"
)

// Options is the runtime handler's options table in containerd's config,
//
//	[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.wasmtee.options]
//	  cache_dir = "/var/lib/wasmtee/cache"
//	  cache_max_bytes = 4294967296
//
// which containerd passes to a non-runc shim as runtimeoptions.v1.Options
// (a TOML body, or a path to a TOML file).
type Options struct {
	// CacheDir is the compile cache directory; "-" disables the cache.
	CacheDir string `toml:"cache_dir"`
	// CacheMaxBytes bounds the compile cache.
	CacheMaxBytes int64 `toml:"cache_max_bytes"`
	// TEE is the default TEE selection (see TEEAnnotation).
	TEE string `toml:"tee"`
}

// startOptionsFile keeps, in the bundle, the runtime options containerd
// wrote on the stdin of "shim start". containerd 1.x passes them only
// there; 2.x also puts them in the create request.
const startOptionsFile = "wasmtee-options.pb"

// saveStartOptions copies the runtime options on r (a serialized Any) into
// the bundle (the current directory) for Create to find. Anything else on
// stdin is not ours (containerd 2.3+ writes its bootstrap parameters there).
func saveStartOptions(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil || len(data) == 0 {
		return nil
	}
	var a types.Any
	if proto.Unmarshal(data, &a) != nil || !isRuntimeOptions(&a) {
		return nil
	}
	return os.WriteFile(startOptionsFile, data, 0o600)
}

// isRuntimeOptions reports whether a holds runtimeoptions.v1.Options, the
// only options type wasmtee reads; others (runc's, for one) are not for it.
func isRuntimeOptions(a *types.Any) bool {
	return strings.HasSuffix(a.GetTypeUrl(), "runtimeoptions.v1.Options")
}

// requestOptions are the options of a create request, or else the ones
// saved at shim start.
func requestOptions(r *taskAPI.CreateTaskRequest) (*Options, error) {
	if r.Options != nil && isRuntimeOptions(r.Options) {
		return decodeOptions(r.Options)
	}
	data, err := os.ReadFile(filepath.Join(r.Bundle, startOptionsFile))
	if err != nil {
		return nil, nil
	}
	var a types.Any
	if err := proto.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("%w: runtime options from shim start: %v", errInvalid, err)
	}
	return decodeOptions(&a)
}

// decodeOptions reads the options of a create request; nil means none.
func decodeOptions(a *types.Any) (*Options, error) {
	if a == nil || a.GetTypeUrl() == "" {
		return nil, nil
	}
	v, err := typeurl.UnmarshalAny(a)
	if err != nil {
		return nil, fmt.Errorf("%w: runtime options: %v", errInvalid, err)
	}
	ro, ok := v.(*runtimeoptions.Options)
	if !ok {
		return nil, fmt.Errorf("%w: runtime options of type %T are not wasmtee's (want runtimeoptions.v1.Options from an options table)", errInvalid, v)
	}
	body := ro.ConfigBody
	if ro.ConfigPath != "" {
		if body, err = os.ReadFile(ro.ConfigPath); err != nil {
			return nil, fmt.Errorf("%w: runtime options: %v", errInvalid, err)
		}
	}
	var o Options
	if err := toml.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("%w: runtime options: %v", errInvalid, err)
	}
	return &o, nil
}
