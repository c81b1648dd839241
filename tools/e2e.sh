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
tools/make-test-images "$CORRAL_TEST_IMAGES" || { echo "e2e: building test images failed" >&2; exit 1; }
ip netns add "$NS" || exit 1
cleanup() { ip netns delete "$NS" 2>/dev/null; }
trap cleanup EXIT
ip -n "$NS" link set lo up
# nsenter (not `ip netns exec`): only the network namespace changes, so
# /sys/fs/cgroup stays the host's and the OCI runtime sees the real cgroup layout.
nsenter --net="/run/netns/$NS" env CORRAL_E2E_NETNS="$NS" CORRALD="${CORRALD:-$ROOT/.build/debug/corrald}" \
    .venv/bin/pytest -v -rfE -p no:cacheprovider "$@" tests/e2e
