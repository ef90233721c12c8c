#!/usr/bin/env bash
# A/B of two shim builds' container start, interleaved on one private containerd so that machine
# noise hits both alike: `ctr run --rm` of the hello WAT module N times with each build's entry
# binary (an absolute --runtime path), in turn, after a warm-up run of each (the compile).
#
#   scripts/ab-start.sh OLD_BIN_DIR NEW_BIN_DIR [N]     (N defaults to 20)
#
# Each BIN_DIR holds a full build (containerd-shim-wasmtee-v1, wasmtee-shim, wasmtee-module-host,
# wasmtee), e.g. the bin/ of a git worktree of the older commit. Prints p50 and p90 of each in ms.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
A="$(cd "$1" && pwd)"
B="$(cd "$2" && pwd)"
N="${3:-20}"
V="${AB_CONTAINERD:-2.4}"
DIR="$REPO/.cache/ab-start"
WORK="$(mktemp -d)"
CTR="$("$REPO/scripts/containerd.sh" ctr "$V")"
cleanup() {
	"$REPO/scripts/containerd.sh" stop "$DIR" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
wat2wasm "$REPO/test/guests/wat/hello.wat" -o "$WORK/hello.wasm"
"$B/wasmtee" image build -t example.com/ab-hello:1 -o "$WORK/hello.tar" "$WORK/hello.wasm" >/dev/null
"$REPO/scripts/containerd.sh" stop "$DIR" >/dev/null 2>&1 || true
SOCK="$("$REPO/scripts/containerd.sh" start "$V" "$DIR")"
"$CTR" -a "$SOCK" images import --local --all-platforms "$WORK/hello.tar" >/dev/null 2>&1
run() { # run BIN_DIR NAME: prints the run's wall time in ms
	local t0 t1
	t0=$(date +%s%N)
	"$CTR" -a "$SOCK" run --rm --runtime "$1/containerd-shim-wasmtee-v1" example.com/ab-hello:1 "$2" /hello.wasm >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
run "$A" warm-a >/dev/null
run "$B" warm-b >/dev/null
: >"$WORK/a"
: >"$WORK/b"
for i in $(seq "$N"); do
	run "$A" "a$i" >>"$WORK/a"
	run "$B" "b$i" >>"$WORK/b"
done
stats() { sort -n "$1" | awk -v name="$2" '{v[NR]=$1} END {printf "%s: p50 %.1f ms, p90 %.1f ms (%d runs)\n", name, v[int((NR+1)/2)]/1000, v[int(NR*0.9+0.5)]/1000, NR}'; }
stats "$WORK/a" "A $A"
stats "$WORK/b" "B $B"
