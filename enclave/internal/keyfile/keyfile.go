// Package keyfile keeps the node's private key files (the process
// backend's node key, the sgx backend's enclave signing key) under the same
// rules.
//
// Reading (Open, Read) refuses a file that is not a regular file (a final
// symbolic link included: it is not followed), that group or others may
// read or write, or that another user than the process's effective user
// owns; the checks are made on the open file.
//
// Writing (Publish) is atomic and race-free: the key is written to a new
// temporary file (O_EXCL, mode 0600) in the key's directory, synced, and
// hard-linked to its name, which fails if the name exists; then the
// directory is synced. So a reader never sees a partial file, and of
// concurrent creators (several shims starting at once) exactly one wins.
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// Open opens the key file at path for reading and checks it (see the
// package documentation). what names the key in errors ("node key"). A
// missing file gives an error that matches fs.ErrNotExist.
func Open(path, what string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("%s %s is a symbolic link: refusing it", what, path)
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s %s does not exist: %w", what, path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("open %s: %w", what, err)
	}
	if err := checkPrivate(f, path, what); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Read reads the key file at path (see Open), refusing one larger than
// max bytes.
func Read(path, what string, max int64) ([]byte, error) {
	f, err := Open(path, what)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s %s: file is too large to be a key (more than %d bytes)", what, path, max)
	}
	return data, nil
}

// checkPrivate checks, on the open file, that it is a regular file private
// to this process's user.
func checkPrivate(f *os.File, path, what string) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %s %s: %w", what, path, err)
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s %s is not a regular file (%s)", what, path, st.Mode().Type())
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s %s is accessible by group or others (mode %04o): refusing it; make it private with chmod 600", what, path, perm)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		if euid := os.Geteuid(); int(sys.Uid) != euid {
			return fmt.Errorf("%s %s is owned by uid %d, not by this process's uid %d: refusing it", what, path, sys.Uid, euid)
		}
	}
	return nil
}
