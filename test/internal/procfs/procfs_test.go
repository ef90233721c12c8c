package procfs

import (
	"os"
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		stat   string
		ppid   int
		zombie bool
	}{
		{"42 (sleep) S 7 42 42 0 -1", 7, false},
		{"43 (a) (b) Z) Z 9 43", 9, true},
		{"44 (odd name) R 1 44", 1, false},
		{"garbage", 0, false},
		{"45 (x)", 0, false},
	} {
		ppid, zombie := ParseStat([]byte(tc.stat))
		if ppid != tc.ppid || zombie != tc.zombie {
			t.Errorf("ParseStat(%q) = %d, %v; want %d, %v", tc.stat, ppid, zombie, tc.ppid, tc.zombie)
		}
	}
}

func TestAllFindsThisProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	procs := All(func(pid int, _ string) bool { return pid == os.Getpid() })
	if len(procs) != 1 {
		t.Fatalf("All kept %d processes, want this one", len(procs))
	}
	p := procs[0]
	if p.Exe != exe || p.PPID != os.Getppid() || p.Zombie || len(p.Argv) == 0 || p.Argv[0] != os.Args[0] {
		t.Errorf("this process read as %+v (exe %s, ppid %d)", p, exe, os.Getppid())
	}
	if wd, _ := os.Getwd(); p.Cwd != wd {
		t.Errorf("cwd %q, want %q", p.Cwd, wd)
	}
	if root, _ := os.Readlink("/proc/self/root"); root == "" || p.Root != root {
		t.Errorf("root %q, want %q", p.Root, root)
	}
}

func TestRunningFindsThisProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range Running("/nonexistent", exe) {
		if p.Exe != exe || p.Zombie {
			t.Errorf("Running(%s) kept %+v", exe, p)
		}
		found = found || p.PID == os.Getpid()
	}
	if !found {
		t.Errorf("Running(%s) misses this process", exe)
	}
	if got := Running(); len(got) != 0 {
		t.Errorf("Running() = %v, want none", got)
	}
}

func TestModuleHost(t *testing.T) {
	for _, tc := range []struct {
		p      Proc
		id     string
		isHost bool
	}{
		{Proc{Exe: "/usr/local/bin/wasmtee-module-host", Argv: []string{"wasmtee-module-host", "c1"}}, "c1", true},
		{Proc{Exe: "/x/sgx/module-host", Argv: []string{"/wasmtee/wasmtee-module-host", "c2"}}, "c2", true},
		{Proc{Exe: "/usr/local/bin/wasmtee-module-host"}, "", true},
		{Proc{Exe: "/usr/local/bin/containerd-shim-wasmtee-v1", Argv: []string{"containerd-shim-wasmtee-v1", "-id", "c3"}}, "", false},
	} {
		id, ok := ModuleHost(tc.p)
		if id != tc.id || ok != tc.isHost {
			t.Errorf("ModuleHost(%+v) = %q, %v; want %q, %v", tc.p, id, ok, tc.id, tc.isHost)
		}
		if tc.p.IsModuleHost() != tc.isHost {
			t.Errorf("%+v: IsModuleHost() = %v, want %v", tc.p, !tc.isHost, tc.isHost)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	m := parseMountinfo(`22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
90 22 0:50 / /run/a\040b\134c rw - overlay overlay rw
short line
`)
	want := map[string]string{"/": "ext4", "/sys/fs/cgroup": "tmpfs", "/sys/fs/cgroup/memory": "cgroup", "/sys/fs/cgroup/unified": "cgroup2", `/run/a b\c`: "overlay"}
	if len(m) != len(want) {
		t.Errorf("parsed %q, want %q", m, want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%q: %q, want %q", k, m[k], v)
		}
	}
	if roots := CgroupRoots(m); len(roots) != 2 || roots[0] != "/sys/fs/cgroup/memory" || roots[1] != "/sys/fs/cgroup/unified" {
		t.Errorf("cgroup roots %q", roots)
	}
}

func TestMountsUnderAndWalk(t *testing.T) {
	if !MountsUnder(SelfMountinfo, "/")["/"] {
		t.Error("/ is not a mount point under /")
	}
	root := t.TempDir()
	for _, d := range []string{"a/b/c/d", "x/y"} {
		if err := os.MkdirAll(root+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(root+"/a", root+"/link"); err != nil {
		t.Fatal(err)
	}
	var seen []string
	WalkCgroups([]string{root}, 3, func(path, rel string) bool {
		if path != root+"/"+rel {
			t.Errorf("path %s, rel %s", path, rel)
		}
		seen = append(seen, rel)
		return rel != "x"
	})
	want := []string{"a", "a/b", "a/b/c", "x"}
	if strings.Join(seen, " ") != strings.Join(want, " ") {
		t.Errorf("walked %q, want %q", seen, want)
	}
}

func TestProcString(t *testing.T) {
	p := Proc{PID: 12, PPID: 3, Argv: []string{"wasmtee-shim", "-id", "c1"}, Cwd: "/run/x"}
	if got, want := p.String(), "pid 12 (ppid 3) wasmtee-shim -id c1, cwd /run/x"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
