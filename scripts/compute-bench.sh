#!/usr/bin/env bash
# Compute comparison (item 5 of the performance issue): CPU-bound WASI guests
# (test/guests/compute) run natively, in a real container with the wasmtee
# shim, with the wazero CLI and with node's WASI. Prints a markdown table and
# writes it, with the goal and its verdict, to docs/compute.md.
#
#   scripts/compute-bench.sh
#
# Environment: NBODY_STEPS (default 10000000), SHA_MIB (default 128),
# RUNS (default 3; the minimum is reported). Needs bin/ (make all) and
# containerd 2.4 (make deps). Work files go to .cache/compute/.
set -Eeuo pipefail
trap 'echo "compute-bench.sh: ERROR: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
WORK="$REPO/.cache/compute"
CD_DIR="$WORK/d"
NBODY_STEPS="${NBODY_STEPS:-10000000}"
SHA_MIB="${SHA_MIB:-128}"
RUNS="${RUNS:-3}"
REF=example.com/compute:1
NS=wasmtee-compute
DOC="$REPO/docs/compute.md"

log() { echo "compute-bench.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ -x bin/wasmtee ] && [ -x bin/containerd-shim-wasmtee-v1 ] || die "bin/ is missing: run make all"
CTR="$(scripts/containerd.sh ctr 2.4)"
[ -x "$CTR" ] || die "$CTR not found: run make deps"

mkdir -p "$WORK/bin"

# --- build -----------------------------------------------------------------
# The native build uses -tags purego so crypto/sha256 runs the same pure-Go
# block function as on wasm (natively it would otherwise use SHA-NI/AVX2
# assembly, which compares CPUs' instructions rather than code generation).
log "building the guest (native, purego) and wasm"
go build -trimpath -tags purego -o "$WORK/compute" ./test/guests/compute
GOOS=wasip1 GOARCH=wasm go build -trimpath -o "$WORK/compute.wasm" ./test/guests/compute

# --- wazero ------------------------------------------------------------------
WAZERO="$WORK/bin/wazero"
WAZERO_NOTE=""
if [ ! -x "$WAZERO" ]; then
	log "installing wazero v1.11.0 into $WORK/bin"
	if ! (cd / && GOFLAGS= GOWORK=off GOBIN="$WORK/bin" go install github.com/tetratelabs/wazero/cmd/wazero@v1.11.0) >"$WORK/wazero-install.log" 2>&1; then
		WAZERO_NOTE="wazero was skipped: go install failed (see .cache/compute/wazero-install.log)"
		log "$WAZERO_NOTE"
	fi
fi
[ -x "$WAZERO" ] || WAZERO=""

NODE="$(command -v node || true)"

# --- containerd ----------------------------------------------------------------
cleanup() { scripts/containerd.sh stop "$CD_DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
log "starting containerd 2.4 in $CD_DIR"
SOCK="$(scripts/containerd.sh start 2.4 "$CD_DIR")"
bin/wasmtee image build -t "$REF" -o "$WORK/compute.tar" "$WORK/compute.wasm" >/dev/null
"$CTR" -a "$SOCK" -n "$NS" images import --all-platforms "$WORK/compute.tar" >/dev/null

SEQ=0
wasmtee_run() { # ARGS...
	SEQ=$((SEQ + 1))
	"$CTR" -a "$SOCK" -n "$NS" run --rm --runtime io.containerd.wasmtee.v1 "$REF" "compute-$$-$SEQ" /compute.wasm "$@"
}
wazero_run() { "$WAZERO" run "$WORK/compute.wasm" "$@"; }
node_run() {
	node --no-warnings -e '
const { WASI } = require("node:wasi");
const fs = require("node:fs");
const [file, ...args] = process.argv.slice(1);
const wasi = new WASI({ version: "preview1", args: ["compute", ...args], env: {}, returnOnExit: true });
WebAssembly.instantiate(fs.readFileSync(file), wasi.getImportObject())
	.then(({ instance }) => { process.exitCode = wasi.start(instance); });
' "$WORK/compute.wasm" "$@"
}
native_run() { "$WORK/compute" "$@"; }

# time_min RUNNER EXPECTED ARGS... -> prints "SECONDS" or "SECONDS MISMATCH";
# the min wall time of $RUNS runs (bash's time, %R).
time_min() {
	local runner="$1" expected="$2" best="" t i status=""
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		{
			TIMEFORMAT=%R
			time "$runner" "$@" >"$WORK/out" 2>"$WORK/err"
		} 2>"$WORK/time" || { status=" FAILED"; log "$runner $* failed: $(tail -n 3 "$WORK/err")"; }
		t="$(tail -n 1 "$WORK/time")"
		if [ -n "$expected" ] && [ "$(cat "$WORK/out")" != "$expected" ]; then
			status=" MISMATCH"
			log "$runner $*: output '$(head -c 200 "$WORK/out")' != native '$expected'"
		fi
		best="$(awk -v a="$best" -v b="$t" 'BEGIN { if (a == "" || b + 0 < a + 0) print b; else print a }')"
	done
	echo "$best$status"
}

ratio() { awk -v a="${1%% *}" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
cell() { # RESULT NATIVE
	case "$1" in
	"") echo "n/a" ;;
	*) echo "${1%% *} ($(ratio "$1" "$2"))${1#"${1%% *}"}" ;;
	esac
}

ROWS=()
declare -A RES
for prog in "nbody $NBODY_STEPS" "sha256 $SHA_MIB"; do
	read -r -a args <<<"$prog"
	expected="$(native_run "${args[@]}")"
	log "$prog: native output $expected"
	log "$prog: native"
	n="$(time_min native_run "" "${args[@]}")"
	log "$prog: wasmtee (one warm-up run first)"
	wasmtee_run "${args[@]}" >/dev/null
	w="$(time_min wasmtee_run "$expected" "${args[@]}")"
	z=""
	if [ -n "$WAZERO" ]; then
		log "$prog: wazero"
		z="$(time_min wazero_run "$expected" "${args[@]}")"
	fi
	o=""
	if [ -n "$NODE" ]; then
		log "$prog: node"
		o="$(time_min node_run "$expected" "${args[@]}")"
	fi
	RES["$prog"]="$n|$w|$z|$o"
	ROWS+=("| \`$prog\` | $n | $(cell "$w" "$n") | $(cell "$z" "$n") | $(cell "$o" "$n") |")
done

TABLE="| program | native s | wasmtee s (ratio) | wazero s (ratio) | node s (ratio) |
|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")"
echo "$TABLE"

# --- goal ------------------------------------------------------------------------
IFS='|' read -r n w z o <<<"${RES["nbody $NBODY_STEPS"]}"
nb_ratio="$(ratio "$w" "$n")"
verdict() { [ "$1" = 1 ] && echo MET || echo "NOT MET"; }
ok_native="$(awk -v w="${w%% *}" -v n="$n" 'BEGIN { print (w <= 1.25 * n) ? 1 : 0 }')"
[[ "$w" == *" "* ]] && ok_native=0
ahead=1
ahead_detail=""
for prog in "nbody $NBODY_STEPS" "sha256 $SHA_MIB"; do
	IFS='|' read -r n2 w2 z2 o2 <<<"${RES[$prog]}"
	for other in "wazero:$z2" "node:$o2"; do
		name="${other%%:*}" v="${other#*:}"
		if [ -z "$v" ]; then ahead=0; ahead_detail+="$name not run for $prog; "; continue; fi
		if awk -v a="${w2%% *}" -v b="${v%% *}" 'BEGIN { exit !(a < b) }' && [[ "$w2" != *" "* ]]; then
			ahead_detail+="$prog: wasmtee ${w2%% *} s vs $name ${v%% *} s; "
		else
			ahead=0
			ahead_detail+="$prog: wasmtee ${w2%% *} s vs $name ${v%% *} s (not ahead); "
		fi
	done
done
ok_all=$((ok_native && ahead))
HELLO_P50="$(grep -m1 '^| wasm hello (hello.wat)' docs/benchmarks.md 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $4); print $4 }' || true)"

{
	cat <<DOC
# Compute comparison

Generated by \`scripts/compute-bench.sh\` on $(date -u +%Y-%m-%d) ($(date -u +%H:%M) UTC).
Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(uname -sr).
Toolchain: $(go version | cut -d' ' -f3), node $(node --version 2>/dev/null || echo n/a), wazero $([ -n "$WAZERO" ] && "$WAZERO" version 2>/dev/null || echo n/a), containerd 2.4 (private daemon).

Goal: **within 1.25x of native on nbody; ahead of wazero and node** — **$(verdict "$ok_all")**

| goal | measured | verdict |
|---|---|---|
| wasmtee within 1.25x of native on nbody | $nb_ratio (${w%% *} s / $n s) | $(verdict "$ok_native") |
| wasmtee ahead of wazero and node (both programs) | ${ahead_detail%; } | $(verdict "$ahead") |

$TABLE

## How it was measured

- Guest: \`test/guests/compute\` (standard library only), \`nbody N\` (the classic 5-body simulation,
  N steps of dt 0.01, prints the final energy with 9 decimals) and \`sha256 MB\` (hashes MB MiB of an
  xorshift stream with crypto/sha256, prints the hex digest). The wasm module is built with
  \`GOOS=wasip1 GOARCH=wasm go build\`; the native binary with \`go build -tags purego\`, so crypto/sha256
  runs the same pure-Go block function on both (natively it would otherwise use SHA-NI/AVX2 assembly).
- Each cell is the minimum wall time (bash \`time\`, %R) of $RUNS runs; the ratio is to native.
  Every run's output is compared with the native output (MISMATCH would be shown in the cell).
- wasmtee: \`ctr run --rm --runtime io.containerd.wasmtee.v1 $REF ID /compute.wasm ARGS\` against a
  private containerd 2.4, after one warm-up run so the compiled module is in the shim's cache.
  **Container start time is included** in the wasmtee column (nothing is subtracted). For reference,
  the cached wasm hello start p50 in docs/benchmarks.md is ${HELLO_P50:-n/a} ms; subtract it to estimate
  the execution time alone.
- wazero: \`wazero run compute.wasm ARGS\` (v1.11.0 CLI); it compiles the module on every run, so
  its column includes compilation (no compilation cache is configured).
- node: \`node --no-warnings -e\` with \`node:wasi\` (\`new WASI({version: 'preview1', ...})\`); V8 also
  compiles on every run (Liftoff, then TurboFan tier-up).
DOC
	[ -z "$WAZERO_NOTE" ] || echo "- Note: $WAZERO_NOTE."
} >"$DOC"
log "wrote $DOC"
