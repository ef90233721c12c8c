package shim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/pelletier/go-toml/v2"

	"github.com/wasmtee/wasmtee/shim/bootstrap"
	"github.com/wasmtee/wasmtee/shim/taskapi"
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

// startOptionsFile is where "shim start" (shim/bootstrap) saves, in the
// bundle, the runtime options containerd wrote on its stdin. containerd
// 1.x passes them only there; 2.x also puts them in the create request.
const startOptionsFile = bootstrap.OptionsFile

// isRuntimeOptions reports whether a holds runtimeoptions.v1.Options, the
// only options type wasmtee reads; others (runc's, for one) are not for it.
func isRuntimeOptions(a *taskapi.Any) bool {
	return bootstrap.IsRuntimeOptions(a.TypeURL)
}

// requestOptions are the runtime options of a create request (containerd
// 2.x puts them there), or else the ones its "shim start" saved in the
// bundle (the only place containerd 1.x passes them). Options of another
// type are ignored, with a warning.
//
// Each container's start saves its own copy, and the request carries its
// own, so they arrive with every create. Under CRI they are the same for
// every container of a pod (one runtime handler), but a shim can outlive a
// containerd restart with a changed handler, and a client other than CRI
// may group containers into one shim with any options. So they are not
// fixed at the shim's first create: they are decoded once per shim for
// each distinct serialized value (shimOptions), and a file that
// ConfigPath names is read when its value is first decoded.
func requestOptions(ctx context.Context, r *taskapi.CreateTaskRequest) (*Options, error) {
	return shimOptions.forCreate(ctx, r)
}

// shimOptions holds the runtime options decoded by this shim process.
var shimOptions = newOptionsCache()

// maxCachedOptions bounds optionsCache.decoded; a handler's creates all
// carry the same value, so more than a few means a client sends many.
const maxCachedOptions = 16

// optionsCache maps serialized runtime options to their decoded value, and
// remembers which unexpected option types have been warned about.
type optionsCache struct {
	mu      sync.Mutex
	decoded map[string]Options
	warned  map[string]bool
}

func newOptionsCache() *optionsCache {
	return &optionsCache{decoded: map[string]Options{}, warned: map[string]bool{}}
}

func (c *optionsCache) forCreate(ctx context.Context, r *taskapi.CreateTaskRequest) (*Options, error) {
	if a := r.Options; a != nil && a.TypeURL != "" {
		if isRuntimeOptions(a) {
			return c.decode("request\x00"+a.TypeURL+"\x00"+string(a.Value), func() (*taskapi.Any, error) { return a, nil })
		}
		c.warnType(ctx, r.ID, a.TypeURL, "the create request")
	}
	data, err := os.ReadFile(filepath.Join(r.Bundle, startOptionsFile))
	if err != nil {
		return nil, nil
	}
	return c.decode("start\x00"+string(data), func() (*taskapi.Any, error) {
		a, err := taskapi.UnmarshalAny(data)
		if err != nil {
			return nil, fmt.Errorf("%w: runtime options from shim start (%s): %w", errInvalid, startOptionsFile, err)
		}
		if !isRuntimeOptions(a) {
			c.warnType(ctx, r.ID, a.TypeURL, "shim start")
			return nil, nil
		}
		return a, nil
	})
}

// decode returns the options serialized as key, decoding them with the Any
// that get returns unless they have been before. Failures are not kept: a
// missing ConfigPath file, say, may be there for the next create.
func (c *optionsCache) decode(key string, get func() (*taskapi.Any, error)) (*Options, error) {
	c.mu.Lock()
	o, ok := c.decoded[key]
	c.mu.Unlock()
	if ok {
		return &o, nil
	}
	a, err := get()
	if err != nil || a == nil {
		return nil, err
	}
	p, err := decodeOptions(a)
	if err != nil || p == nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.decoded) >= maxCachedOptions {
		clear(c.decoded)
	}
	c.decoded[key] = *p
	c.mu.Unlock()
	return p, nil
}

// warnType logs, once per shim for each type URL, that runtime options of
// a type wasmtee does not read were ignored.
func (c *optionsCache) warnType(ctx context.Context, id, typeURL, from string) {
	c.mu.Lock()
	seen := c.warned[typeURL]
	c.warned[typeURL] = true
	c.mu.Unlock()
	if !seen {
		logger(ctx, id).WithField("type_url", typeURL).Warnf("ignoring runtime options of type %q from %s: wasmtee reads only runtimeoptions.v1.Options (a runtime handler's options table)", typeURL, from)
	}
}

// decodeOptions reads the options of a create request; nil means none.
func decodeOptions(a *taskapi.Any) (*Options, error) {
	if a == nil || a.TypeURL == "" {
		return nil, nil
	}
	if !isRuntimeOptions(a) {
		return nil, fmt.Errorf("%w: runtime options of type %q are not wasmtee's (want runtimeoptions.v1.Options from an options table)", errInvalid, a.TypeURL)
	}
	ro, err := taskapi.UnmarshalRuntimeOptions(a.Value)
	if err != nil {
		return nil, fmt.Errorf("%w: runtime options: %w", errInvalid, err)
	}
	body := ro.ConfigBody
	if ro.ConfigPath != "" {
		if body, err = os.ReadFile(ro.ConfigPath); err != nil {
			return nil, fmt.Errorf("%w: runtime options: %w", errInvalid, err)
		}
	}
	var o Options
	if err := toml.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("%w: runtime options: %w", errInvalid, err)
	}
	return &o, nil
}
