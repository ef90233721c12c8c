package shim

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestOwnCgroupProcsListsThisProcess(t *testing.T) {
	p := ownCgroupProcs()
	if p == "" {
		t.Skip("no cgroup file system here")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Fields(string(b)) {
		if l == strconv.Itoa(os.Getpid()) {
			found = true
		}
	}
	if !found {
		t.Errorf("%s does not list this process (%d)", p, os.Getpid())
	}
	// Priming moves the process into the cgroup it is in: it stays there.
	primeMigration()
	if q := ownCgroupProcs(); q != p {
		t.Errorf("after primeMigration the cgroup is %s, was %s", q, p)
	}
}
