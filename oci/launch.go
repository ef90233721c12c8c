package oci

import "github.com/wasmtee/wasmtee/enclave/measure"

// Launch is the measured launch configuration of w, whose module has the
// given hex SHA-256, under a TEE backend. The shim and `wasmtee measure`
// both derive it here, so that they agree.
func (w *Workload) Launch(moduleDigest, backend string) measure.Launch {
	l := measure.Launch{
		Module:      moduleDigest,
		Entry:       w.Entry,
		Args:        w.Args,
		Env:         w.Env,
		MemoryLimit: uint64(w.MemoryLimit),
		Backend:     backend,
	}
	for _, p := range w.Preopens {
		l.Preopens = append(l.Preopens, measure.Preopen{Guest: p.Guest, ReadOnly: p.ReadOnly})
	}
	return l
}
