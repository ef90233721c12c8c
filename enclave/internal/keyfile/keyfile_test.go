package keyfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k")
	if _, err := Read(path, "test key", 10); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "test key "+path+" does not exist") {
		t.Errorf("missing: %v", err)
	}
	os.WriteFile(path, []byte("0123456789"), 0o600)
	if data, err := Read(path, "test key", 10); err != nil || string(data) != "0123456789" {
		t.Errorf("Read = %q, %v", data, err)
	}
	if _, err := Read(path, "test key", 9); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("larger than max: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{"group readable", func(p string) { os.WriteFile(p, nil, 0o600); os.Chmod(p, 0o640) }, "test key P is accessible by group or others (mode 0640)"},
		{"world readable", func(p string) { os.WriteFile(p, nil, 0o600); os.Chmod(p, 0o604) }, "accessible by group or others (mode 0604)"},
		{"group writable", func(p string) { os.WriteFile(p, nil, 0o600); os.Chmod(p, 0o620) }, "accessible by group or others (mode 0620)"},
		{"symlink", func(p string) { os.WriteFile(p+".real", nil, 0o600); os.Symlink(p+".real", p) }, "test key P is a symbolic link"},
		{"directory", func(p string) { os.Mkdir(p, 0o700) }, "test key P is not a regular file"},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, struct {
			name  string
			setup func(path string)
			want  string
		}{"other owner", func(p string) { os.WriteFile(p, nil, 0o600); os.Chown(p, 4242, -1) }, "test key P is owned by uid 4242, not by this process's uid 0"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "k")
			tt.setup(path)
			want := strings.ReplaceAll(tt.want, "P", path)
			f, err := Open(path, "test key")
			if err == nil {
				f.Close()
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Open: %v, want an error containing %q", err, want)
			}
			if _, err := Read(path, "test key", 100); err == nil {
				t.Error("Read accepted the file")
			}
		})
	}
}

func TestPublish(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	path := filepath.Join(dir, "k")
	if err := Publish(path, "test key", []byte("first")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", st, err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("key directory: %v %v", st, err)
	}
	// A second creator loses and leaves the first key alone.
	if err := Publish(path, "test key", []byte("second")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Publish: %v, want fs.ErrExist", err)
	}
	if data, err := Read(path, "test key", 100); err != nil || string(data) != "first" {
		t.Errorf("after the second Publish: %q %v", data, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestPublishConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	const n = 8
	won := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := Publish(path, "test key", []byte(fmt.Sprint(i)))
			switch {
			case err == nil:
				won[i] = true
			case !errors.Is(err, fs.ErrExist):
				t.Errorf("Publish %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var winners []int
	for i, w := range won {
		if w {
			winners = append(winners, i)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("winners %v, want exactly one", winners)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, []byte(fmt.Sprint(winners[0]))) {
		t.Errorf("the file holds %q, not the winner's key", data)
	}
}
