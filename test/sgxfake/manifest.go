package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// manifestMain is gramine-manifest TEMPLATE OUTPUT.
func manifestMain(args []string) error {
	if len(args) != 2 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: gramine-manifest TEMPLATE OUTPUT (the fake takes no options)")
	}
	h, err := home()
	if err != nil {
		return err
	}
	tmpl, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	out, err := render(string(tmpl), h)
	if err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	var v map[string]any
	if err := toml.Unmarshal([]byte(out), &v); err != nil {
		return fmt.Errorf("%s: rendered manifest is not TOML: %w", args[0], err)
	}
	return os.WriteFile(args[1], []byte(out), 0o644)
}

var jinja = regexp.MustCompile(`\{\{.*?\}\}|\{%|\{#`)

// render substitutes the Jinja expressions the fake knows and refuses the
// rest.
func render(tmpl, h string) (string, error) {
	known := map[string]string{
		"{{ gramine.libos }}":        libosPath(h),
		"{{ gramine.runtimedir() }}": runtimeDir(h),
	}
	var bad []string
	out := jinja.ReplaceAllStringFunc(tmpl, func(m string) string {
		if v, ok := known[m]; ok {
			return v
		}
		bad = append(bad, m)
		return m
	})
	if len(bad) > 0 {
		return "", fmt.Errorf("template syntax the fake does not implement: %q", bad)
	}
	return out, nil
}

// manifest is the part of a (rendered, or signed) manifest the fake uses.
type manifest struct {
	raw map[string]any

	entrypoint string // libos.entrypoint
	argv       []string
	env        []envVar
	logFile    string
	uid, gid   int64
	mounts     []mount
	trusted    []trustedFile
	allowed    []string // URIs
	debug      bool
	attestType string // sgx.remote_attestation: "dcap" or "none"
	isvProdID  int64
	isvSvn     int64
}

type envVar struct {
	name, value string
	passthrough bool
}

type mount struct {
	typ, path, uri string
}

type trustedFile struct {
	uri, sha256 string
}

// parseManifest reads the keys the fake implements, with Gramine's
// defaults, and refuses what it cannot do faithfully.
func parseManifest(data []byte) (*manifest, error) {
	var raw map[string]any
	if err := toml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("manifest is not TOML: %w", err)
	}
	m := &manifest{raw: raw, attestType: "none"}
	var err error
	str := func(key string) string {
		v, _ := lookup(raw, key).(string)
		return v
	}
	num := func(key string) int64 {
		v, _ := lookup(raw, key).(int64)
		return v
	}
	if m.entrypoint = str("libos.entrypoint"); m.entrypoint == "" || !filepath.IsAbs(m.entrypoint) {
		return nil, fmt.Errorf("libos.entrypoint %q: the fake needs an absolute path", m.entrypoint)
	}
	if lookup(raw, "loader.insecure__use_cmdline_argv") != nil || lookup(raw, "loader.argv_src_file") != nil ||
		lookup(raw, "loader.insecure__use_host_env") != nil || lookup(raw, "loader.env_src_file") != nil {
		return nil, errors.New("the fake implements loader.argv and loader.env only")
	}
	m.argv = []string{m.entrypoint}
	if a := lookup(raw, "loader.argv"); a != nil {
		if m.argv, err = strings_(a, "loader.argv"); err != nil {
			return nil, err
		}
	}
	if env, ok := lookup(raw, "loader.env").(map[string]any); ok {
		for name, v := range env {
			switch v := v.(type) {
			case string:
				m.env = append(m.env, envVar{name: name, value: v})
			case map[string]any:
				val, hasVal := v["value"].(string)
				pass, hasPass := v["passthrough"].(bool)
				switch {
				case hasVal && hasPass:
					return nil, fmt.Errorf("loader.env.%s: both value and passthrough", name)
				case hasVal:
					m.env = append(m.env, envVar{name: name, value: val})
				case hasPass && pass:
					m.env = append(m.env, envVar{name: name, passthrough: true})
				default:
					return nil, fmt.Errorf("loader.env.%s: want a value or passthrough = true (Gramine refuses passthrough = false)", name)
				}
			default:
				return nil, fmt.Errorf("loader.env.%s: %T", name, v)
			}
		}
	}
	m.logFile = str("loader.log_file")
	m.uid, m.gid = num("loader.uid"), num("loader.gid")
	if ms, ok := lookup(raw, "fs.mounts").([]any); ok {
		for i, e := range ms {
			t, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("fs.mounts[%d] is not a table", i)
			}
			mt := mount{typ: "chroot"}
			if s, ok := t["type"].(string); ok {
				mt.typ = s
			}
			mt.path, _ = t["path"].(string)
			mt.uri, _ = t["uri"].(string)
			if !filepath.IsAbs(mt.path) {
				return nil, fmt.Errorf("fs.mounts[%d]: path %q is not absolute", i, mt.path)
			}
			if mt.typ != "chroot" {
				return nil, fmt.Errorf("fs.mounts[%d]: type %q is not implemented by the fake (only chroot)", i, mt.typ)
			}
			if !strings.HasPrefix(mt.uri, "file:") {
				return nil, fmt.Errorf("fs.mounts[%d]: uri %q is not file:", i, mt.uri)
			}
			m.mounts = append(m.mounts, mt)
		}
	}
	if tf, ok := lookup(raw, "sgx.trusted_files").([]any); ok {
		for i, e := range tf {
			switch e := e.(type) {
			case string:
				m.trusted = append(m.trusted, trustedFile{uri: e})
			case map[string]any:
				uri, _ := e["uri"].(string)
				sum, _ := e["sha256"].(string)
				m.trusted = append(m.trusted, trustedFile{uri: uri, sha256: sum})
			default:
				return nil, fmt.Errorf("sgx.trusted_files[%d]: %T", i, e)
			}
		}
	}
	if a := lookup(raw, "sgx.allowed_files"); a != nil {
		if m.allowed, err = strings_(a, "sgx.allowed_files"); err != nil {
			return nil, err
		}
	}
	m.debug, _ = lookup(raw, "sgx.debug").(bool)
	if t := str("sgx.remote_attestation"); t != "" {
		m.attestType = t
	}
	m.isvProdID, m.isvSvn = num("sgx.isvprodid"), num("sgx.isvsvn")
	return m, nil
}

// lookup finds a dotted key.
func lookup(v map[string]any, dotted string) any {
	var cur any = v
	for _, k := range strings.Split(dotted, ".") {
		t, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = t[k]
	}
	return cur
}

func strings_(v any, what string) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an array", what)
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is not a string", what, i)
		}
		out[i] = s
	}
	return out, nil
}

// uriPath is the host path of a file: URI, relative URIs being relative
// to the current directory (where the tools run).
func uriPath(uri string) (string, error) {
	p, ok := strings.CutPrefix(uri, "file:")
	if !ok || p == "" {
		return "", fmt.Errorf("URI %q is not file:PATH", uri)
	}
	return filepath.Abs(p)
}
