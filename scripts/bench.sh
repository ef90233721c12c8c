#!/usr/bin/env bash
# Benchmarks wasmtee against runc through a private containerd (see test/bench/):
# cold starts, and a large real-world module compiled, cached and uncached.
# Prints the tables and writes docs/benchmarks.md. Run by `make bench`, which
# first installs the dependencies and builds bin/.
#
#   scripts/bench.sh [-n 30] [-cached 10] [-nocache 3] [-skip-large] [-o FILE]
#   BENCH_DAEMONS=both scripts/bench.sh     also measure on containerd 1.6
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$REPO/.cache/bench/bench"
cd "$REPO"
mkdir -p "$REPO/.cache/bench"
go build -o "$BIN" ./test/bench
# exec: ^C and SIGTERM go straight to the tool, which stops its daemons first.
exec "$BIN" -repo "$REPO" "$@"
