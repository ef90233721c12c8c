package shim

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"google.golang.org/protobuf/proto"
)

// cgroup is a module host's control group, v1 or v2.
type cgroup interface {
	add(pid int) error
	// stats returns the metrics message containerd expects for this
	// cgroup version (cgroup1/stats.Metrics or cgroup2/stats.Metrics).
	stats() (proto.Message, error)
	remove() error
	// update applies new resource limits (in-place resize).
	update(res *specs.LinuxResources) error
	// watchOOM calls notify each time the kernel's OOM killer acts in the
	// cgroup, until stop is called or the cgroup is removed.
	watchOOM(notify func()) (stop func(), err error)
}

// newCgroup creates the cgroup at path (linux.cgroupsPath) with the spec's
// resource limits.
func newCgroup(path string, res *specs.LinuxResources) (cgroup, error) {
	if strings.Contains(path, ":") {
		return nil, fmt.Errorf("%w: systemd cgroup path %q is not supported yet", errInvalid, path)
	}
	if res == nil {
		res = &specs.LinuxResources{}
	}
	if cgroups.Mode() == cgroups.Unified {
		g, err := newV2group(unifiedMount, path, res)
		if err != nil {
			return nil, err
		}
		return g, nil
	}
	cg, err := cgroup1.New(cgroup1.StaticPath(path), res)
	if err != nil {
		return nil, fmt.Errorf("create cgroup %s: %w", path, err)
	}
	return v1group{cg, path}, nil
}

// loadCgroup opens the existing cgroup at path.
func loadCgroup(path string) (cgroup, error) {
	if cgroups.Mode() == cgroups.Unified {
		m, err := cgroup2.Load(path)
		if err != nil {
			return nil, err
		}
		return v2group{m, unifiedMount, filepath.Join(unifiedMount, path)}, nil
	}
	c, err := cgroup1.Load(cgroup1.StaticPath(path))
	if err != nil {
		return nil, err
	}
	return v1group{c, path}, nil
}

// removeCgroup deletes the cgroup at path if it exists, waiting briefly
// for processes that are still dying.
func removeCgroup(path string) error {
	cg, err := loadCgroup(path)
	if err != nil {
		return nil
	}
	return cg.remove()
}

type v1group struct {
	cg   cgroup1.Cgroup
	path string // linux.cgroupsPath
}

func (g v1group) add(pid int) error { return g.cg.AddProc(uint64(pid)) }

func (g v1group) stats() (proto.Message, error) { return g.cg.Stat(cgroup1.IgnoreNotExist) }

// remove removes the cgroup's directory in every hierarchy. The kernel
// refuses (EBUSY) while a process is still in it, which retry waits out.
// (The library's Delete first walks every hierarchy's directory reading
// cgroup.procs, stat-ing each of its control files: 1.8% of all CPU over a
// 300-container stress run.)
func (g v1group) remove() error {
	return retry(func() error {
		var errs []error
		for _, s := range g.cg.Subsystems() {
			p, ok := s.(interface{ Path(string) string })
			if !ok {
				continue
			}
			// Co-mounted controllers (cpu,cpuacct) share a directory:
			// the second finds it gone.
			if err := syscall.Rmdir(p.Path(g.path)); err != nil && err != syscall.ENOENT {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", p.Path(g.path), err))
			}
		}
		return errors.Join(errs...)
	})
}

// update on cgroup v1: memory.limit_in_bytes may never exceed
// memory.memsw.limit_in_bytes, so raising both must write the swap limit
// first (the cgroups library orders them wrongly). When lowering, that first
// write fails harmlessly and the full update writes them in the right order.
func (g v1group) update(res *specs.LinuxResources) error {
	if m := res.Memory; m != nil && m.Swap != nil && *m.Swap > 0 {
		_ = g.cg.Update(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: m.Swap}})
	}
	return g.cg.Update(res)
}

// unifiedMount is where a cgroup v2 host mounts its hierarchy.
const unifiedMount = "/sys/fs/cgroup"

type v2group struct {
	m     *cgroup2.Manager
	mount string // the cgroup2 hierarchy's mount point
	dir   string // the cgroup's directory
}

// newV2group creates the v2 cgroup at path in the hierarchy mounted at mount.
func newV2group(mount, path string, res *specs.LinuxResources) (v2group, error) {
	m, err := cgroup2.NewManager(mount, path, cgroup2.ToResources(res))
	if err != nil {
		return v2group{}, fmt.Errorf("create cgroup %s: %w", path, err)
	}
	return v2group{m, mount, filepath.Join(mount, path)}, nil
}

func (g v2group) update(res *specs.LinuxResources) error {
	return g.m.Update(cgroup2.ToResources(res))
}

func (g v2group) add(pid int) error { return g.m.AddProc(uint64(pid)) }

func (g v2group) stats() (proto.Message, error) { return g.m.Stat() }

func (g v2group) remove() error {
	return retry(func() error { return g.m.Delete() })
}

// retry runs f until it succeeds or a second has passed: a cgroup cannot
// be removed while a killed process is still leaving it.
func retry(f func() error) error {
	deadline := time.Now().Add(time.Second)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// borrowedCgroup is a cgroup someone else (runc) created and removes.
type borrowedCgroup struct{ cgroup }

func (borrowedCgroup) remove() error { return nil }
