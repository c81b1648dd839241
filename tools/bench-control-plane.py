#!/usr/bin/env python3
"""Control-plane benchmark for corrald (issue 2, last "Done means" bullet).

Command (from the repository root, after `swift build -c release`):

    .venv/bin/python tools/bench-control-plane.py [--binary .build/release/corrald]
        [--sync full|normal] [--quick] [--no-doc] [--doc docs/performance.md]
        [--watch-threads] [--wait-idle SECONDS] [--tmpdir DIR] [--keep]

It needs only the Python standard library (any python3 works; the venv is not
required). In one run it:

  1. measures the raw SQLite baseline: python `sqlite3`, WAL, the same
     `synchronous` setting as the daemon, one INSERT of a 400-byte blob per
     COMMIT -> commits/s; ~3 s before the create runs and ~1.5 s after each
     of them (fsync speed on a shared disk drifts, so each create run is
     compared with the mean of the two raw windows around it);
  2. starts corrald (empty data dir) and measures ConfigMap create throughput
     with 1 and with 4 concurrent clients (threads, one keep-alive
     http.client.HTTPSConnection each, admin client cert, ~4 s each) ->
     creates/s and the ratio to (1); target >= 40 %;
  4. on the same daemon: 100 concurrent watch connections (streaming GET
     watch=true from the current resourceVersion) while writers create 200
     ConfigMaps/s for ~5 s; latency = watcher receive time - the time the
     write's 2xx arrived (and also - request send time), p50/p99 over all
     (watcher, event) pairs; target p99 <= 20 ms. By default the client
     multiplexes the 100 connections on one epoll thread, because 100 Python
     threads contending for the GIL at 20,000 events/s use a whole core and
     dominate the measured latency; --watch-threads uses one thread each;
  3. starts a second daemon, loads 10,000 ConfigMaps with 4 threads,
     measures GET p50/p99 and the full list of 10,000 (no limit; JSON and
     Table), p50 of 5 runs; target list <= 300 ms;
  6. idle RSS (VmRSS) of the empty daemon after start + settle (target
     <= 40 MiB), and of the 10,000-object daemon after a list;
  5. cold start to /readyz (polled every 5 ms), median of 3 starts with an
     empty data dir and with the 10,000-object data dir (stopped with SIGTERM
     first); target <= 1 s.

It also prints diagnostics: server-side request times from the daemon's
access log, daemon and client CPU, the client's own 1-connection ceiling
(sequential GET /readyz), the RSS split into anonymous and file-backed pages,
and the load average (other work on the machine disturbs every figure).

It prints a table and replaces the section "## Control plane (issue 2)" in
docs/performance.md (creating the file if missing; other sections are kept).
`--quick` is a ~1-minute smoke run with smaller counts; it prints every figure
but does not touch docs/performance.md unless `--doc` is given explicitly.

Every daemon runs in its own temp dir on a free loopback port and is stopped
(by PID: SIGTERM, then SIGKILL) and removed at exit, on errors, on Ctrl-C
and on SIGTERM. The daemon binary is copied into the temp dir first, so a
rebuild of .build/ during the run does not disturb it.
Each daemon's stderr (JSON access log with per-request "ms") is kept in its
temp dir; with --keep the dirs are left in place for inspection. Server-side
per-request times from that log are printed as a diagnostic.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchdoc  # tools/benchdoc.py: the shared docs/performance.md writer

REPO = Path(__file__).resolve().parents[1]
SECTION_TITLE = "## Control plane (issue 2)"
NS = "default"
CM_PATH = f"/api/v1/namespaces/{NS}/configmaps"
TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io"
PAYLOAD = "x" * 400
MiB = 1024 * 1024

# Everything started by this process, so that cleanup can find it.
_DAEMONS: list["Daemon"] = []
_TEMP_DIRS: list[Path] = []


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for an empty list."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def cm_body(name: str) -> bytes:
    return json.dumps({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"bench": "control-plane"}},
        "data": {"payload": PAYLOAD},
    }, separators=(",", ":")).encode()


# --------------------------------------------------------------------------
# Daemon lifecycle
# --------------------------------------------------------------------------
class Daemon:
    """One corrald process on its own data dir and free loopback port."""

    def __init__(self, binary: Path, data_dir: Path, sync: str, label: str,
                 extra_args: tuple[str, ...] = ("--disable-agent",)):
        self.binary = binary
        self.extra_args = tuple(extra_args)
        self.data_dir = data_dir
        self.sync = sync
        self.label = label
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self._log_fh = None
        self._ctx: ssl.SSLContext | None = None
        _DAEMONS.append(self)

    @property
    def pki(self) -> Path:
        return self.data_dir / "pki"

    def ssl_context(self) -> ssl.SSLContext:
        if self._ctx is None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cafile=str(self.pki / "ca.crt"))
            ctx.load_cert_chain(str(self.pki / "admin.crt"), str(self.pki / "admin.key"))
            ctx.check_hostname = False  # we connect to 127.0.0.1; the CA is still verified
            self._ctx = ctx
        return self._ctx

    def conn(self, timeout: float = 30.0) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ssl_context(),
                                           timeout=timeout)

    def start(self, timeout: float = 30.0) -> float:
        """Starts the daemon; returns seconds from spawn to the first /readyz `ok`."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError(f"{self.label}: already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._ctx = None  # the PKI may be created by this start
        cmd = [str(self.binary), "--data-dir", str(self.data_dir),
               "--listen", f"127.0.0.1:{self.port}", "--sync", self.sync, *self.extra_args]
        self._log_fh = open(self.log_path, "ab")
        self._log_fh.write(f"\n===== bench: start: {' '.join(cmd)}\n".encode())
        self._log_fh.flush()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log_fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = t0 + timeout
        last_err = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label}: corrald exited with code {self.proc.returncode} "
                                   f"before /readyz; log tail:\n{self.log_tail()}")
            try:
                c = self.conn(timeout=1.0)
                try:
                    c.request("GET", "/readyz")
                    r = c.getresponse()
                    body = r.read()
                finally:
                    c.close()
                if r.status == 200 and body.strip() == b"ok":
                    return time.monotonic() - t0
                last_err = f"HTTP {r.status} {body[:80]!r}"
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                # Not listening yet, or PKI files not (completely) written yet.
                self._ctx = None
                last_err = repr(e)
            time.sleep(0.005)
        raise RuntimeError(f"{self.label}: /readyz not ok after {timeout}s ({last_err}); "
                           f"log tail:\n{self.log_tail()}")

    def stop(self, timeout: float = 15.0) -> float | None:
        """SIGTERM, wait, then SIGKILL. Returns seconds to exit (None if not running)."""
        p = self.proc
        if p is None:
            return None
        took = None
        if p.poll() is None:
            t0 = time.monotonic()
            try:
                os.kill(p.pid, signal.SIGTERM)
                p.wait(timeout=timeout)
                took = time.monotonic() - t0
            except subprocess.TimeoutExpired:
                log(f"{self.label}: no exit {timeout}s after SIGTERM; SIGKILL pid {p.pid}")
                os.kill(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.proc = None
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None
        return took

    def rss_bytes(self, field: str = "VmRSS") -> int:
        """A field of /proc/PID/status in bytes: VmRSS, RssAnon, RssFile."""
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"{field} not found")

    def rss_detail(self) -> dict:
        return {k: self.rss_bytes(k) for k in ("VmRSS", "RssAnon", "RssFile")}

    def cpu_seconds(self) -> float:
        """utime + stime of the daemon so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tck = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / tck

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def access_ms(self, start: int, end: int, method: str, uri_prefix: str) -> list[float]:
        """Server-side request times ("ms") from the access log between two offsets."""
        out = []
        try:
            with open(self.log_path, "rb") as f:
                f.seek(start)
                chunk = f.read(max(0, end - start))
        except OSError:
            return out
        for line in chunk.splitlines():
            if b'"access"' not in line:
                continue
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if o.get("method") == method and str(o.get("uri", "")).startswith(uri_prefix):
                try:
                    out.append(float(o["ms"]))
                except (KeyError, ValueError):
                    pass
        return out


def cleanup() -> None:
    for d in list(_DAEMONS):
        try:
            d.stop(timeout=10)
        except Exception as e:  # keep cleaning the rest
            log(f"cleanup: {d.label}: {e!r}")


def request(conn: http.client.HTTPSConnection, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, bytes]:
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    if headers:
        h.update(headers)
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


# --------------------------------------------------------------------------
# 1. raw SQLite baseline
# --------------------------------------------------------------------------
def raw_sqlite(tmp: Path, sync: str, seconds: float) -> dict:
    d = Path(tempfile.mkdtemp(prefix="raw-sqlite-", dir=tmp))
    db = sqlite3.connect(str(d / "raw.db"), isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={sync.upper()}")
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        syn = db.execute("PRAGMA synchronous").fetchone()[0]
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
        blob = os.urandom(400)
        for _ in range(50):  # warm-up
            db.execute("BEGIN"); db.execute("INSERT INTO t (v) VALUES (?)", (blob,)); db.execute("COMMIT")
        n = 0
        t0 = time.monotonic()
        end = t0 + seconds
        while n < 10_000_000:
            db.execute("BEGIN")
            db.execute("INSERT INTO t (v) VALUES (?)", (blob,))
            db.execute("COMMIT")
            n += 1
            if (n & 15) == 0 and time.monotonic() >= end:
                break
        el = time.monotonic() - t0
    finally:
        db.close()
        shutil.rmtree(d, ignore_errors=True)
    return {"commits_per_s": n / el, "commits": n, "seconds": el, "journal_mode": mode,
            "synchronous": syn}


# --------------------------------------------------------------------------
# 2. create throughput
# --------------------------------------------------------------------------
def create_throughput(dm: Daemon, clients: int, seconds: float, tag: str) -> dict:
    errors: list[str] = []
    counts = [0] * clients
    lat: list[list[float]] = [[] for _ in range(clients)]
    go = threading.Event()
    ready = threading.Barrier(clients + 1, timeout=30)
    state = {"end": 0.0}

    def worker(i: int):
        try:
            c = dm.conn()
            # Warm up the connection (TLS handshake, keep-alive) outside the clock.
            for k in range(20):
                s, b = request(c, "POST", CM_PATH, cm_body(f"{tag}-w{i}-{k}"))
                if s != 201:
                    raise RuntimeError(f"warm-up create: HTTP {s} {b[:200]!r}")
            ready.wait()
            go.wait(30)
            end = state["end"]
            n = 0
            mylat = lat[i]
            while n < 1_000_000:
                t = time.monotonic()
                if t >= end:
                    break
                s, b = request(c, "POST", CM_PATH, cm_body(f"{tag}-{i}-{n}"))
                if s != 201:
                    raise RuntimeError(f"create: HTTP {s} {b[:200]!r}")
                mylat.append(time.monotonic() - t)
                n += 1
            counts[i] = n
            c.close()
        except Exception as e:
            errors.append(repr(e))
            try:
                ready.abort()
            except Exception:
                pass

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    log_start = dm.log_size()
    cpu0 = dm.cpu_seconds()
    pcpu0 = time.process_time()
    t0 = time.monotonic()
    state["end"] = t0 + seconds
    go.set()
    for t in threads:
        t.join(seconds + 60)
    el = time.monotonic() - t0
    cpu1 = dm.cpu_seconds()
    pcpu1 = time.process_time()
    if errors:
        raise RuntimeError(f"create throughput ({clients} clients): {errors[0]}")
    all_lat = [x for l in lat for x in l]
    server_ms = dm.access_ms(log_start, dm.log_size(), "POST", CM_PATH)
    total = sum(counts)
    return {"clients": clients, "creates": total, "seconds": el, "creates_per_s": total / el,
            "p50_ms": pct(all_lat, 50) * 1e3, "p99_ms": pct(all_lat, 99) * 1e3,
            "server_p50_ms": pct(server_ms, 50), "server_p99_ms": pct(server_ms, 99),
            "daemon_cpu": (cpu1 - cpu0) / el, "client_cpu": (pcpu1 - pcpu0) / el}


def noop_round_trips(dm: Daemon, seconds: float) -> dict:
    """The 1-client ceiling: sequential GET /readyz on one keep-alive connection."""
    c = dm.conn()
    for _ in range(20):
        request(c, "GET", "/readyz")
    n = 0
    t0 = time.monotonic()
    end = t0 + seconds
    while n < 1_000_000 and time.monotonic() < end:
        s, _ = request(c, "GET", "/readyz")
        if s != 200:
            raise RuntimeError(f"/readyz: HTTP {s}")
        n += 1
    el = time.monotonic() - t0
    c.close()
    return {"per_s": n / el, "mean_ms": el / max(n, 1) * 1e3}


# --------------------------------------------------------------------------
# 4. watch delivery latency
# --------------------------------------------------------------------------
NAME_RE = re.compile(rb'"name"\s*:\s*"(bw[0-9]+-[0-9]+)"')
_WATCH_RUNS = [0]


class StreamDecoder:
    """De-chunks one watch response body and records (name, receive time) per event line."""

    __slots__ = ("chunked", "pending", "body", "got", "other_events", "ended")

    def __init__(self, chunked: bool):
        self.chunked = chunked
        self.pending = b""  # raw (chunked) bytes not yet decoded
        self.body = b""     # de-chunked bytes not yet split into lines
        self.got: list[tuple[bytes, float]] = []
        self.other_events = 0
        self.ended = False

    def feed(self, data: bytes, now: float) -> None:
        if self.chunked:
            pending = self.pending + data if self.pending else data
            body = self.body
            while True:
                i = pending.find(b"\r\n")
                if i < 0:
                    break
                size = int(pending[:i].split(b";", 1)[0] or b"0", 16)
                if size == 0:  # the server ended the stream
                    self.ended = True
                    pending = b""
                    break
                if len(pending) < i + 2 + size + 2:
                    break
                body += pending[i + 2:i + 2 + size]
                pending = pending[i + 2 + size + 2:]
            self.pending = pending
        else:
            body = self.body + data
        if b"\n" in body:
            lines = body.split(b"\n")
            body = lines.pop()
            got = self.got
            for line in lines:
                m = NAME_RE.search(line)
                if m:
                    got.append((m.group(1), now))
                elif line.strip():
                    self.other_events += 1
        self.body = body


def open_watch(dm: Daemon, rv: str, timeout_s: int) -> tuple[ssl.SSLSocket, StreamDecoder, bytes]:
    """Connects, sends the watch GET and reads the response head."""
    raw = socket.create_connection(("127.0.0.1", dm.port), timeout=30)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock = dm.ssl_context().wrap_socket(raw, server_hostname="127.0.0.1")
    try:
        path = f"{CM_PATH}?watch=true&resourceVersion={rv}&timeoutSeconds={timeout_s}"
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Accept: application/json\r\nUser-Agent: bench-control-plane\r\n\r\n").encode())
        buf = b""
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            d = sock.recv(65536)
            if not d:
                raise RuntimeError("connection closed before headers")
            buf += d
        head, _, rest = buf.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 200" not in status:
            raise RuntimeError(f"watch: {status!r}")
        return sock, StreamDecoder(b"chunked" in head.lower()), rest
    except BaseException:
        sock.close()
        raise


class WatchThread(threading.Thread):
    """One thread per watch connection (--watch-threads)."""

    def __init__(self, dm: Daemon, rv: str, timeout_s: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.dm, self.rv, self.timeout_s, self.stop_ev = dm, rv, timeout_s, stop
        self.decoders: list[StreamDecoder] = []
        self.connected = threading.Event()
        self.error: str | None = None

    def run(self):
        sock = None
        try:
            sock, dec, rest = open_watch(self.dm, self.rv, self.timeout_s)
            self.decoders.append(dec)
            self.connected.set()
            sock.settimeout(0.25)
            if rest:
                dec.feed(rest, time.monotonic())
            n = 0
            while not self.stop_ev.is_set() and not dec.ended and n < 10_000_000:
                n += 1
                try:
                    d = sock.recv(262144)
                except socket.timeout:
                    continue
                if not d:
                    break
                dec.feed(d, time.monotonic())
        except Exception as e:
            if not self.stop_ev.is_set():
                self.error = repr(e)
        finally:
            self.connected.set()
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass


class WatchLoop(threading.Thread):
    """N watch connections multiplexed by one thread with epoll (the default).

    Every connection is still its own HTTPS watch on the server; one event loop
    keeps the Python client's own cost (GIL hand-offs between 100 threads) out
    of the measured latency. Receive times are taken when epoll reports data.
    """

    def __init__(self, dm: Daemon, rv: str, timeout_s: int, stop: threading.Event, count: int):
        super().__init__(daemon=True)
        self.dm, self.rv, self.timeout_s, self.stop_ev, self.count = dm, rv, timeout_s, stop, count
        self.decoders: list[StreamDecoder] = []
        self.connected = threading.Event()
        self.error: str | None = None

    def run(self):
        import selectors
        sel = selectors.DefaultSelector()
        socks = []
        try:
            for _ in range(self.count):
                sock, dec, rest = open_watch(self.dm, self.rv, self.timeout_s)
                socks.append(sock)
                self.decoders.append(dec)
                if rest:
                    dec.feed(rest, time.monotonic())
                sock.setblocking(False)
                sel.register(sock, selectors.EVENT_READ, dec)
            self.connected.set()
            live = len(socks)
            n = 0
            while not self.stop_ev.is_set() and live > 0 and n < 100_000_000:
                n += 1
                ready = sel.select(0.25)
                now = time.monotonic()
                for key, _ in ready:
                    sock, dec = key.fileobj, key.data
                    # Drain the socket, including what the TLS layer already buffered.
                    while True:
                        try:
                            d = sock.recv(262144)
                        except (ssl.SSLWantReadError, BlockingIOError):
                            break
                        if not d:
                            dec.ended = True
                            break
                        dec.feed(d, now)
                    if dec.ended:
                        sel.unregister(sock)
                        live -= 1
        except Exception as e:
            if not self.stop_ev.is_set():
                self.error = repr(e)
        finally:
            self.connected.set()
            sel.close()
            for sock in socks:
                try:
                    sock.close()
                except OSError:
                    pass


def watch_latency(dm: Daemon, watchers: int, rate: float, seconds: float, threads: bool = False) -> dict:
    c = dm.conn()
    s, b = request(c, "GET", CM_PATH + "?limit=1")
    if s != 200:
        raise RuntimeError(f"list for resourceVersion: HTTP {s}")
    rv = json.loads(b)["metadata"]["resourceVersion"]
    c.close()
    stop = threading.Event()
    if threads:
        ts = [WatchThread(dm, rv, int(seconds) + 120, stop) for _ in range(watchers)]
    else:
        ts = [WatchLoop(dm, rv, int(seconds) + 120, stop, watchers)]
    for t in ts:
        t.start()
    deadline = time.monotonic() + 60
    for t in ts:
        t.connected.wait(max(0.0, deadline - time.monotonic()))
    errs = [t.error for t in ts if t.error]
    ws = [d for t in ts for d in t.decoders]
    connected = len(ws)
    if errs or connected < watchers:
        stop.set()
        raise RuntimeError(f"watchers failed: {errs[:1]} ({connected} of {watchers} connected)")
    time.sleep(0.3)  # let the server finish registering the streams

    total = int(rate * seconds)
    _WATCH_RUNS[0] += 1
    run = _WATCH_RUNS[0]
    ack: dict[bytes, float] = {}
    sent: dict[bytes, float] = {}
    werr: list[str] = []
    slot = [0]
    lock = threading.Lock()
    log_start = dm.log_size()
    cpu0, pcpu0 = dm.cpu_seconds(), time.process_time()
    t0 = time.monotonic() + 0.05

    def writer():
        try:
            wc = dm.conn()
            while True:
                with lock:
                    i = slot[0]
                    slot[0] += 1
                if i >= total:
                    break
                at = t0 + i / rate
                d = at - time.monotonic()
                if d > 0:
                    time.sleep(d)
                name = f"bw{run}-{i:06d}"
                t_send = time.monotonic()
                s, body = request(wc, "POST", CM_PATH, cm_body(name))
                t_ack = time.monotonic()
                if s != 201:
                    raise RuntimeError(f"watch writer: HTTP {s} {body[:200]!r}")
                key = name.encode()
                sent[key] = t_send
                ack[key] = t_ack
            wc.close()
        except Exception as e:
            werr.append(repr(e))

    # A few writer threads, so one slow commit does not push the schedule back.
    wts = [threading.Thread(target=writer, daemon=True) for _ in range(4)]
    for t in wts:
        t.start()
    for t in wts:
        t.join(seconds + 60)
    write_el = time.monotonic() - t0
    cpu1, pcpu1 = dm.cpu_seconds(), time.process_time()
    if werr:
        stop.set()
        raise RuntimeError(werr[0])
    # Wait (bounded) until every watcher saw every event.
    wait_end = time.monotonic() + 10
    while time.monotonic() < wait_end:
        if all(len(w.got) >= total for w in ws):
            break
        time.sleep(0.05)
    stop.set()
    for t in ts:
        t.join(5)
    lat_ack: list[float] = []
    lat_sent: list[float] = []
    by_second: dict[int, list[float]] = {}
    missing = 0
    dup = 0
    for w in ws:
        seen = set()
        for name, tr in w.got:
            if name in seen:
                dup += 1
                continue
            seen.add(name)
            a = ack.get(name)
            if a is None:
                continue
            lat_ack.append(tr - a)
            lat_sent.append(tr - sent[name])
            by_second.setdefault(int((sent[name] - t0)), []).append(tr - a)
        missing += sum(1 for k in ack if k not in seen)
    server_ms = dm.access_ms(log_start, dm.log_size(), "POST", CM_PATH)
    return {"watchers": watchers, "connected": connected, "writes": len(ack),
            "write_rate": len(ack) / write_el, "pairs": len(lat_ack), "missing": missing,
            "duplicates": dup,
            "ack_p50_ms": pct(lat_ack, 50) * 1e3, "ack_p99_ms": pct(lat_ack, 99) * 1e3,
            "ack_max_ms": (max(lat_ack) if lat_ack else float("nan")) * 1e3,
            "send_p50_ms": pct(lat_sent, 50) * 1e3, "send_p99_ms": pct(lat_sent, 99) * 1e3,
            "server_post_p50_ms": pct(server_ms, 50), "server_post_p99_ms": pct(server_ms, 99),
            "daemon_cpu": (cpu1 - cpu0) / write_el, "client_cpu": (pcpu1 - pcpu0) / write_el,
            "mode": "one thread per watcher" if threads else "one epoll thread for all watchers",
            "p99_by_second_ms": [pct(by_second[k], 99) * 1e3 for k in sorted(by_second)]}


# --------------------------------------------------------------------------
# 3. load, get and list latency
# --------------------------------------------------------------------------
def load_objects(dm: Daemon, count: int, threads: int) -> dict:
    errors: list[str] = []
    per = [list(range(i, count, threads)) for i in range(threads)]

    def worker(idx: list[int]):
        try:
            c = dm.conn()
            for i in idx:
                s, b = request(c, "POST", CM_PATH, cm_body(f"obj-{i:05d}"))
                if s != 201:
                    raise RuntimeError(f"load: HTTP {s} {b[:200]!r}")
                if errors:
                    return
            c.close()
        except Exception as e:
            errors.append(repr(e))

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker, args=(p,), daemon=True) for p in per]
    for t in ts:
        t.start()
    for t in ts:
        t.join(600)
    el = time.monotonic() - t0
    if errors:
        raise RuntimeError(errors[0])
    if any(t.is_alive() for t in ts):
        raise RuntimeError("load did not finish in 600 s")
    return {"count": count, "seconds": el, "per_s": count / el}


def get_list_latency(dm: Daemon, count: int, gets: int, list_runs: int) -> dict:
    c = dm.conn(timeout=120)
    rnd = random.Random(2)
    for _ in range(20):  # warm-up
        request(c, "GET", f"{CM_PATH}/obj-{rnd.randrange(count):05d}")
    get_lat = []
    log0 = dm.log_size()
    for _ in range(gets):
        p = f"{CM_PATH}/obj-{rnd.randrange(count):05d}"
        t = time.monotonic()
        s, b = request(c, "GET", p)
        get_lat.append(time.monotonic() - t)
        if s != 200:
            raise RuntimeError(f"get {p}: HTTP {s}")
    get_server = dm.access_ms(log0, dm.log_size(), "GET", CM_PATH + "/")

    def timed_list(accept: str) -> tuple[float, bytes]:
        t = time.monotonic()
        s, b = request(c, "GET", CM_PATH, headers={"Accept": accept})
        el = time.monotonic() - t
        if s != 200:
            raise RuntimeError(f"list: HTTP {s} {b[:200]!r}")
        return el, b

    # Check once (untimed) that the list really holds every object.
    _, b = timed_list("application/json")
    doc = json.loads(b)
    n_items = len(doc.get("items") or [])
    list_bytes = len(b)
    _, tb = timed_list(TABLE_ACCEPT)
    tdoc = json.loads(tb)
    n_rows = len(tdoc.get("rows") or [])
    table_bytes = len(tb)
    del doc, tdoc, b, tb
    lj, lt = [], []
    log1 = dm.log_size()
    for _ in range(list_runs):
        lj.append(timed_list("application/json")[0])
    log2 = dm.log_size()
    for _ in range(list_runs):
        lt.append(timed_list(TABLE_ACCEPT)[0])
    list_server = dm.access_ms(log1, log2, "GET", CM_PATH)
    table_server = dm.access_ms(log2, dm.log_size(), "GET", CM_PATH)
    c.close()
    return {"get_p50_ms": pct(get_lat, 50) * 1e3, "get_p99_ms": pct(get_lat, 99) * 1e3,
            "get_server_p50_ms": pct(get_server, 50),
            "list_items": n_items, "list_mb": list_bytes / MiB,
            "list_p50_ms": statistics.median(lj) * 1e3, "list_min_ms": min(lj) * 1e3,
            "list_max_ms": max(lj) * 1e3,
            "table_rows": n_rows, "table_mb": table_bytes / MiB,
            "table_p50_ms": statistics.median(lt) * 1e3, "table_max_ms": max(lt) * 1e3,
            "list_server_p50_ms": pct(list_server, 50), "table_server_p50_ms": pct(table_server, 50)}


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------
def fmt(v: float, d: int = 1) -> str:
    return "n/a" if v != v else f"{v:,.{d}f}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def build_rows(R: dict, cfg: dict) -> list[tuple[str, str, str, str]]:
    ws = [R[k]["commits_per_s"] for k in ("raw", "raw_mid", "raw_after")]
    rows = [("Raw SQLite commits/s (WAL, synchronous=%s, 400 B row per txn), before / between / "
             "after the create runs" % cfg["sync"].upper(),
             " / ".join(fmt(w, 0) for w in ws), "baseline", "")]
    for key in ("create1", "create4"):
        c = R[key]
        ratio = c["creates_per_s"] / c["raw_ref"]
        rows.append((f"API creates/s, {c['clients']} client{'s' if c['clients'] > 1 else ''} "
                     f"(ratio to the raw windows around it)", f"{fmt(c['creates_per_s'], 0)} ({ratio:.0%})",
                     ">= 40%", verdict(ratio >= 0.40)))
    g = R["getlist"]
    rows.append(("GET one ConfigMap p50 / p99 (ms)", f"{fmt(g['get_p50_ms'], 2)} / {fmt(g['get_p99_ms'], 2)}",
                 "", ""))
    rows.append((f"List {g['list_items']:,} ConfigMaps, JSON, p50 of {cfg['list_runs']} (ms)",
                 fmt(g["list_p50_ms"]), "<= 300 ms", verdict(g["list_p50_ms"] <= 300)))
    rows.append((f"List {g['table_rows']:,} ConfigMaps, Table, p50 of {cfg['list_runs']} (ms)",
                 fmt(g["table_p50_ms"]), "<= 300 ms", verdict(g["table_p50_ms"] <= 300)))
    w = R["watch"]
    rows.append((f"Watch delivery, {w['watchers']} watchers, {fmt(w['write_rate'], 0)} writes/s: "
                 f"p50 / p99 from ack (ms)", f"{fmt(w['ack_p50_ms'], 2)} / {fmt(w['ack_p99_ms'], 2)}",
                 "p99 <= 20 ms", verdict(w["ack_p99_ms"] <= 20 and w["missing"] == 0)))
    rows.append(("Watch delivery p50 / p99 from request send (ms)",
                 f"{fmt(w['send_p50_ms'], 2)} / {fmt(w['send_p99_ms'], 2)}", "", ""))
    cs = R["cold"]
    rows.append((f"Cold start to /readyz, empty, median of {len(cs['empty'])} (ms)",
                 fmt(statistics.median(cs["empty"]) * 1e3, 0), "<= 1000 ms",
                 verdict(statistics.median(cs["empty"]) <= 1.0)))
    rows.append((f"Cold start to /readyz, {cfg['objects']:,} objects, median of {len(cs['full'])} (ms)",
                 fmt(statistics.median(cs["full"]) * 1e3, 0), "<= 1000 ms",
                 verdict(statistics.median(cs["full"]) <= 1.0)))
    rows.append(("Idle RSS, empty, after start + settle (MiB)", fmt(R["rss_empty"] / MiB), "<= 40 MiB",
                 verdict(R["rss_empty"] <= 40 * MiB)))
    rows.append((f"RSS with {cfg['objects']:,} objects, after a list (MiB)", fmt(R["rss_full"] / MiB), "", ""))
    return rows


def table_text(rows) -> str:
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    w2 = max(len(r[2]) for r in rows)
    out = []
    for r in rows:
        out.append(f"{r[0]:<{w0}}  {r[1]:>{w1}}  {r[2]:<{w2}}  {r[3]}")
    return "\n".join(out)


def details(R: dict) -> list[str]:
    c1, c4, w, g = R["create1"], R["create4"], R["watch"], R["getlist"]
    lines = []
    for c in (c1, c4):
        lines.append(f"create, {c['clients']} client(s): {c['creates']:,} creates in {c['seconds']:.1f} s; "
                     f"client-observed p50/p99 {fmt(c['p50_ms'], 2)}/{fmt(c['p99_ms'], 2)} ms; "
                     f"server-side (access log) p50/p99 {fmt(c['server_p50_ms'], 2)}/"
                     f"{fmt(c['server_p99_ms'], 2)} ms; daemon CPU {c['daemon_cpu']:.0%} of one core, "
                     f"benchmark client CPU {c['client_cpu']:.0%}")
    lines.append(f"raw SQLite windows: {R['cfg']['raw_seconds']:.1f} s before, "
                 f"{R['cfg']['raw_seconds'] / 2:.1f} s between and after the create runs; each create "
                 f"ratio uses the mean of the two windows around it (1 client: "
                 f"{fmt(c1['raw_ref'], 0)}/s, 4 clients: {fmt(c4['raw_ref'], 0)}/s), because fsync speed "
                 f"on a shared disk drifts")
    lines.append(f"1-client ceiling of this client: {fmt(R['noop']['per_s'], 0)} sequential no-op "
                 f"GET /readyz/s ({R['noop']['mean_ms']:.2f} ms per round trip) on one keep-alive connection")
    e, f_ = R["rss_empty_detail"], R["rss_full_detail"]
    lines.append(f"RSS split (MiB): empty anon {e['RssAnon'] / MiB:.1f} + file-backed {e['RssFile'] / MiB:.1f}; "
                 f"{R['cfg']['objects']:,} objects anon {f_['RssAnon'] / MiB:.1f} + file-backed "
                 f"{f_['RssFile'] / MiB:.1f}")
    lines.append(f"load of {R['load']['count']:,} objects with {R['load_threads']} threads: "
                 f"{R['load']['seconds']:.1f} s ({fmt(R['load']['per_s'], 0)}/s)")
    lines.append(f"list body {g['list_mb']:.1f} MiB (Table {g['table_mb']:.1f} MiB); JSON list min/max "
                 f"{fmt(g['list_min_ms'])}/{fmt(g['list_max_ms'])} ms; server-side p50 JSON list "
                 f"{fmt(g['list_server_p50_ms'])} ms, Table {fmt(g['table_server_p50_ms'])} ms; GET server-side p50 {fmt(g['get_server_p50_ms'], 2)} ms")
    lines.append(f"watch ({w['mode']} in the client): {w['connected']}/{w['watchers']} watchers "
                 f"connected, {w['writes']} writes, "
                 f"{w['pairs']:,} (watcher, event) pairs, {w['missing']} missing, {w['duplicates']} duplicate, "
                 f"max {fmt(w['ack_max_ms'], 1)} ms from ack; writer's server-side POST p50/p99 "
                 f"{fmt(w['server_post_p50_ms'], 2)}/{fmt(w['server_post_p99_ms'], 2)} ms; daemon CPU "
                 f"{w['daemon_cpu']:.0%} of one core, benchmark client CPU {w['client_cpu']:.0%}; p99 from ack "
                 f"per second of the run: " + ", ".join(f"{x:.0f}" for x in w["p99_by_second_ms"]) + " ms")
    cs = R["cold"]
    lines.append("cold starts (ms): empty " + ", ".join(f"{x * 1e3:.0f}" for x in cs["empty"]) +
                 f"; {R['cfg']['objects']:,} objects " + ", ".join(f"{x * 1e3:.0f}" for x in cs["full"]) +
                 (f"; SIGTERM to exit with {R['cfg']['objects']:,} objects {cs['stop_full'] * 1e3:.0f} ms"
                  if cs.get("stop_full") is not None else ""))
    return lines


def machine_facts() -> dict:
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        load = open("/proc/loadavg").read().split()[:3]
    except OSError:
        load = ["?"] * 3
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": cpu, "load": " ".join(load),
            "mem_gib": mem / (1024 ** 3), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}


def write_doc(path: Path, cmd: str, R: dict, rows, facts: dict, cfg: dict) -> None:
    date = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    md = [SECTION_TITLE, "",
          "Measured by `tools/bench-control-plane.py`; every ratio is against the raw SQLite "
          "baseline measured in the same run.", "",
          "```", cmd, "```", "",
          f"- Date: {date}",
          f"- Machine: nproc {facts['nproc']}, kernel {facts['kernel']}, {facts['cpu']}, "
          f"{facts['mem_gib']:.1f} GiB RAM; load average at start {facts['load']}, at end "
          f"{machine_facts()['load']} (other work on the machine disturbs the figures)",
          f"- Daemon: `{cfg['binary_rel']}`, `--sync {cfg['sync']}`; client: Python {facts['python']} "
          f"(stdlib http.client/ssl, keep-alive, admin client cert), SQLite {facts['sqlite']} for the baseline",
          f"- Counts: {cfg['objects']:,} objects, {cfg['watchers']} watchers at {cfg['watch_rate']:.0f} "
          f"writes/s for {cfg['watch_seconds']:.0f} s, create runs of {cfg['create_seconds']:.0f} s"
          + (" (**--quick smoke run: reduced counts**)" if cfg["quick"] else ""),
          "",
          "| Measurement | Result | Target | |",
          "|---|---:|---|---|"]
    for r in rows:
        md.append(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |")
    md += ["", "Details:", ""]
    md += [f"- {l}" for l in details(R)]
    if R.get("notes"):
        md += ["", "Notes:", ""]
        md += [f"- {n}" for n in R["notes"]]
    section = "\n".join(md) + "\n"

    benchdoc.replace_section(path, SECTION_TITLE, section)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    default_bin = REPO / ".build/release/corrald"
    if not default_bin.exists():
        default_bin = REPO / ".build/debug/corrald"
    ap.add_argument("--binary", default=str(default_bin), help="corrald to run (default: release, else debug)")
    ap.add_argument("--sync", choices=["full", "normal"], default="full")
    ap.add_argument("--quick", action="store_true", help="~1 minute smoke run with smaller counts")
    ap.add_argument("--doc", default=None,
                    help="markdown file to update (default docs/performance.md; --quick writes only if given)")
    ap.add_argument("--no-doc", action="store_true", help="do not touch any markdown file")
    ap.add_argument("--tmpdir", default=None, help="parent for the temp dirs (default: system temp)")
    ap.add_argument("--watch-threads", action="store_true",
                    help="one client thread per watcher instead of one epoll loop for all of them")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="SECONDS",
                    help="first wait up to SECONDS for the 1-minute load average to drop below nproc")
    ap.add_argument("--keep", action="store_true", help="keep temp dirs (daemon logs) after the run")
    a = ap.parse_args()

    binary = Path(a.binary).absolute()
    if not binary.exists():
        print(f"corrald not found at {binary}: run `swift build -c release` first", file=sys.stderr)
        return 2
    q = a.quick
    cfg = {
        "sync": a.sync, "quick": q,
        "raw_seconds": 1.5 if q else 3.0,
        "create_seconds": 2.0 if q else 4.0,
        "objects": 2000 if q else 10_000,
        "load_threads": 4,
        "gets": 300 if q else 2000,
        "list_runs": 3 if q else 5,
        "watchers": 30 if q else 100,
        "watch_rate": 200.0,
        "watch_seconds": 2.0 if q else 5.0,
        "cold_runs": 2 if q else 3,
        "settle": 2.0 if q else 5.0,
    }
    try:
        cfg["binary_rel"] = str(binary.relative_to(REPO))
    except ValueError:
        cfg["binary_rel"] = str(binary)
    doc_path = None
    if not a.no_doc and (a.doc or not q):
        doc_path = Path(a.doc) if a.doc else REPO / "docs/performance.md"
    cmd_parts = [".venv/bin/python", "tools/bench-control-plane.py"]
    if a.binary != str(REPO / ".build/release/corrald") or cfg["binary_rel"] != ".build/release/corrald":
        cmd_parts += ["--binary", cfg["binary_rel"]]
    cmd_parts += ["--sync", a.sync] + (["--quick"] if q else []) + \
        (["--watch-threads"] if a.watch_threads else []) + \
        ([f"--wait-idle {a.wait_idle:g}"] if a.wait_idle > 0 else [])
    cmd = " ".join(cmd_parts)

    tmp_parent = Path(a.tmpdir) if a.tmpdir else None

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)

    R: dict = {"cfg": cfg, "notes": []}
    if a.wait_idle > 0:
        try:
            wait_end = time.monotonic() + a.wait_idle
            while time.monotonic() < wait_end:
                l1 = float(machine_facts()["load"].split()[0])
                if l1 < (os.cpu_count() or 1):
                    break
                log(f"waiting for an idle machine: load average {l1:.2f} >= nproc {os.cpu_count()}")
                time.sleep(min(10.0, max(0.0, wait_end - time.monotonic())))
        except KeyboardInterrupt:
            log("interrupted")
            return 130
    facts = machine_facts()
    try:
        if float(facts["load"].split()[0]) >= (facts["nproc"] or 1):
            R["notes"].append(f"the machine was busy with other work (1-minute load average "
                              f"{facts['load'].split()[0]} >= nproc {facts['nproc']} at start): "
                              f"expect noisy, pessimistic figures")
    except ValueError:
        pass

    root = Path(tempfile.mkdtemp(prefix="corral-bench-", dir=tmp_parent))
    _TEMP_DIRS.append(root)
    binary_label = binary
    binary = root / "corrald"
    log(f"corral bench: {binary_label} (run as a copy in {root}), sync={a.sync}, quick={q}; "
        f"nproc {facts['nproc']}, kernel {facts['kernel']}, load average {facts['load']}")
    try:
        # Run a private copy: the build tree's binary may be rebuilt by someone else mid-run.
        shutil.copy2(binary_label, binary)
        # 1. raw baseline
        log(f"1/6 raw SQLite baseline ({cfg['raw_seconds']} s)")
        R["raw"] = raw_sqlite(root, a.sync, cfg["raw_seconds"])
        log(f"    {R['raw']['commits_per_s']:.0f} commits/s (journal_mode={R['raw']['journal_mode']}, "
            f"synchronous={R['raw']['synchronous']})")

        # 6a. idle RSS, empty, and 2. create throughput, 4. watch (daemon A)
        A = Daemon(binary, root / "a", a.sync, "daemon A")
        t = A.start()
        log(f"2/6 daemon A ready in {t * 1e3:.0f} ms; settling {cfg['settle']} s for idle RSS")
        time.sleep(cfg["settle"])
        R["rss_empty_detail"] = A.rss_detail()
        R["rss_empty"] = R["rss_empty_detail"]["VmRSS"]
        R["noop"] = noop_round_trips(A, 1.0)
        log(f"    idle RSS (empty) {R['rss_empty'] / MiB:.1f} MiB")
        for n, key, before, after in ((1, "create1", "raw", "raw_mid"), (4, "create4", "raw_mid", "raw_after")):
            log(f"    create throughput, {n} client(s), {cfg['create_seconds']} s")
            R[key] = create_throughput(A, n, cfg["create_seconds"], f"ct{n}")
            R[after] = raw_sqlite(root, a.sync, cfg["raw_seconds"] / 2)
            R[key]["raw_ref"] = (R[before]["commits_per_s"] + R[after]["commits_per_s"]) / 2
            log(f"    {R[key]['creates_per_s']:.0f} creates/s ({R[key]['creates_per_s'] / R[key]['raw_ref']:.0%} "
                f"of raw {R[key]['raw_ref']:.0f}/s; raw window after it {R[after]['commits_per_s']:.0f}/s)")
        log(f"4/6 watch: {cfg['watchers']} watchers, {cfg['watch_rate']:.0f} writes/s for "
            f"{cfg['watch_seconds']} s")
        R["watch"] = watch_latency(A, cfg["watchers"], cfg["watch_rate"], cfg["watch_seconds"],
                                   threads=a.watch_threads)
        log(f"    p50/p99 from ack {R['watch']['ack_p50_ms']:.2f}/{R['watch']['ack_p99_ms']:.2f} ms, "
            f"{R['watch']['missing']} missing")
        A.stop()

        # 3. load + get/list (daemon B), 6b. RSS with objects
        B = Daemon(binary, root / "b", a.sync, "daemon B")
        B.start()
        log(f"3/6 daemon B: loading {cfg['objects']:,} ConfigMaps with {cfg['load_threads']} threads")
        R["load_threads"] = cfg["load_threads"]
        R["load"] = load_objects(B, cfg["objects"], cfg["load_threads"])
        log(f"    loaded in {R['load']['seconds']:.1f} s; GET x{cfg['gets']}, list x{cfg['list_runs']}")
        R["getlist"] = get_list_latency(B, cfg["objects"], cfg["gets"], cfg["list_runs"])
        if R["getlist"]["list_items"] < cfg["objects"]:
            R["notes"].append(f"list returned {R['getlist']['list_items']} items, expected "
                              f">= {cfg['objects']}")
        log(f"    list p50 {R['getlist']['list_p50_ms']:.1f} ms ({R['getlist']['list_items']} items), "
            f"Table p50 {R['getlist']['table_p50_ms']:.1f} ms")
        time.sleep(1.0)
        R["rss_full_detail"] = B.rss_detail()
        R["rss_full"] = R["rss_full_detail"]["VmRSS"]
        stop_full = B.stop()

        # 5. cold starts
        log(f"5/6 cold start x{cfg['cold_runs']} with {cfg['objects']:,} objects, x{cfg['cold_runs']} empty")
        full, empty = [], []
        for i in range(cfg["cold_runs"]):
            full.append(B.start())
            B.stop()
        for i in range(cfg["cold_runs"]):
            E = Daemon(binary, root / f"empty-{i}", a.sync, f"cold empty {i}")
            empty.append(E.start())
            E.stop()
        R["cold"] = {"empty": empty, "full": full, "stop_full": stop_full}

        rows = build_rows(R, cfg)
        print()
        print(f"Control plane benchmark: {cmd}")
        print(f"nproc {facts['nproc']}, kernel {facts['kernel']}, {facts['cpu']}; load average "
              f"at start {facts['load']}, now {machine_facts()['load']}")
        print()
        print(table_text([("Measurement", "Result", "Target", "")] + rows))
        print()
        for l in details(R):
            print("  " + l)
        for n in R["notes"]:
            print("  note: " + n)
        if doc_path:
            write_doc(doc_path, cmd, R, rows, facts, cfg)
            log(f"6/6 wrote section {SECTION_TITLE!r} to {doc_path}")
        else:
            log("6/6 not writing docs (--quick or --no-doc)")
        return 0
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        return 130
    finally:
        cleanup()
        if a.keep:
            log(f"kept {root}")
        else:
            for d in _TEMP_DIRS:
                shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
