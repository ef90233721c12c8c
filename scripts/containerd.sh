#!/usr/bin/env bash
# Private containerd daemons for tests, fully contained in one directory.
#
#   scripts/containerd.sh start VERSION DIR   VERSION is 1.6 (Debian) or 2.4 (built by deps.sh);
#                                             prints the socket path when the daemon answers
#   scripts/containerd.sh stop DIR            stops the daemon, kills leftover shims, unmounts
#                                             everything under DIR, removes DIR (safe to repeat)
#   scripts/containerd.sh restart VERSION DIR restarts only the daemon (shims keep running)
#   scripts/containerd.sh ctr VERSION         prints the ctr binary for VERSION
#
# The daemon uses only DIR/config.toml (never /etc/containerd, /var/lib/containerd,
# /run/containerd or /opt/containerd), finds containerd-shim-wasmtee-v1 in $REPO/bin
# (override with WASMTEE_BIN_DIR) and gets WASMTEE_CACHE_DIR=DIR/cache.
# Log level: CONTAINERD_LOG_LEVEL (default info).
# CONTAINERD_CGROUP_V2=1 on a hybrid cgroup host (v1 controllers, and the cgroup2 hierarchy at
# /sys/fs/cgroup/unified) starts the daemon in a private mount namespace where /sys/fs/cgroup
# is that cgroup2 hierarchy, so that the daemon and its shims run as on a cgroup v2 host (but
# with no controllers: no limits, no stats).
set -Eeuo pipefail
trap 'echo "containerd.sh: ERROR: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${WASMTEE_BIN_DIR:-$REPO/bin}"
CD2_BIN="$REPO/.cache/containerd-2.4.2/bin"
MARKER=".wasmtee-containerd"

log() { echo "containerd.sh: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() {
	sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

daemon_bin() {
	case "$1" in
	1.6) echo /usr/bin/containerd ;;
	2.4) echo "$CD2_BIN/containerd" ;;
	*) die "unknown version '$1' (want 1.6 or 2.4)" ;;
	esac
}
ctr_bin() {
	case "$1" in
	1.6) echo /usr/bin/ctr ;;
	2.4) echo "$CD2_BIN/ctr" ;;
	*) die "unknown version '$1' (want 1.6 or 2.4)" ;;
	esac
}

