#!/usr/bin/env bash
# make demo: build a Go program for WASI, pack it as an OCI image, and run it
# as a container under a private containerd (2.4.2 by default; DEMO_CONTAINERD=1.6
# for Debian's) with the wasmtee shim. Leaves nothing running.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
V="${DEMO_CONTAINERD:-2.4}"
DIR="$REPO/.cache/demo"
WORK="$(mktemp -d)"
CTR="$("$REPO/scripts/containerd.sh" ctr "$V")"
cleanup() {
	"$REPO/scripts/containerd.sh" stop "$DIR" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "build a Go program for WASI (GOOS=wasip1 GOARCH=wasm)"
(cd "$REPO" && GOOS=wasip1 GOARCH=wasm go build -o "$WORK/hello.wasm" ./test/guests/goguest)
ls -l "$WORK/hello.wasm"

step "pack it as an OCI image: wasmtee image build"
echo "a file from the image" >"$WORK/msg.txt"
"$REPO/bin/wasmtee" image build -t example.com/hello:1 -o "$WORK/hello.tar" \
	--file "$WORK/msg.txt:/data/msg.txt" "$WORK/hello.wasm"

step "start a private containerd $V (state under .cache/demo)"
"$REPO/scripts/containerd.sh" stop "$DIR" >/dev/null 2>&1 || true
SOCK="$("$REPO/scripts/containerd.sh" start "$V" "$DIR")"
"$CTR" -a "$SOCK" version 2>/dev/null | sed -n '/Server/,$p'

step "ctr images import --all-platforms hello.tar"
"$CTR" -a "$SOCK" images import --all-platforms "$WORK/hello.tar" 2>/dev/null
"$CTR" -a "$SOCK" images ls 2>/dev/null

run() {
	echo "\$ ctr run --rm --runtime io.containerd.wasmtee.v1 example.com/hello:1 $*"
	"$CTR" -a "$SOCK" run --rm --runtime io.containerd.wasmtee.v1 example.com/hello:1 "$@" 2>/dev/null
}
step "run it: the first start compiles the module, later starts load it from the compile cache"
time run demo1 /hello.wasm hello
time run demo2 /hello.wasm hello
run demo3 /hello.wasm args one "two words"
run demo4 /hello.wasm cat /data/msg.txt
set +e
run demo5 /hello.wasm exit 7
echo "exit status: $?"
set -e

step "attest a running container: evidence from its shim, checked against a policy"
"$CTR" -a "$SOCK" run -d --null-io --runtime io.containerd.wasmtee.v1 example.com/hello:1 demo6 /hello.wasm sleep 30 2>/dev/null
NONCE="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "\$ wasmtee attest --address $SOCK --nonce $NONCE demo6 -o evidence.json"
"$REPO/bin/wasmtee" attest --address "$SOCK" --nonce "$NONCE" -o "$WORK/evidence.json" demo6
grep -o '"backend":"[a-z]*","tee":"[a-z]*"' "$WORK/evidence.json"
MEASUREMENT="$(grep -o '"measurement":"[0-9a-f]*"' "$WORK/evidence.json" | cut -d'"' -f4)"
echo "expected offline: $("$REPO/bin/wasmtee" measure "$WORK/hello.tar" /hello.wasm sleep 30)"
echo "in the evidence:  $MEASUREMENT"
printf '{"measurements":["%s"],"backends":["process"],"tees":["none"]}\n' "$MEASUREMENT" >"$WORK/policy.json"
echo "\$ wasmtee verify --policy policy.json --nonce $NONCE evidence.json"
"$REPO/bin/wasmtee" verify --policy "$WORK/policy.json" --nonce "$NONCE" "$WORK/evidence.json" && echo "verified (tee: none: this machine has no TEE)"
"$CTR" -a "$SOCK" task kill -s SIGKILL demo6 >/dev/null 2>&1 || true
for _ in 1 2 3 4 5 6 7 8 9 10; do "$CTR" -a "$SOCK" task delete demo6 >/dev/null 2>&1 && break; sleep 0.2; done
"$CTR" -a "$SOCK" containers delete demo6 >/dev/null 2>&1 || true

step "the shim's log lines in containerd's log"
grep -h 'runtime=io.containerd.wasmtee.v1' "$DIR/containerd.log" | grep -E 'module host created|module exited' | tail -4

step "stop containerd and clean up"
