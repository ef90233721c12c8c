#!/usr/bin/env bash
# Stress test: create/start/wait/delete of a wasm container N times, P in
# parallel, through a private containerd, then a check that nothing leaked
# (the tool in test/stress, cmd/wasmtee-stress). Run by `make stress`, which
# builds bin/ first; needs what `make deps` installs (wabt, containerd).
#
#   scripts/stress.sh                       1000 runs, 8 in parallel, containerd 2.4.2
#   STRESS_N=200 STRESS_P=4 scripts/stress.sh
#   STRESS_CONTAINERD=1.6 scripts/stress.sh  Debian's containerd 1.6 instead
#   STRESS_RUNC=1 scripts/stress.sh          then the same shape with runc and a busybox-static image
#   STRESS_FLAGS="-json" scripts/stress.sh   extra flags for the tool (wasmtee-stress -h)
#
# The daemon lives in .cache/stress/<version> and is always stopped (with
# everything under it) at the end. Exit status: non-zero if a run failed or
# something leaked.
set -Eeuo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="${STRESS_CONTAINERD:-2.4}"
N="${STRESS_N:-1000}"
P="${STRESS_P:-8}"
RUNC="${STRESS_RUNC:-0}"
NS=wasmtee-stress
WORK="$REPO/.cache/stress"
DIR="$WORK/${VERSION//./}"
TOOL="$WORK/wasmtee-stress"
WASM_REF=docker.io/wasmtee-stress/hello:1
RUNC_REF=docker.io/wasmtee-stress/busybox:1

log() { echo "stress.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case "$VERSION" in 1.6 | 2.4) ;; *) die "STRESS_CONTAINERD must be 1.6 or 2.4, not '$VERSION'" ;; esac
cd "$REPO"
[ -x bin/containerd-shim-wasmtee-v1 ] && [ -x bin/wasmtee-shim ] && [ -x bin/wasmtee-module-host ] && [ -x bin/wasmtee ] || die "bin/ is not built: run make all (or make stress)"
command -v wat2wasm >/dev/null || die "wat2wasm not found: run make deps"
CTR="$(scripts/containerd.sh ctr "$VERSION")"
[ -x "$CTR" ] || die "$CTR not found: run make deps"
mkdir -p "$WORK"

log "building the tool and the images"
go build -o "$TOOL" ./cmd/wasmtee-stress
wat2wasm test/guests/wat/hello.wat -o "$WORK/hello.wasm"
bin/wasmtee image build -t "$WASM_REF" -o "$WORK/hello.tar" "$WORK/hello.wasm" >/dev/null

DAEMON_PATH="$PATH"
if [ "$RUNC" = 1 ]; then
	command -v runc >/dev/null || die "runc not found: run make deps"
	"$TOOL" busybox-image "$WORK/busybox.tar" "$RUNC_REF"
	if [ "$VERSION" = 2.4 ]; then
		# The runc shim that containerd 2.4 can drive (Debian's 1.6 one is too
		# old for it), built where the benchmarks build it (test/internal/runcshim).
		RUNC_SHIM_DIR="$("$TOOL" runc-shim)"
		DAEMON_PATH="$RUNC_SHIM_DIR:$PATH"
	fi
fi

stop_daemon() {
	scripts/containerd.sh stop "$DIR" || log "WARNING: stopping the daemon in $DIR failed"
	# The namespace's parent cgroups and runc's namespace directory outlive every container
	# (containerd and runc never remove them). rmdir removes only empty ones: a cgroup with a
	# process or a child is left alone, and so is whatever a leak left.
	local d
	for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/"$NS" /run/containerd/runc/"$NS" /run/wasmtee/runc/"$NS"; do
		[ ! -d "$d" ] || rmdir "$d" 2>/dev/null || true
	done
}
stop_daemon # whatever an interrupted earlier run left
trap stop_daemon EXIT
SOCK="$(PATH="$DAEMON_PATH" scripts/containerd.sh start "$VERSION" "$DIR")"
log "containerd $VERSION at $SOCK"

import_image() { # TAR REF
	"$CTR" -a "$SOCK" -n "$NS" images import --all-platforms "$1" >/dev/null 2>&1 ||
		"$CTR" -a "$SOCK" -n "$NS" images import --all-platforms "$1" # again, to show why
	local refs
	refs="$("$CTR" -a "$SOCK" -n "$NS" images ls -q 2>/dev/null)"
	grep -qxF "$2" <<<"$refs" || die "$2 is not in the image store after importing $1 (it has: $(echo $refs))"
}
import_image "$WORK/hello.tar" "$WASM_REF"
if [ "$RUNC" = 1 ]; then import_image "$WORK/busybox.tar" "$RUNC_REF"; fi

status=0
# ^C reaches the tool too (same process group): it lets the runs in flight finish, checks for
# leaks and reports. Then no further run starts, and the EXIT trap stops the daemon.
INTERRUPTED=0
trap 'INTERRUPTED=1' INT TERM
stress() { # NAME, then tool flags
	local name="$1" rc=0
	shift
	if [ "$INTERRUPTED" = 1 ]; then
		status=1
		log "$name: skipped (interrupted)"
		return 0
	fi
	log "$name: $N runs, $P in parallel, containerd $VERSION"
	# shellcheck disable=SC2086
	"$TOOL" -address "$SOCK" -namespace "$NS" -n "$N" -p "$P" -root "$DIR/root" -state "$DIR/state" \
		"$@" ${STRESS_FLAGS:-} || rc=$?
	if [ "$rc" != 0 ]; then
		status=1
		log "$name: FAILED (exit $rc)"
	fi
}
stress wasmtee -runtime io.containerd.wasmtee.v1 -image "$WASM_REF" -args /hello.wasm
if [ "$RUNC" = 1 ]; then
	stress runc -runtime io.containerd.runc.v2 -image "$RUNC_REF" -args "/bin/echo hi"
fi
exit "$status"
