package image

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
)

// File is an extra host file to put into the image.
type File struct {
	// HostPath is the file to read on the build host.
	HostPath string
	// GuestPath is the absolute path of the file inside the image.
	GuestPath string
}

// BuildOptions describes the image that Build writes.
type BuildOptions struct {
	// Ref is the image reference, e.g. "example.com/hello:1". It is
	// normalized with ParseReference.
	Ref string
	// Module is the host path of the WebAssembly core module.
	Module string
	// ModuleGuestPath is where the module goes inside the image. The
	// default is "/" followed by the base name of Module.
	ModuleGuestPath string
	// Files are extra files to add next to the module.
	Files []File
	// Entrypoint overrides the image entrypoint (default: the module's
	// guest path). It may name a function as "PATH#FUNCTION"; the string is
	// stored verbatim. PATH must be a module in the image.
	Entrypoint string
	// Env holds KEY=VALUE entries stored in the image config.
	Env []string
}

// ParseFileSpec parses a "HOST:GUEST" file specification, as given to
// "wasmtee image build --file". The last ':' separates the two parts, so
// HOST may itself contain ':'. GUEST must be an absolute, clean path.
func ParseFileSpec(spec string) (File, error) {
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return File{}, fmt.Errorf("%w %q: want HOST:GUEST, e.g. data.txt:/etc/data.txt", ErrInvalidFileSpec, spec)
	}
	f := File{HostPath: spec[:i], GuestPath: spec[i+1:]}
	if f.HostPath == "" {
		return File{}, fmt.Errorf("%w %q: empty host path", ErrInvalidFileSpec, spec)
	}
	if f.GuestPath == "" {
		return File{}, fmt.Errorf("%w %q: empty guest path", ErrInvalidFileSpec, spec)
	}
	if err := checkGuestPath(f.GuestPath); err != nil {
		return File{}, fmt.Errorf("%w %q: %w", ErrInvalidFileSpec, spec, err)
	}
	return f, nil
}

// checkGuestPath reports whether p is usable as a file path in the image:
// absolute, clean, without "..", and not the root itself.
func checkGuestPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty", ErrInvalidGuestPath)
	case strings.IndexByte(p, 0) >= 0:
		return fmt.Errorf("%w %q: contains a NUL byte", ErrInvalidGuestPath, p)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%w %q: must be absolute (start with /)", ErrInvalidGuestPath, p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == ".." {
			return fmt.Errorf("%w %q: must not contain '..'", ErrInvalidGuestPath, p)
		}
	}
	if p == "/" {
		return fmt.Errorf("%w %q: must name a file, not the root directory", ErrInvalidGuestPath, p)
	}
	if c := path.Clean(p); c != p {
		return fmt.Errorf("%w %q: not a clean path (did you mean %q?)", ErrInvalidGuestPath, p, c)
	}
	return nil
}

// entry is one file to put into the layer, before its content is read.
type entry struct {
	host  string
	guest string
	what  string // "module" or "file", for error messages
}

// plan is BuildOptions after validation of everything that does not need
// the file system.
type plan struct {
	ref        Reference
	entries    []entry // entries[0] is the module
	entrypoint string
	entryFile  string // guest path part of entrypoint
	env        []string
}

// validate checks opts without touching the file system.
func validate(opts BuildOptions) (*plan, error) {
	ref, err := ParseReference(opts.Ref)
	if err != nil {
		return nil, err
	}
	if opts.Module == "" {
		return nil, fmt.Errorf("no module given")
	}
	moduleGuest := opts.ModuleGuestPath
	if moduleGuest == "" {
		moduleGuest = "/" + filepath.Base(opts.Module)
	}
	if err := checkGuestPath(moduleGuest); err != nil {
		return nil, fmt.Errorf("module %s: %w", opts.Module, err)
	}

	p := &plan{ref: ref}
	p.entries = append(p.entries, entry{host: opts.Module, guest: moduleGuest, what: "module"})
	for _, f := range opts.Files {
		if f.HostPath == "" {
			return nil, fmt.Errorf("%w: empty host path for guest path %q", ErrInvalidFileSpec, f.GuestPath)
		}
		if err := checkGuestPath(f.GuestPath); err != nil {
			return nil, fmt.Errorf("file %s: %w", f.HostPath, err)
		}
		p.entries = append(p.entries, entry{host: f.HostPath, guest: f.GuestPath, what: "file"})
	}
	if err := checkPathConflicts(p.entries); err != nil {
		return nil, err
	}

	if p.env, err = checkEnv(opts.Env); err != nil {
		return nil, err
	}

	p.entrypoint, p.entryFile = moduleGuest, moduleGuest
	if opts.Entrypoint != "" {
		if p.entryFile, err = checkEntrypoint(opts.Entrypoint, p.entries); err != nil {
			return nil, err
		}
		p.entrypoint = opts.Entrypoint
	}
	return p, nil
}

// checkPathConflicts rejects two entries with the same guest path, and an
// entry whose guest path is a parent directory of another entry.
func checkPathConflicts(entries []entry) error {
	byGuest := make(map[string]entry, len(entries))
	for _, e := range entries {
		if prev, ok := byGuest[e.guest]; ok {
			return fmt.Errorf("%w %s: used by %s %s and %s %s", ErrDuplicatePath, e.guest, prev.what, prev.host, e.what, e.host)
		}
		byGuest[e.guest] = e
	}
	for _, e := range entries {
		for dir := path.Dir(e.guest); dir != "/"; dir = path.Dir(dir) {
			if prev, ok := byGuest[dir]; ok {
				return fmt.Errorf("%w %s: it is %s %s, but %s %s needs it to be a directory", ErrDuplicatePath, dir, prev.what, prev.host, e.what, e.guest)
			}
		}
	}
	return nil
}

// checkEnv validates KEY=VALUE entries and returns a copy.
func checkEnv(env []string) ([]string, error) {
	seen := make(map[string]bool, len(env))
	out := make([]string, 0, len(env))
	for _, kv := range env {
		k, _, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			return nil, fmt.Errorf("%w %q: want KEY=VALUE", ErrInvalidEnv, kv)
		case k == "":
			return nil, fmt.Errorf("%w %q: empty name", ErrInvalidEnv, kv)
		case strings.IndexByte(kv, 0) >= 0:
			return nil, fmt.Errorf("%w %q: contains a NUL byte", ErrInvalidEnv, kv)
		case seen[k]:
			return nil, fmt.Errorf("%w %q: %s is set more than once", ErrInvalidEnv, kv, k)
		}
		seen[k] = true
		out = append(out, kv)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// checkEntrypoint validates "PATH[#FUNCTION]" against the image entries and
// returns PATH.
func checkEntrypoint(ep string, entries []entry) (string, error) {
	file, fn, hasFn := strings.Cut(ep, "#")
	if hasFn && fn == "" {
		return "", fmt.Errorf("%w %q: empty function name after '#'", ErrInvalidEntrypoint, ep)
	}
	if err := checkGuestPath(file); err != nil {
		return "", fmt.Errorf("%w %q: %w", ErrInvalidEntrypoint, ep, err)
	}
	for _, e := range entries {
		if e.guest == file {
			return file, nil
		}
	}
	return "", fmt.Errorf("%w %q: %s is not a file in the image", ErrInvalidEntrypoint, ep, file)
}
