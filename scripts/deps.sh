#!/usr/bin/env bash
# Installs what the e2e tests and the local containerd daemons need, when missing:
#   apt:     containerd (1.6, /usr/bin/containerd + /usr/bin/ctr), runc, busybox-static, wabt
#   go:      containerd 2.4.2 and its ctr, built into $REPO/.cache/containerd-2.4.2/bin
#            crictl (cri-tools), built into $REPO/.cache/cri-tools/bin (the CRI e2e tests)
# Idempotent; prints nothing when everything is already there.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CD2_VERSION=2.4.2
CD2_BIN="$REPO/.cache/containerd-$CD2_VERSION/bin"
CRICTL_VERSION=1.37.0
CRICTL_BIN="$REPO/.cache/cri-tools/bin"

log() { echo "deps.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- Debian packages -------------------------------------------------------
pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for p in containerd runc busybox-static wabt; do
	pkg_installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed"
fi
# Debian's package starts nothing without systemd; we never use its daemon or its config.
for f in /usr/bin/containerd /usr/bin/ctr /usr/sbin/runc /usr/bin/wat2wasm; do
	[ -x "$f" ] || die "$f missing after installing packages"
done

# --- containerd 2.4.2 from the Go module proxy ----------------------------
cd2_ok() {
	[ -x "$CD2_BIN/containerd" ] && [ -x "$CD2_BIN/ctr" ] &&
		"$CD2_BIN/containerd" --version 2>/dev/null | grep -q " $CD2_VERSION" &&
		"$CD2_BIN/ctr" --version 2>/dev/null | grep -q " $CD2_VERSION"
}
if ! cd2_ok; then
	command -v go >/dev/null || die "go is not on PATH (needed to build containerd $CD2_VERSION)"
	log "building containerd $CD2_VERSION and ctr into $CD2_BIN (takes a few minutes)"
	mkdir -p "$CD2_BIN"
	# Build outside the repo so our go.mod/go.work never take part.
	(cd / && GOBIN="$CD2_BIN" GOFLAGS= GOWORK=off go install \
		"github.com/containerd/containerd/v2/cmd/containerd@v$CD2_VERSION" \
		"github.com/containerd/containerd/v2/cmd/ctr@v$CD2_VERSION") ||
		die "go install of containerd $CD2_VERSION failed"
	cd2_ok || die "containerd $CD2_VERSION binaries in $CD2_BIN do not report version $CD2_VERSION"
fi

# --- crictl from the Go module proxy --------------------------------------
# A go-installed crictl reports "version unknown"; the module version is in its build info.
crictl_ok() {
	local info
	[ -x "$CRICTL_BIN/crictl" ] || return 1
	command -v go >/dev/null || return 1
	info="$(go version -m "$CRICTL_BIN/crictl" 2>/dev/null)" || return 1
	grep -Eq "^[[:space:]]+mod[[:space:]]+sigs\.k8s\.io/cri-tools[[:space:]]+v$CRICTL_VERSION([[:space:]]|\$)" <<<"$info"
}
if ! crictl_ok; then
	command -v go >/dev/null || die "go is not on PATH (needed to build crictl $CRICTL_VERSION)"
	log "building crictl $CRICTL_VERSION into $CRICTL_BIN"
	mkdir -p "$CRICTL_BIN"
	(cd / && GOBIN="$CRICTL_BIN" GOFLAGS= GOWORK=off go install \
		"sigs.k8s.io/cri-tools/cmd/crictl@v$CRICTL_VERSION") ||
		die "go install of crictl $CRICTL_VERSION failed"
	crictl_ok || die "crictl in $CRICTL_BIN is not cri-tools v$CRICTL_VERSION"
fi
