#!/usr/bin/env bash
# tools/bootstrap.sh — install what Corral needs on a fresh Debian 12 with Swift.
#
# Idempotent: every step first checks whether it is already done.
#   * Debian packages (build deps + runtime tools), installed only if missing;
#     `apt-get update` runs only when something must be installed.
#   * kubectl must already be at /usr/bin/kubectl (it is not in Debian).
#   * Swift must be at /opt/swift or on PATH.
#   * A Python venv at <repo>/.venv with kubernetes, pytest, requests, PyYAML.
# It never starts a service (tools/up.sh does that).
#
# Run as root. Environment:
#   CORRAL_SKIP_APT=1   skip the Debian package step (e.g. unprivileged runs)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf 'bootstrap: %s\n' "$*"; }
die() { printf 'bootstrap: ERROR: %s\n' "$*" >&2; exit 1; }

BUILD_DEPS=(libsqlite3-dev libvirt-dev libnl-3-dev libnl-route-3-dev libseccomp-dev libarchive-dev pkg-config)
RUNTIME_DEPS=(sqlite3 openssl iproute2 nftables runc conmon crun qemu-system-x86 qemu-utils
              libvirt-daemon-system libvirt-clients busybox-static genisoimage ca-certificates curl iputils-ping docker-registry zstd dosfstools mtools syslinux syslinux-common)
BUILD_DEPS+=(zlib1g-dev)
RUNTIME_DEPS+=(dnsmasq-base libxml2-utils ovmf)

is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

# --- Python: do we need python3-venv from Debian? ---------------------------
PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=/usr/bin/python3
venv_works() {
    local t
    t="$(mktemp -d)"
    if "$PYTHON" -m venv "$t/v" >/dev/null 2>&1 && [ -x "$t/v/bin/python" ]; then
        rm -rf "$t"; return 0
    fi
    rm -rf "$t"; return 1
}

WANT=("${BUILD_DEPS[@]}" "${RUNTIME_DEPS[@]}")
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    WANT+=(python3 python3-venv)
elif ! venv_works; then
    WANT+=(python3-venv)
fi

# --- Debian packages ---------------------------------------------------------
if [ "${CORRAL_SKIP_APT:-0}" = "1" ]; then
    say "CORRAL_SKIP_APT=1: not checking Debian packages"
else
    MISSING=()
    for p in "${WANT[@]}"; do
        is_installed "$p" || MISSING+=("$p")
    done
    if [ "${#MISSING[@]}" -eq 0 ]; then
        say "all ${#WANT[@]} Debian packages already installed"
    else
        [ "$(id -u)" -eq 0 ] || die "missing Debian packages (${MISSING[*]}); run this script as root"
        say "installing Debian packages: ${MISSING[*]}"
        export DEBIAN_FRONTEND=noninteractive
        # Keep package maintainer scripts from starting services (libvirtd,
        # virtlogd, ...): we only install here. Use policy-rc.d for the
        # duration of the install if no policy is in place already.
        POLICY=/usr/sbin/policy-rc.d
        ADDED_POLICY=0
        if [ ! -e "$POLICY" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$POLICY"
            chmod 0755 "$POLICY"
            ADDED_POLICY=1
            trap '[ "$ADDED_POLICY" = 1 ] && rm -f "$POLICY"' EXIT
        fi
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${MISSING[@]}"
        if [ "$ADDED_POLICY" = 1 ]; then rm -f "$POLICY"; ADDED_POLICY=0; fi
        for p in "${MISSING[@]}"; do
            is_installed "$p" || die "package $p still not installed after apt-get install"
        done
        say "installed ${#MISSING[@]} package(s)"
    fi
fi

# --- kubectl -----------------------------------------------------------------
if [ ! -x /usr/bin/kubectl ]; then
    die "kubectl not found at /usr/bin/kubectl. It is not packaged by Debian: install kubectl 1.32 there (e.g. from the Kubernetes release binaries) and re-run."
fi
say "kubectl: $(/usr/bin/kubectl version --client 2>/dev/null | head -n1)"

# --- Swift -------------------------------------------------------------------
if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        die "swift not found: install a Swift toolchain at /opt/swift or put swift on PATH"
    fi
fi
say "swift: $(swift --version 2>/dev/null | head -n1)"

# --- Python venv ---------------------------------------------------------------
VENV="$ROOT/.venv"
PY_PKGS=(kubernetes pytest requests PyYAML kubernetes-validate)
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "creating Python venv at $VENV"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || die "could not create a venv with $PYTHON (install python3-venv)"
fi
if "$VENV/bin/python" - "${PY_PKGS[@]}" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version, PackageNotFoundError
for name in sys.argv[1:]:
    version(name)   # raises PackageNotFoundError when missing
EOF
then
    say "venv already has: ${PY_PKGS[*]}"
else
    say "installing into venv: ${PY_PKGS[*]}"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PY_PKGS[@]}" \
        || die "pip install into $VENV failed"
fi
say "venv: $("$VENV/bin/python" -c 'import kubernetes, pytest, requests, yaml; print("kubernetes", kubernetes.__version__, "pytest", pytest.__version__, "requests", requests.__version__, "PyYAML", yaml.__version__)')"
# libvirt checks /dev/kvm as libvirt-qemu; without group access it re-probes QEMU
# (seconds) on every domain start. udev normally sets this; there is no udev here.
if [ "$(id -u)" -eq 0 ] && [ -c /dev/kvm ] && getent group kvm >/dev/null; then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm || say "could not set /dev/kvm to root:kvm 0660"
fi


say "done"
