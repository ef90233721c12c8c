#!/usr/bin/env bash
# Compute comparison (item 5 of the performance issue) alone: CPU-bound WASI
# guests (test/guests/compute) run natively, in a real container with the
# wasmtee shim, with the wazero CLI and with node's WASI. The comparison is a
# section of the benchmark tool (test/bench; `make bench` puts it in
# docs/benchmarks.md and its chart); this script runs only that section and
# writes its report to docs/compute.md.
#
#   scripts/compute-bench.sh [more bench flags, e.g. -o /tmp/compute.md]
#
# Environment: NBODY_STEPS (default 10000000), SHA_MIB (default 128), RUNS
# (default 3; the minimum is reported). Needs bin/ (make all) and containerd
# 2.4 (make deps). It starts a containerd daemon: where the end-to-end tests
# share the machine, run it under flock /tmp/wasmtee-daemons.lock.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$REPO/scripts/bench.sh" -only compute -daemons 2.4 -chart none \
	-compute-runs "${RUNS:-3}" -nbody "${NBODY_STEPS:-10000000}" -sha "${SHA_MIB:-128}" \
	-o docs/compute.md "$@"
