#!/usr/bin/env bash
# Fuzzes request-body decoding (fuzz/DecodeFuzzer.swift) for a bounded time.
#
#   tools/fuzz-decode.sh [SECONDS]      default 60
#
# Builds the harness with swiftc straight over Sources/CorralModel (Foundation
# only, so no SwiftPM build is needed and the shared .build is not touched) as a
# libFuzzer target with AddressSanitizer, into .build-fuzz/. It runs from the
# seed corpus in fuzz/corpus/ and keeps what it learns in .build-fuzz/corpus/.
# The last line is `fuzz: N runs, K crashes`; the exit status is non-zero when
# a crash, hang (>10 s per input) or out-of-memory was found, and the failing
# input is printed as hex and kept under .build-fuzz/artifacts/.
#
# Fallback: when this toolchain cannot link `-sanitize=fuzzer`, the harness is
# built as a plain executable (-D CORRAL_FUZZ_STANDALONE) that replays the seed
# corpus and then runs seeded random mutations of it (fixed seed 1, so runs are
# reproducible) until the time is up. That is much weaker than coverage-guided
# fuzzing; the script says so when it happens.
#
# Environment: FUZZ_FORCE_STANDALONE=1 uses the fallback even when libFuzzer works;
# FUZZ_JOBS is not used (one process: these machines have two cores).
set -uo pipefail

SECONDS_TO_RUN="${1:-60}"
case "$SECONDS_TO_RUN" in ''|*[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/.build-fuzz"
SEEDS="$ROOT/fuzz/corpus"
mkdir -p "$OUT/corpus" "$OUT/artifacts"

SOURCES=()
while IFS= read -r f; do SOURCES+=("$f"); done < <(find Sources/CorralModel -name '*.swift' | LC_ALL=C sort)
SOURCES+=("fuzz/DecodeFuzzer.swift")

# Rebuild only when a source is newer than the binary (or the mode changed).
needs_build() {
    local bin="$1"
    [ -x "$bin" ] || return 0
    for f in "${SOURCES[@]}" "$0"; do [ "$f" -nt "$bin" ] && return 0; done
    return 1
}

build_log="$OUT/build.log"
# gold warns about every ASan register-check helper ("Cannot export local symbol"); hide that noise.
filter_link_noise() { grep -v "Cannot export local symbol" || true; }

MODE=libfuzzer
BIN="$OUT/decode-fuzzer"
if [ "${FUZZ_FORCE_STANDALONE:-0}" = 1 ]; then
    MODE=standalone
elif needs_build "$BIN"; then
    echo "fuzz: building $BIN (libFuzzer + AddressSanitizer)…" >&2
    if ! swiftc -O -swift-version 5 -sanitize=fuzzer,address -parse-as-library -module-name CorralFuzz \
            "${SOURCES[@]}" -o "$BIN.tmp" >"$build_log" 2>&1; then
        filter_link_noise <"$build_log" | tail -20 >&2
        echo "fuzz: -sanitize=fuzzer does not build with this toolchain; falling back to the standalone mutation runner" >&2
        rm -f "$BIN.tmp"
        MODE=standalone
    else
        mv "$BIN.tmp" "$BIN"
    fi
fi

if [ "$MODE" = standalone ]; then
    BIN="$OUT/decode-fuzzer-standalone"
    if needs_build "$BIN"; then
        echo "fuzz: building $BIN (plain executable, no coverage guidance)…" >&2
        if ! swiftc -O -swift-version 5 -D CORRAL_FUZZ_STANDALONE -parse-as-library -module-name CorralFuzz \
                "${SOURCES[@]}" -o "$BIN.tmp" >"$build_log" 2>&1; then
            tail -30 "$build_log" >&2
            echo "fuzz: build failed" >&2
            exit 2
        fi
        mv "$BIN.tmp" "$BIN"
    fi
    echo "fuzz: NOTE: standalone mode replays fuzz/corpus and random mutations of it (seed 1); it is not coverage-guided" >&2
fi

# Let libFuzzer/ASan report crashes, not Swift's own backtracer (which forks a
# helper per crash and is slow on deep recursion).
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:handle_abort=1:symbolize=1}"

run_log="$OUT/run.log"
started_marker="$OUT/.run-started"
touch "$started_marker"
echo "fuzz: running $MODE for ${SECONDS_TO_RUN}s (log: $run_log)" >&2

if [ "$MODE" = libfuzzer ]; then
    # -max_len 16 KiB: long enough for nested manifests and protobuf envelopes.
    "$BIN" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$OUT/artifacts/" \
        "$OUT/corpus" "$SEEDS" >"$run_log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$run_log" | tail -1 | grep -o '[0-9]*$')
    if [ -z "$runs" ]; then runs=$(grep -oE '^#[0-9]+' "$run_log" | tail -1 | tr -d '#'); fi
else
    "$BIN" -max_total_time="$SECONDS_TO_RUN" -runs=100000000 -seed=1 -artifact_prefix="$OUT/artifacts/" \
        "$SEEDS" >"$run_log" 2>&1
    rc=$?
    runs=$(grep -oE 'Done [0-9]+ runs' "$run_log" | grep -oE '[0-9]+')
    if [ $rc -ne 0 ] && [ -f "$OUT/artifacts/last-input" ]; then
        mv "$OUT/artifacts/last-input" "$OUT/artifacts/crash-standalone-$(date +%s)"
    fi
fi
runs="${runs:-0}"

# Failing inputs written during this run.
artifacts=()
while IFS= read -r f; do artifacts+=("$f"); done < <(find "$OUT/artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) -newer "$started_marker" 2>/dev/null)
crashes=${#artifacts[@]}
if [ $rc -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi

if [ "$crashes" -gt 0 ]; then
    echo "---- failure report (full log: $run_log) ----" >&2
    grep -E 'Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY|^ *#[0-9]+ 0x' "$run_log" | head -60 >&2
    for f in "${artifacts[@]}"; do
        echo "input $f ($(wc -c <"$f") bytes), hex:" >&2
        od -An -v -tx1 "$f" | tr -d ' \n' | fold -w 128 | head -64 >&2
        echo >&2
    done
fi

echo "fuzz: $runs runs, $crashes crashes"
[ "$crashes" -eq 0 ]
