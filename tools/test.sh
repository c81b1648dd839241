#!/usr/bin/env bash
# tools/test.sh — run Corral's whole test suite.
#
#   1. tools/bootstrap.sh            (Debian packages, kubectl, Python venv)
#   2. swift build --build-tests     (debug)
#   3. swift test                    (all unit tests)
#   4. pytest tests/integration      (real corrald, real kubectl + Python client)
#   5. pytest tests/images           (test images built from Debian packages, booted under TCG)
#   6. tools/e2e.sh                  (root: pods and VMs for real, inside a network namespace it creates)
#
# Exits non-zero if anything fails (pytest collecting no tests counts as a
# failure). The last line is "N passed, N failed" summed over the pytest suites.
# Runnable from any directory. Environment:
#   PYTEST_ARGS   extra pytest arguments (e.g. "-k kubectl -x")
#   CORRAL_SKIP_APT=1   passed on to bootstrap
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"

LOGDIR="$(mktemp -d "${TMPDIR:-/tmp}/corral-test.XXXXXX")"
FAILED=()
T0=$SECONDS

stage() { printf '\n==> %s\n' "$*"; }
elapsed() { printf '%dm%02ds' $(( (SECONDS - T0) / 60 )) $(( (SECONDS - T0) % 60 )); }

finish() {
    local passed="$1" failed="$2"
    echo
    echo "==> summary ($(elapsed))"
    [ -n "${SWIFT_SUMMARY:-}" ] && printf 'swift test: %s\n' "$SWIFT_SUMMARY"
    if [ "${#FAILED[@]}" -gt 0 ]; then
        printf 'FAILED stages: %s\n' "${FAILED[*]}"
    fi
    if [ "${#FAILED[@]}" -eq 0 ]; then
        rm -rf "$LOGDIR"
    else
        echo "logs kept in $LOGDIR"
    fi
    echo "$passed passed, $failed failed"
    [ "${#FAILED[@]}" -eq 0 ]
    exit $?
}

# 1. dependencies ---------------------------------------------------------------
stage "bootstrap"
if ! tools/bootstrap.sh; then
    FAILED+=("bootstrap")
    finish 0 0
fi

# 2. build ------------------------------------------------------------------------
stage "swift build --build-tests (debug)"
if ! timeout 2400 swift build --build-tests 2>&1 | tee "$LOGDIR/build.log"; then
    FAILED+=("swift-build")
    finish 0 0
fi
if [ ! -x .build/debug/corrald ]; then
    echo "test: .build/debug/corrald was not built" >&2
    FAILED+=("swift-build")
    finish 0 0
fi

# 3. unit tests ---------------------------------------------------------------------
stage "swift test"
timeout 1200 swift test --skip-build 2>&1 | tee "$LOGDIR/swift-test.log"
SWIFT_RC=${PIPESTATUS[0]}
# XCTest: "Executed N tests, with M failures ..." ; Swift Testing: "Test run with N tests ... passed/failed"
SWIFT_SUMMARY="$( { grep -A1 -E "Test Suite 'All tests' (passed|failed)" "$LOGDIR/swift-test.log" | grep -E 'Executed [0-9]+ tests?' | tail -n1;
                    grep -E 'Test run with [0-9]+ tests?' "$LOGDIR/swift-test.log" | tail -n1; } \
                  | sed 's/^[[:space:]]*//' | paste -sd ';' -)"
SWIFT_SUMMARY="${SWIFT_SUMMARY:-no summary line} (exit $SWIFT_RC)"
if [ "$SWIFT_RC" -ne 0 ]; then
    FAILED+=("swift-test")
fi

# 3b. fuzz the request decoders briefly (the full run is tools/fuzz-decode.sh) ------
stage "fuzz request decoding (${CORRAL_FUZZ_SECONDS:-30} s)"
if ! timeout 900 tools/fuzz-decode.sh "${CORRAL_FUZZ_SECONDS:-30}" 2>&1 | tail -n 5; then
    FAILED+=("fuzz")
fi

# 4. integration, image and end-to-end tests --------------------------------------------
export CORRALD="${CORRALD:-$ROOT/.build/debug/corrald}"
export CORRAL_TEST_IMAGES="${CORRAL_TEST_IMAGES:-$ROOT/.cache/test-images}"
PASSED=0
FAILS=0
# run_pytest NAME TIMEOUT CMD...: runs one pytest suite writing JUnit XML to $LOGDIR/NAME.xml.
run_pytest() {
    local name="$1" limit="$2"; shift 2
    stage "pytest: $name"
    # shellcheck disable=SC2086
    timeout "$limit" "$@" -v -rfE -p no:cacheprovider --junitxml="$LOGDIR/$name.xml" ${PYTEST_ARGS:-}
    local rc=$?
    local counts
    counts="$(.venv/bin/python - "$LOGDIR/$name.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 0); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = f = e = s = 0
for su in suites:
    t += int(su.get("tests", 0)); f += int(su.get("failures", 0))
    e += int(su.get("errors", 0)); s += int(su.get("skipped", 0))
print(t - f - e - s, f + e)
PYEOF
)"
    PASSED=$((PASSED + ${counts% *}))
    FAILS=$((FAILS + ${counts#* }))
    case "$rc" in
        0) ;;
        5) echo "test: $name collected no tests"; FAILED+=("$name(no tests)") ;;
        124) echo "test: $name timed out"; FAILED+=("$name(timeout)"); FAILS=$((FAILS + 1)) ;;
        *) FAILED+=("$name(exit $rc)") ;;
    esac
}

run_pytest integration 2700 .venv/bin/pytest tests/integration
# Test images from Debian packages (busybox, kernelboot, containerdisk); boots them under TCG.
run_pytest images 900 .venv/bin/pytest tests/images
# Pods and VMs for real: root, inside a network namespace tools/e2e.sh creates.
if [ "$(id -u)" -eq 0 ]; then
    run_pytest e2e 2700 tools/e2e.sh
else
    echo "test: end-to-end tests need root; run tools/test.sh as root" >&2
    FAILED+=("e2e(not root)")
fi

finish "${PASSED:-0}" "${FAILS:-0}"
