// Package deploy holds the Kubernetes manifests of wasmtee; its test checks
// that they parse as YAML and say what deploy/README.md says they do. There
// is no Kubernetes cluster here: this is all the checking they get.
package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// loadYAML parses the YAML documents of file with python3's yaml module (the
// module's go.mod has no YAML parser) and returns them decoded from JSON.
func loadYAML(t *testing.T, file string) []any {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed: cannot parse the YAML files")
	}
	const script = `import json, sys
try:
    import yaml
except ImportError:
    sys.exit(3)
with open(sys.argv[1]) as f:
    json.dump(list(yaml.safe_load_all(f)), sys.stdout)
`
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", script, file)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == 3 {
			t.Skip("python3 has no yaml module (apt-get install python3-yaml): cannot parse the YAML files")
		}
		t.Fatalf("%s does not parse as YAML: %v\n%s", file, err, stderr.String())
	}
	var docs []any
	if err := json.Unmarshal(stdout.Bytes(), &docs); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return docs
}

// get walks maps and lists of a parsed document: keys are map keys, or
// list indexes as "0", "1", ...
func get(v any, path ...string) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

type want struct {
	path  string // keys separated by spaces
	value any
}

func check(t *testing.T, file string, doc any, wants []want) {
	t.Helper()
	for _, w := range wants {
		if got := get(doc, strings.Fields(w.path)...); !reflect.DeepEqual(got, w.value) {
			t.Errorf("%s: %s = %#v, want %#v", file, w.path, got, w.value)
		}
	}
}

// one returns the only document of file.
func one(t *testing.T, file string) any {
	t.Helper()
	docs := loadYAML(t, file)
	if len(docs) != 1 {
		t.Fatalf("%s: %d YAML documents, want 1", file, len(docs))
	}
	return docs[0]
}

func TestAllManifestsParse(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no YAML files: %v", err)
	}
	for _, f := range files {
		for i, d := range loadYAML(t, f) {
			for _, k := range []string{"apiVersion", "kind", "metadata name"} {
				if s, _ := get(d, strings.Fields(k)...).(string); s == "" {
					t.Errorf("%s: document %d has no %s", f, i, k)
				}
			}
		}
	}
}

func TestRuntimeClass(t *testing.T) {
	check(t, "runtimeclass.yaml", one(t, "runtimeclass.yaml"), []want{
		{"apiVersion", "node.k8s.io/v1"},
		{"kind", "RuntimeClass"},
		{"metadata name", "wasmtee"},
		{"handler", "wasmtee"},
		{"scheduling nodeSelector wasmtee.io/enabled", "true"},
	})
}

func TestInstaller(t *testing.T) {
	d := one(t, "installer.yaml")
	c := "spec template spec containers 0 "
	check(t, "installer.yaml", d, []want{
		{"apiVersion", "apps/v1"},
		{"kind", "DaemonSet"},
		{"metadata namespace", "kube-system"},
		{c + "image", "ghcr.io/wasmtee/installer:latest"},
		{c + "securityContext privileged", true},
		{c + "volumeMounts 0 name", "host"},
		{c + "volumeMounts 0 mountPath", "/host"},
		{"spec selector matchLabels app.kubernetes.io/name", "wasmtee-installer"},
		{"spec template spec volumes 0 name", "host"},
		{"spec template spec volumes 0 hostPath path", "/"},
		{"spec template metadata labels app.kubernetes.io/name", get(d, "spec", "selector", "matchLabels", "app.kubernetes.io/name")},
	})
	cmd, _ := get(d, "spec", "template", "spec", "containers", "0", "command").([]any)
	script := ""
	for _, a := range cmd {
		s, _ := a.(string)
		script += s + "\n"
	}
	for _, s := range []string{"/bin/sh", "wasmtee install --root /host", "exec sleep infinity"} {
		if !strings.Contains(script, s) {
			t.Errorf("installer.yaml: command %q does not contain %q", script, s)
		}
	}
	// The image the DaemonSet runs is the one installer.Dockerfile builds.
	df, err := os.ReadFile("installer.Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"FROM busybox:", "COPY bin/containerd-shim-wasmtee-v1 bin/wasmtee-shim bin/wasmtee-module-host bin/wasmtee /usr/local/bin/"} {
		if !bytes.Contains(df, []byte(s)) {
			t.Errorf("installer.Dockerfile does not contain %q", s)
		}
	}
	if y, _ := os.ReadFile("installer.yaml"); !bytes.Contains(y, []byte("deploy/installer.Dockerfile")) {
		t.Error("installer.yaml does not say which Dockerfile builds its image")
	}
}

func TestHello(t *testing.T) {
	d := one(t, "hello.yaml")
	c := "spec template spec containers 0 "
	check(t, "hello.yaml", d, []want{
		{"apiVersion", "apps/v1"},
		{"kind", "Deployment"},
		{"spec replicas", float64(2)},
		{"spec selector matchLabels app.kubernetes.io/name", "hello"},
		{"spec template spec runtimeClassName", "wasmtee"},
		{c + "image", "example.com/hello:1"},
		{c + "command", []any{"/hello.wasm"}},
		{c + "resources limits memory", "64Mi"},
		{c + "resources limits cpu", "100m"},
		{"spec template metadata labels app.kubernetes.io/name", get(d, "spec", "selector", "matchLabels", "app.kubernetes.io/name")},
	})
}
