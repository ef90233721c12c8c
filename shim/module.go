package shim

import (
	"os"

	"github.com/wasmtee/wasmtee/shim/taskapi"

	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/oci"
)

// openModule opens the workload's module inside the mounted rootfs and
// records in w which image layer file it is, if it is one, so that the
// module host can take the module's digest from the compile cache instead
// of hashing it again (see oci.ModuleOrigin).
func openModule(rootfs string, mounts []*taskapi.Mount, w *oci.Workload) (*os.File, error) {
	ms := make([]oci.Mount, 0, len(mounts))
	for _, m := range mounts {
		ms = append(ms, oci.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
	}
	f, origin, err := oci.OpenModuleOrigin(rootfs, w.ModulePath, oci.ImageLayers(ms))
	if err != nil {
		return nil, err
	}
	w.Origin = origin
	return f, nil
}

// digestFrom says, for the create log, where the module host got the
// module's digest from.
func digestFrom(info enclave.LoadInfo) string {
	switch {
	case info.Digest == "":
		return ""
	case info.DigestKnown:
		return "cached"
	default:
		return "hashed"
	}
}
