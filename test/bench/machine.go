package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine describes where the numbers come from.
type machine struct {
	date     time.Time
	nproc    string
	cpu      string
	kernel   string
	os       string
	memory   string
	runc     string
	wasmtee  string
	revision string
}

func describeMachine(ctx context.Context, repo string) machine {
	m := machine{
		date:   time.Now().UTC(),
		nproc:  strconv.Itoa(runtime.NumCPU()),
		cpu:    procField("/proc/cpuinfo", "model name"),
		kernel: firstLine("/proc/sys/kernel/osrelease"),
		os:     osRelease(),
	}
	if r := runCmd(ctx, 10*time.Second, repo, nil, "nproc"); r.ok() {
		m.nproc = strings.TrimSpace(r.stdout)
	}
	if kb, err := strconv.ParseFloat(strings.Fields(procField("/proc/meminfo", "MemTotal") + " x")[0], 64); err == nil {
		m.memory = fmt.Sprintf("%.1f GiB", kb/(1<<20))
	}
	m.runc = firstLineOf(runCmd(ctx, 10*time.Second, repo, nil, "runc", "--version"))
	m.wasmtee = firstLineOf(runCmd(ctx, 10*time.Second, repo, nil, filepath.Join(repo, "bin", "wasmtee"), "version"))
	m.revision = firstLineOf(runCmd(ctx, 10*time.Second, repo, nil, "git", "describe", "--tags", "--always", "--dirty"))
	return m
}

func firstLineOf(r cmdResult) string {
	if !r.ok() {
		return "unknown"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(r.stdout), "\n")
	return l
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return l
}

// procField is the value of the first "KEY: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func osRelease() string {
	f, err := os.Open("/etc/os-release")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "unknown"
}
