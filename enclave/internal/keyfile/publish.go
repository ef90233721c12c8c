package keyfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Publish makes the key file at path hold data (see the package
// documentation), creating its directory with mode 0700 if it is missing.
// If path exists already, another creator won: the error matches
// fs.ErrExist, and the caller should load the key that is there.
func Publish(path, what string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s directory: %w", what, err)
	}
	// os.CreateTemp opens with O_CREATE|O_EXCL and mode 0600.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeSynced(tmp, data); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s %s was created by another process: %w", what, path, err)
		}
		return fmt.Errorf("create %s: %w", what, err)
	}
	// The new name is durable once the directory is.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("create %s: %w", what, err)
	}
	return nil
}

// writeSynced writes data to f, syncs and closes it.
func writeSynced(f *os.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
