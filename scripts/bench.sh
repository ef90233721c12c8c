#!/usr/bin/env bash
# Benchmarks wasmtee through a private containerd (the tool in test/bench/),
# all in one run: cold starts against runc, start throughput against runc (the
# stress tool), a large real-world module, CRI pod start and density (WAT and
# Go guests against runc), a compute comparison (native, wasmtee, wazero, node)
# and the cost of attestation. Prints the tables, ratios and goals, and writes
# docs/benchmarks.md with its chart docs/benchmarks.png. Run by `make bench`,
# which first installs the dependencies and builds bin/.
#
#   scripts/bench.sh                        everything, containerd 2.4.2
#   scripts/bench.sh -only compute,attest   some sections (cold, throughput, large,
#                                           podstart, density, cri, compute, attest)
#   scripts/bench.sh -skip-density ...      all but some
#   scripts/bench.sh -n 3 -throughput 50 -density 20 -pod-starts 3 -compute-runs 1 \
#       -nbody 1000000 -sha 16 -attest 5 -o /tmp/bench.md   a short run of everything
#   scripts/bench.sh -h                     every flag
#   BENCH_DAEMONS=both scripts/bench.sh     also measure on containerd 1.6
#
# It starts containerd daemons: where other runs of the end-to-end tests share
# the machine, hold their lock: flock /tmp/wasmtee-daemons.lock scripts/bench.sh
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/.cache/bench/bench"
cd "$REPO"
mkdir -p "$REPO/.cache/bench"
go build -o "$BIN" ./test/bench
# exec: ^C and SIGTERM go straight to the tool, which stops its daemons first.
exec "$BIN" -repo "$REPO" "$@"
