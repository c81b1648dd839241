#!/usr/bin/env bash
# tools/e2e.sh [PYTEST ARGS...] — run the end-to-end tests (pods, VMs) as root
# inside a network namespace made for this run, deleted afterwards.
# Everything the tests start (corrald, libvirtd, virtlogd, containers, VMs)
# lives inside that namespace; no traffic leaves it.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "e2e: must run as root" >&2; exit 2; }
NS="corral-e2e-$$"
export CORRAL_TEST_IMAGES="${CORRAL_TEST_IMAGES:-$ROOT/.cache/test-images}"
# The real Debian cloud image (mmdebstrap from the host's apt sources, a few
# minutes the first time, cached after) is part of the run unless CORRAL_TEST_DEBIAN=0.
DEBIAN_FLAG=(--with-debian)
[ "${CORRAL_TEST_DEBIAN:-1}" = 0 ] && DEBIAN_FLAG=()
tools/make-test-images "${DEBIAN_FLAG[@]}" "$CORRAL_TEST_IMAGES" || { echo "e2e: building test images failed" >&2; exit 1; }
# libvirtd's sockets are machine-wide: one user at a time (benchmarks take the same lock).
exec 9>/run/corral-libvirt.lock
flock -w 1800 9 || { echo "e2e: another run holds /run/corral-libvirt.lock" >&2; exit 1; }
ip netns add "$NS" || exit 1
VIRT="$(mktemp -d /run/corral-e2e-virt.XXXXXX)"
cleanup() {
    # libvirtd and virtlogd we started, by their pid files; then the namespace.
    for p in libvirtd virtlogd; do
        [ -s "$VIRT/$p.pid" ] && kill "$(cat "$VIRT/$p.pid")" 2>/dev/null
    done
    sleep 1
    ip netns delete "$NS" 2>/dev/null
    rm -rf "$VIRT"
}
trap cleanup EXIT
ip -n "$NS" link set lo up

# libvirt for the VM tests, started inside the namespace (no systemd here).
# Its sockets under /run/libvirt are machine-wide: refuse to run next to another libvirtd.
if [ -S /run/libvirt/libvirt-sock ] && virsh -c qemu:///system version >/dev/null 2>&1; then
    echo "e2e: another libvirtd already answers on /run/libvirt/libvirt-sock; stop it first" >&2
    exit 1
fi
nsenter --net="/run/netns/$NS" virtlogd -d -p "$VIRT/virtlogd.pid" || { echo "e2e: virtlogd failed to start" >&2; exit 1; }
nsenter --net="/run/netns/$NS" libvirtd -d -p "$VIRT/libvirtd.pid" || { echo "e2e: libvirtd failed to start" >&2; exit 1; }
for _ in $(seq 50); do virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.2; done
# nsenter (not `ip netns exec`): only the network namespace changes, so
# /sys/fs/cgroup stays the host's and the OCI runtime sees the real cgroup layout.
nsenter --net="/run/netns/$NS" env CORRAL_E2E_NETNS="$NS" CORRALD="${CORRALD:-$ROOT/.build/debug/corrald}" \
    .venv/bin/pytest -v -rfE -p no:cacheprovider "$@" tests/e2e
