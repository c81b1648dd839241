#!/usr/bin/env bash
# tools/up.sh — bring up a working Corral lab on this machine.
#
#   1. tools/bootstrap.sh (Debian packages, kubectl check, Python venv)
#   2. swift build -c release
#   3. start virtlogd and libvirtd (for VMs) unless libvirt already answers,
#      and build the test images into DATA_DIR/images/import (busybox, kernelboot,
#      containerdisk: imported at start, so `kubectl run --image=localhost/corral-test/busybox` works offline)
#   4. start .build/release/corrald --data-dir $CORRAL_DATA_DIR in the background
#      (log DATA_DIR/corrald.log, pid file DATA_DIR/corrald.pid), unless a live
#      one from that pid file is already running
#   5. wait for /readyz (30 s), print the KUBECONFIG export and `kubectl get nodes`
#
# Environment: CORRAL_DATA_DIR (default /var/lib/corral),
#              CORRAL_LISTEN (default 127.0.0.1:6443), CORRAL_ARGS (extra flags).
# Stop it with tools/down.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"

DATA_DIR="${CORRAL_DATA_DIR:-/var/lib/corral}"
LISTEN="${CORRAL_LISTEN:-127.0.0.1:6443}"
PIDFILE="$DATA_DIR/corrald.pid"
LOG="$DATA_DIR/corrald.log"
KUBECONFIG_FILE="$DATA_DIR/kubeconfig.yaml"

say() { printf 'up: %s\n' "$*"; }
die() { printf 'up: ERROR: %s\n' "$*" >&2; exit 1; }

tools/bootstrap.sh

say "building (swift build -c release)"
swift build -c release
BIN="$ROOT/.build/release/corrald"
[ -x "$BIN" ] || die "$BIN was not built"

mkdir -p "$DATA_DIR"
# 0711: QEMU (user libvirt-qemu) must be able to walk to DATA_DIR/vms; nothing is listable.
chmod 0711 "$DATA_DIR" 2>/dev/null || true

# libvirt for VMs (no systemd here): start the daemons unless one already answers.
if ! virsh -c qemu:///system version >/dev/null 2>&1; then
    mkdir -p /run/corral-lab
    say "starting virtlogd and libvirtd"
    virtlogd -d -p /run/corral-lab/virtlogd.pid || say "virtlogd did not start (VMs will not run)"
    libvirtd -d -p /run/corral-lab/libvirtd.pid || say "libvirtd did not start (VMs will not run)"
fi

# Test images, built from Debian packages, imported by corrald at start.
if [ "${CORRAL_SKIP_IMAGES:-0}" != "1" ]; then
    tools/make-test-images "$ROOT/.cache/test-images" >/dev/null && mkdir -p "$DATA_DIR/images/import" &&
        for t in busybox kernelboot containerdisk; do
            [ -f "$DATA_DIR/images/.lab-$t" ] || { cp "$ROOT/.cache/test-images/$t.tar" "$DATA_DIR/images/import/" && touch "$DATA_DIR/images/.lab-$t"; }
        done || say "test images not built (pods can still pull from registries)"
fi

running_pid() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(tr -dc '0-9' <"$PIDFILE")"
    [ -n "$pid" ] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Make sure the pid really is a corrald and not a recycled pid.
    grep -q corrald "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

if PID="$(running_pid)"; then
    say "corrald already running (pid $PID, from $PIDFILE); not starting another"
else
    say "starting $BIN --data-dir $DATA_DIR --listen $LISTEN ${CORRAL_ARGS:-}"
    # shellcheck disable=SC2086
    nohup "$BIN" --data-dir "$DATA_DIR" --listen "$LISTEN" ${CORRAL_ARGS:-} \
        >>"$LOG" 2>&1 </dev/null &
    PID=$!
    echo "$PID" >"$PIDFILE"
    say "corrald pid $PID, log $LOG"
fi

# Wait for /readyz with the admin client certificate.
HOSTPORT="$LISTEN"
case "$HOSTPORT" in 0.0.0.0:*) HOSTPORT="127.0.0.1:${HOSTPORT#*:}";; esac
PKI="$DATA_DIR/pki"
deadline=$((SECONDS + 30))
ready=0
while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$PID" 2>/dev/null; then
        tail -n 30 "$LOG" >&2 || true
        die "corrald (pid $PID) exited; see $LOG"
    fi
    if [ -f "$PKI/admin.crt" ] && [ -f "$PKI/admin.key" ] && [ -f "$PKI/ca.crt" ]; then
        out="$(curl -sS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" \
            --key "$PKI/admin.key" "https://$HOSTPORT/readyz" 2>/dev/null || true)"
        if [ "$out" = "ok" ]; then ready=1; break; fi
    fi
    sleep 0.3
done
if [ "$ready" != 1 ]; then
    tail -n 30 "$LOG" >&2 || true
    die "corrald did not answer /readyz on https://$HOSTPORT within 30 s; see $LOG"
fi
say "corrald is ready on https://$HOSTPORT"

echo
echo "export KUBECONFIG=$KUBECONFIG_FILE"
echo
KUBECONFIG="$KUBECONFIG_FILE" kubectl get nodes
