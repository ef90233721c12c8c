package procfs

import (
	"os"
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
	}
}
