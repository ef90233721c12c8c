package host

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// mapModule maps the module file read-only and closes it: no copy of a
// large module goes through the heap, and the pages are the page cache's.
// The mapping lives as long as the module host (wasmtime copies what it
// keeps). An empty file maps to an empty slice. It also returns the
// file's stat, which it takes for the size.
func mapModule(f *os.File) ([]byte, fs.FileInfo, error) {
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if st.Size() == 0 {
		return []byte{}, st, nil
	}
	code, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
	return code, st, err
}