# abs_dir DIR: absolute, normalised path; refuses paths that are not ours to remove.
abs_dir() {
	local d
	d="$(realpath -m -- "$1")"
	case "$d" in
	/ | /bin | /boot | /dev | /etc | /home | /lib* | /opt | /opt/* | /proc | /root | /run | /sbin | /srv | /sys | /sys/* | /proc/* | /tmp | /usr | /usr/* | /var | /var/lib | /var/lib/containerd* | /run/containerd*)
		die "refusing to use '$d' as a daemon directory" ;;
	esac
	[ "$d" != "$REPO" ] || die "refusing to use the repository root as a daemon directory"
	echo "$d"
}

write_config() { # VERSION DIR
	local v="$1" d="$2"
	if [ "$v" = 1.6 ]; then
		cat >"$d/config.toml" <<EOT
version = 2
root = "$d/root"
state = "$d/state"
imports = []

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$d/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "docker.io/library/pause:local"
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$d/cni"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      # Giving runtimes replaces 1.6's default map: runc must be listed again.
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtee]
        runtime_type = "io.containerd.wasmtee.v1"
        # containerd 1.x decodes this table into runtimeoptions.v1.Options
        # itself, so it can only name a file; the shim reads the file. CRI's
        # containers use their own compile cache, ctr's use WASMTEE_CACHE_DIR.
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.wasmtee.options]
          ConfigPath = "$d/wasmtee-options.toml"
EOT
		printf 'cache_dir = "%s/cri-cache"\n' "$d" >"$d/wasmtee-options.toml"
	else
		cat >"$d/config.toml" <<EOT
version = 3
root = "$d/root"
state = "$d/state"
imports = []

[grpc]
  address = "$d/containerd.sock"

[ttrpc]
  address = "$d/containerd.sock.ttrpc"

[plugins.'io.containerd.internal.v1.opt']
  path = "$d/opt"

[plugins.'io.containerd.nri.v1.nri']
  disable = true

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "docker.io/library/pause:local"

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$d/cni"
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.wasmtee]
    runtime_type = "io.containerd.wasmtee.v1"
    # containerd 2.x sends this table to the shim as TOML (runtimeoptions.v1.
    # Options): CRI's containers use their own compile cache, ctr's use
    # WASMTEE_CACHE_DIR.
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.wasmtee.options]
      cache_dir = "$d/cri-cache"
EOT
	fi
}

# cgroup2_mount: where the cgroup2 hierarchy is mounted, if it is.
cgroup2_mount() {
	awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") print $5; break } }' /proc/self/mountinfo | head -n 1
}

pid_alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# daemon_pid DIR: the pid from DIR/containerd.pid if that process still is our daemon.
daemon_pid() {
	local d="$1" pid
	[ -f "$d/containerd.pid" ] || return 0
	pid="$(cat "$d/containerd.pid" 2>/dev/null || true)"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 0
	if { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$d/config.toml"; then
		echo "$pid"
	fi
}

# launch_daemon VERSION DIR: start the daemon on DIR/config.toml and wait until it answers.
launch_daemon() {
	local v="$1" d="$2" bin ctr sock pid
	bin="$(daemon_bin "$v")"
	ctr="$(ctr_bin "$v")"
	sock="$d/containerd.sock"
	rm -f "$d/containerd.pid" "$sock" "$sock.ttrpc"

	# The daemon writes its own pid (the bash below execs into containerd) so it is right
	# whether or not setsid had to fork. stdin/stdout/stderr are detached from the caller.
	local wrap=()
	if [ -n "${CONTAINERD_CGROUP_V2:-}" ]; then
		local unified
		unified="$(cgroup2_mount)"
		[ -n "$unified" ] || die "CONTAINERD_CGROUP_V2: no cgroup2 hierarchy is mounted"
		if [ "$unified" != /sys/fs/cgroup ]; then
			# unshare and sh exec: the pid stays the daemon's.
			wrap=(unshare --mount --propagation private sh -c 'mount --bind "$0" /sys/fs/cgroup && exec "$@"' "$unified")
		fi
	fi
	setsid bash -c 'echo $$ >"$1/containerd.pid"; shift; exec "$@"' _ "$d" \
		"${wrap[@]}" env PATH="$BIN_DIR:$PATH" WASMTEE_CACHE_DIR="$d/cache" WASMTEE_NODE_KEY="$d/node.key" \
		"$bin" --config "$d/config.toml" --log-level "${CONTAINERD_LOG_LEVEL:-info}" \
		</dev/null >>"$d/containerd.log" 2>&1 &

	local deadline=$((SECONDS + 20)) out=""
	while :; do
		pid="$(cat "$d/containerd.pid" 2>/dev/null || true)"
		if [ -S "$sock" ] && out="$("$ctr" -a "$sock" version 2>&1)"; then
			break
		fi
		if [ -n "$pid" ] && ! pid_alive "$pid"; then
			log "containerd $v exited during startup; log tail ($d/containerd.log):"
			tail -n 40 "$d/containerd.log" >&2 || true
			exit 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "containerd $v did not answer on $sock within 20 s; last ctr output: $out"
			log "log tail ($d/containerd.log):"
			tail -n 40 "$d/containerd.log" >&2 || true
			[ -z "$pid" ] || kill -KILL "$pid" 2>/dev/null || true
			exit 1
		fi
		sleep 0.1
	done
}

# restart VERSION DIR: stop only the daemon (its shims and containers keep running, as
# on a node where containerd is restarted), then start it again on the same state.
cmd_restart() {
	[ $# -eq 2 ] || usage
	local v="$1" d pid i
	d="$(abs_dir "$2")"
	[ -e "$d/$MARKER" ] || die "$d was not made by this script"
	pid="$(daemon_pid "$d")"
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
		pid_alive "$pid" && die "containerd (pid $pid) did not exit on SIGTERM within 10 s"
	fi
	launch_daemon "$v" "$d"
	echo "$d/containerd.sock"
}

cmd_start() {
	[ $# -eq 2 ] || usage
	local v="$1" d bin ctr sock pid
	bin="$(daemon_bin "$v")"
	ctr="$(ctr_bin "$v")"
	d="$(abs_dir "$2")"
	[ -x "$bin" ] || die "$bin not found: run scripts/deps.sh"
	[ -x "$ctr" ] || die "$ctr not found: run scripts/deps.sh"
	[ -x "$BIN_DIR/containerd-shim-wasmtee-v1" ] && [ -x "$BIN_DIR/wasmtee-shim" ] && [ -x "$BIN_DIR/wasmtee-module-host" ] ||
		log "warning: $BIN_DIR/containerd-shim-wasmtee-v1, wasmtee-shim or wasmtee-module-host not found: wasmtee containers will not start"
	if [ -n "$(daemon_pid "$d")" ]; then
		die "a daemon is already running for $d (pid $(daemon_pid "$d")); stop it first"
	fi
	if [ -e "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ] && [ ! -e "$d/$MARKER" ]; then
		die "$d exists, is not empty and was not made by this script"
	fi
	mkdir -p "$d"
	touch "$d/$MARKER"
	mkdir -p "$d/root" "$d/state" "$d/opt" "$d/cni" "$d/cache"
	write_config "$v" "$d"
	sock="$d/containerd.sock"
	# A unix socket path must fit in 108 bytes (the ttrpc one is 6 longer).
	[ "${#sock}" -le 100 ] || die "socket path too long (${#sock} > 100): $sock"
	launch_daemon "$v" "$d"
	echo "$sock"
}

# mounts_under DIR: mount points under DIR (or DIR itself), deepest first.
mounts_under() {
	local d="$1"
	# Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
	awk -v d="$d" '{
		mp = $5
		gsub(/\\040/, " ", mp); gsub(/\\011/, "\t", mp); gsub(/\\012/, "\n", mp); gsub(/\\134/, "\\", mp)
		if (mp == d || index(mp, d "/") == 1) { n = gsub(/\//, "/", mp); printf "%d\t%s\n", n, mp }
	}' /proc/self/mountinfo | sort -t "$(printf '\t')" -k1,1nr -k2,2r | cut -f2-
}

# leftover_pids DIR: shim processes whose cwd or command line is under DIR, and the
# module hosts they started, to any depth.
leftover_pids() {
	local d="$1" p pid exe cwd cmd ppid self_and_parents=" $$ " pp found=" " all=()
	pp=$$
	while [ "$pp" -gt 1 ] 2>/dev/null; do
		pp="$(awk '/^PPid:/{print $2}' "/proc/$pp/status" 2>/dev/null || echo 0)"
		self_and_parents+="$pp "
	done
	for p in /proc/[0-9]*; do
		pid="${p#/proc/}"
		case "$self_and_parents" in *" $pid "*) continue ;; esac
		exe="$(readlink "$p/exe" 2>/dev/null || true)"
		exe="${exe% (deleted)}"
		case "${exe##*/}" in
		containerd-shim* | wasmtee-shim | wasmtee-module-host) ;;
		*) continue ;;
		esac
		ppid="$(awk '/^PPid:/{print $2}' "$p/status" 2>/dev/null || echo 0)"
		all+=("$pid:$ppid")
		cwd="$(readlink "$p/cwd" 2>/dev/null || true)"
		cwd="${cwd% (deleted)}"
		cmd="$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null || true)"
		case "$cwd" in "$d" | "$d"/*) found+="$pid "; continue ;; esac
		case "$cmd" in *"$d"*) found+="$pid " ;; esac
	done
	# children of found shims, to any depth
	local changed=1 e
	while [ "$changed" = 1 ]; do
		changed=0
		for e in "${all[@]}"; do
			pid="${e%%:*}" ppid="${e#*:}"
			case "$found" in *" $pid "*) continue ;; esac
			case "$found" in *" $ppid "*) found+="$pid "; changed=1 ;; esac
		done
	done
	for pid in $found; do echo "$pid"; done
}

# shim_sockets PID...: paths of the unix sockets those processes hold, in the shim socket
# directories only (wasmtee's, and containerd 1.x's default for shims).
shim_sockets() {
	local pid fd l inodes=" "
	for pid in "$@"; do
		for fd in /proc/"$pid"/fd/*; do
			l="$(readlink "$fd" 2>/dev/null || true)"
			case "$l" in socket:\[*\]) l="${l#socket:[}"; inodes+="${l%]} " ;; esac
		done
	done
	[ "$inodes" != " " ] || return 0
	# /proc/net/unix: Num RefCount Protocol Flags Type St Inode Path
	awk -v want="$inodes" 'NR > 1 && NF >= 8 && index(want, " " $7 " ") && ($8 ~ "^/run/wasmtee/s/" || $8 ~ "^/run/containerd/s/") { print $8 }' /proc/net/unix | sort -u
}

cmd_stop() {
	[ $# -eq 1 ] || usage
	local d pid errors=() i pids m
	d="$(abs_dir "$1")"
	if [ -e "$d" ] && [ ! -e "$d/$MARKER" ] && [ -n "$(ls -A "$d" 2>/dev/null)" ]; then
		die "$d was not made by this script (no $MARKER): not touching it"
	fi

	# 1. the daemon
	pid="$(daemon_pid "$d")"
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
		if pid_alive "$pid"; then
			log "containerd (pid $pid) ignored SIGTERM for 10 s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 50; i++)); do pid_alive "$pid" || break; sleep 0.1; done
			! pid_alive "$pid" || errors+=("containerd pid $pid survived SIGKILL")
		fi
	fi

	# 2. leftover shims (they outlive the daemon by design) and their children
	pids="$(leftover_pids "$d")"
	if [ -n "$pids" ]; then
		log "killing leftover processes under $d: $(echo $pids)"
		local socks
		socks="$(shim_sockets $pids)"
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			local alive=""
			for p in $pids; do
				# a zombie waiting for its parent is dead enough
				if [ -e "/proc/$p" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null; then alive+="$p "; fi
			done
			[ -n "$alive" ] || break
			sleep 0.1
		done
		[ -z "$alive" ] || errors+=("processes still alive after SIGKILL: $alive")
		# their listening sockets outlive them
		while IFS= read -r s; do
			[ -z "$s" ] || rm -f -- "$s" || errors+=("could not remove socket $s")
		done <<<"$socks"
	fi

	# 3. mounts, deepest first; a few passes for stacked mounts
	for ((i = 0; i < 5; i++)); do
		m="$(mounts_under "$d")"
		[ -n "$m" ] || break
		while IFS= read -r mp; do
			umount -- "$mp" 2>/dev/null || umount -l -- "$mp" 2>/dev/null || true
		done <<<"$m"
	done
	m="$(mounts_under "$d")"
	[ -z "$m" ] || errors+=("still mounted: $(echo $m)")

	# 4. the directory (never crossing into a file system still mounted below it)
	if [ -e "$d" ] && [ -z "$m" ]; then
		rm -rf --one-file-system -- "$d" 2>/dev/null || rm -rf --one-file-system -- "$d" ||
			errors+=("could not remove $d")
	fi

	if [ "${#errors[@]}" -gt 0 ]; then
		for e in "${errors[@]}"; do log "ERROR: $e"; done
		exit 1
	fi
}

[ $# -ge 1 ] || usage
case "$1" in
start) shift; cmd_start "$@" ;;
restart) shift; cmd_restart "$@" ;;
stop) shift; cmd_stop "$@" ;;
ctr) [ $# -eq 2 ] || usage; ctr_bin "$2" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
