package image

import (
	"errors"
	"fmt"
	"os"
)

// content is a file to put into the layer, with its bytes.
type content struct {
	guest string
	data  []byte
}

// readEntries reads every entry of p from the host and checks that the
// module, and the entrypoint file if different, are core WebAssembly
// modules. Contents are held in memory so that what is hashed is exactly
// what is written, even if a host file changes during the build.
func readEntries(p *plan) ([]content, error) {
	out := make([]content, 0, len(p.entries))
	for i, e := range p.entries {
		data, err := readRegular(e.host)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", e.what, e.host, err)
		}
		label := ""
		switch {
		case i == 0:
			label = "module " + e.host
		case e.guest == p.entryFile:
			label = "entrypoint " + e.guest + " (" + e.host + ")"
		}
		if label != "" {
			if err := checkWasm(label, data); err != nil {
				return nil, err
			}
		}
		out = append(out, content{guest: e.guest, data: data})
	}
	return out, nil
}

// readRegular reads a regular file, following symbolic links.
func readRegular(name string) ([]byte, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	if !fi.Mode().IsRegular() {
		what := "special file"
		if fi.IsDir() {
			what = "directory"
		}
		return nil, fmt.Errorf("%w (it is a %s)", ErrNotRegular, what)
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	return data, nil
}

// unwrapPathError drops the "stat NAME:" prefix of an *os.PathError, since
// callers already name the file; the cause (e.g. os.ErrNotExist) is kept.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
