#!/usr/bin/env bash
# tools/down.sh — stop the corrald started by tools/up.sh (by its pid file).
# Environment: CORRAL_DATA_DIR (default /var/lib/corral).
set -euo pipefail

DATA_DIR="${CORRAL_DATA_DIR:-/var/lib/corral}"
PIDFILE="$DATA_DIR/corrald.pid"

say() { printf 'down: %s\n' "$*"; }

if [ ! -f "$PIDFILE" ]; then
    say "no pid file at $PIDFILE; nothing to stop"
    exit 0
fi
PID="$(tr -dc '0-9' <"$PIDFILE")"
if [ -z "$PID" ] || ! kill -0 "$PID" 2>/dev/null; then
    say "corrald (pid ${PID:-?}) is not running; removing stale $PIDFILE"
    rm -f "$PIDFILE"
    exit 0
fi
if ! grep -q corrald "/proc/$PID/cmdline" 2>/dev/null; then
    say "pid $PID is not a corrald; removing stale $PIDFILE without killing it"
    rm -f "$PIDFILE"
    exit 0
fi
say "stopping corrald (pid $PID)"
kill -TERM "$PID"
for _ in $(seq 1 100); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$PID" 2>/dev/null; then
    say "still running after 10 s; sending SIGKILL"
    kill -KILL "$PID" 2>/dev/null || true
fi
rm -f "$PIDFILE"
say "stopped"
