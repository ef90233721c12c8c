package host

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapModule maps the module file read-only and closes it: no copy of a
// large module goes through the heap, and the pages are the page cache's.
// The mapping lives as long as the module host (wasmtime copies what it
// keeps). An empty file maps to an empty slice.
func mapModule(f *os.File) ([]byte, error) {
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 {
		return []byte{}, nil
	}
	return unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_PRIVATE)
}
