package wasm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/wasmtee/wasmtee/oci"
)

const wasiModule = "wasi_snapshot_preview1"

// Instance is a module checked against its WASI configuration and ready to
// run. Prepare does every check that can fail before the container starts;
// Run only instantiates and calls the entry function.
type Instance struct {
	store  *wasmtime.Store
	linker *wasmtime.Linker
	module *wasmtime.Module
	entry  string
	inst   *wasmtime.Instance
}

// HostCalls are the host's services to the module (see defineHostCalls).
type HostCalls struct {
	Evidence EvidenceFunc
	// Warn reports a host call's failure (the module only sees an error
	// code); nil discards it.
	Warn func(error)
}

// Prepare builds the store, WASI context and linker for w and checks that
// every import of the module is provided and that the entry function is
// exported. The process's own stdin, stdout and stderr become the module's.
func Prepare(e *Engine, l *Loaded, w *oci.Workload, hc HostCalls) (*Instance, error) {
	if err := checkEntry(l.Module, w.Entry, w.ModulePath); err != nil {
		return nil, err
	}
	wasi, err := wasiConfig(w)
	if err != nil {
		return nil, err
	}
	store := wasmtime.NewStore(e.Engine)
	store.SetWasi(wasi)
	store.Limiter(memoryLimit(w.MemoryLimit), -1, -1, -1, -1)
	linker := wasmtime.NewLinker(e.Engine)
	if err := linker.DefineWasi(); err != nil {
		store.Close()
		return nil, fmt.Errorf("define WASI: %w", err)
	}
	warn := hc.Warn
	if warn == nil {
		warn = func(error) {}
	}
	if err := defineHostCalls(linker, hc.Evidence, warn); err != nil {
		store.Close()
		return nil, fmt.Errorf("define wasmtee host calls: %w", err)
	}
	inst := &Instance{store: store, linker: linker, module: l.Module, entry: w.Entry}
	if err := inst.checkImports(); err != nil {
		inst.Close()
		return nil, err
	}
	return inst, nil
}

func memoryLimit(limit int64) int64 {
	if limit <= 0 {
		return -1
	}
	return limit
}

func wasiConfig(w *oci.Workload) (*wasmtime.WasiConfig, error) {
	c := wasmtime.NewWasiConfig()
	c.SetArgv(w.Args)
	keys := make([]string, 0, len(w.Env))
	vals := make([]string, 0, len(w.Env))
	for _, kv := range w.Env {
		k, v, _ := strings.Cut(kv, "=")
		keys, vals = append(keys, k), append(vals, v)
	}
	c.SetEnv(keys, vals)
	c.InheritStdin()
	c.InheritStdout()
	c.InheritStderr()
	for _, p := range w.Preopens {
		dirPerms, filePerms := wasmtime.DIR_READ, wasmtime.FILE_READ
		if !p.ReadOnly {
			dirPerms |= wasmtime.DIR_WRITE
			filePerms |= wasmtime.FILE_WRITE
		}
		if err := c.PreopenDir(p.Host, p.Guest, dirPerms, filePerms); err != nil {
			return nil, fmt.Errorf("preopen %s at %s: %w", p.Host, p.Guest, err)
		}
	}
	return c, nil
}

func checkEntry(m *wasmtime.Module, entry, path string) error {
	for _, ex := range m.Exports() {
		if ex.Name() != entry {
			continue
		}
		if ex.Type().FuncType() == nil {
			return fmt.Errorf("%w: export %q is not a function", ErrInvalidModule, entry)
		}
		return nil
	}
	return fmt.Errorf("%w: no exported function %q (select another with %s#FUNCTION)", ErrInvalidModule, entry, path)
}

func (i *Instance) checkImports() error {
	var missing []string
	for _, im := range i.module.Imports() {
		name := ""
		if n := im.Name(); n != nil {
			name = *n
		}
		if i.linker.Get(i.store, im.Module(), name) == nil {
			missing = append(missing, fmt.Sprintf("%s::%s", im.Module(), name))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	hint := ""
	for _, m := range missing {
		if !strings.HasPrefix(m, wasiModule+"::") {
			hint = "; wasmtee provides WASI preview1 (" + wasiModule + ") and its own " + HostModule + " functions only"
			break
		}
	}
	return fmt.Errorf("%w: unknown import %s has not been defined%s", ErrUnsupported, strings.Join(missing, ", "), hint)
}

// Instantiate links the module. Errors here are start failures.
func (i *Instance) Instantiate() (*wasmtime.Func, error) {
	in, err := i.linker.Instantiate(i.store, i.module)
	if err != nil {
		return nil, fmt.Errorf("instantiate: %s", oneLine(err.Error()))
	}
	i.inst = in
	f := in.GetFunc(i.store, i.entry)
	if f == nil {
		return nil, fmt.Errorf("entry function %q not found", i.entry)
	}
	return f, nil
}

// Call runs f to completion and maps the outcome onto an exit status:
// proc_exit(n) -> n, return -> 0, trap -> TrapExitCode with the trap.
func (i *Instance) Call(f *wasmtime.Func) (int, error) {
	_, err := f.Call(i.store)
	return exitStatus(err)
}

// Close frees the store (and with it the WASI context's files).
func (i *Instance) Close() {
	if i.store != nil {
		i.store.Close()
	}
	if i.linker != nil {
		i.linker.Close()
	}
}

// TrapExitCode is the exit status of a module that trapped: 128+SIGABRT,
// so that a trap is told apart from SIGKILL (137).
const TrapExitCode = 134

// Trap is a module's abnormal end, with wasmtime's message and backtrace.
type Trap struct{ Message string }

func (t *Trap) Error() string { return "wasm trap: " + t.Message }

func exitStatus(err error) (int, error) {
	if err == nil {
		return 0, nil
	}
	var we *wasmtime.Error
	if errors.As(err, &we) {
		if code, ok := we.ExitStatus(); ok {
			return int(code), nil
		}
	}
	return TrapExitCode, &Trap{Message: formatTrap(err.Error())}
}
