package wasm

// memory is the module's exported memory, for tests.
func (i *Instance) memory() []byte {
	if i.inst == nil {
		return nil
	}
	ex := i.inst.GetExport(i.store, "memory")
	if ex == nil || ex.Memory() == nil {
		return nil
	}
	return ex.Memory().UnsafeData(i.store)
}
