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

// Measure is Launch and its launch measurement: the one derivation of a
// workload's measurement, for the shim, the module host in an enclave and
// `wasmtee measure`.
func (w *Workload) Measure(moduleDigest, backend string) (measure.Launch, measure.Measurement, error) {
	l := w.Launch(moduleDigest, backend)
	m, err := measure.Measure(l)
	return l, m, err
}
