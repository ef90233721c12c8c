// Command wasmtee-stress runs create/start/wait/delete of a container N
// times, P in parallel, against a real containerd, prints throughput and
// latency percentiles, and checks that nothing leaked. See test/stress and
// scripts/stress.sh (`make stress`).
package main

import (
	"os"

	"github.com/wasmtee/wasmtee/test/stress"
)

func main() { os.Exit(stress.Main(os.Args[1:], os.Stdout, os.Stderr)) }
