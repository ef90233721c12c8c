package oci

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ModuleOrigin names the file a container's module was opened from when it
// lies in an image layer: a committed snapshot directory that containerd
// never writes again. With the file's inode, size, mtime and ctime it
// identifies the module's content on this node: any write or replacement
// changes the ctime, which no one can set back. The module host keeps the
// module's digest under it (wasm.Cache), so that a later start of the same
// file need not hash it again.
type ModuleOrigin struct {
	Layer string `json:"layer"` // the layer directory on the host
	Path  string `json:"path"`  // the file, relative to Layer
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"` // ns
	Ctime int64  `json:"ctime"` // ns
}

// Key is the string the digest is filed under.
func (o *ModuleOrigin) Key() string {
	return fmt.Sprintf("%s\x00%s\x00%d\x00%d\x00%d\x00%d", o.Layer, o.Path, o.Ino, o.Size, o.Mtime, o.Ctime)
}

// Matches reports whether fi, the stat of an open module, is the file o
// names: the same inode, size and times (overlayfs reports a lower file's
// own inode number and times; a copied-up one gets a new ctime).
func (o *ModuleOrigin) Matches(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Ino == o.Ino && st.Size == o.Size && st.Mtim.Nano() == o.Mtime && st.Ctim.Nano() == o.Ctime
}

// Mount is a rootfs mount as containerd passes it.
type Mount struct {
	Type    string
	Source  string
	Options []string
}

// ImageLayers are the read-only layer directories of a rootfs made from
// mounts, topmost first: an overlay's lowerdirs, or the source of a
// read-only bind mount (a single-layer view). A writable bind (the native
// snapshotter's active snapshot) has none.
func ImageLayers(mounts []Mount) []string {
	if len(mounts) != 1 {
		return nil
	}
	m := mounts[0]
	switch m.Type {
	case "overlay":
		for _, o := range m.Options {
			if v, ok := strings.CutPrefix(o, "lowerdir="); ok {
				return strings.Split(v, ":")
			}
		}
	case "bind":
		for _, o := range m.Options {
			if o == "ro" {
				return []string{m.Source}
			}
		}
	}
	return nil
}

// OpenModuleOrigin is OpenModule that also says which image layer file the
// module is, when it is one (nil otherwise: a file the container wrote, a
// rootfs without layers, a layer on another file system).
func OpenModuleOrigin(rootfs, guestPath string, layers []string) (*os.File, *ModuleOrigin, error) {
	f, rel, err := openResolved(rootfs, guestPath)
	if err != nil || len(layers) == 0 {
		return f, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		return f, nil, nil
	}
	for _, l := range layers {
		if !filepath.IsAbs(l) {
			continue
		}
		if o := originIn(l, rel, fi); o != nil {
			return f, o, nil
		}
	}
	return f, nil, nil
}

// originIn is the origin of the file rel in layer if it is the open module
// (module): same inode, size and times. Symlinks are followed only inside
// the layer.
func originIn(layer, rel string, module fs.FileInfo) *ModuleOrigin {
	root, err := os.OpenRoot(layer)
	if err != nil {
		return nil
	}
	defer root.Close()
	fi, err := root.Stat(rel)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	lst, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	o := &ModuleOrigin{Layer: layer, Path: rel, Ino: lst.Ino, Size: lst.Size, Mtime: lst.Mtim.Nano(), Ctime: lst.Ctim.Nano()}
	if !o.Matches(module) {
		return nil
	}
	return o
}
