"""Fixtures for the integration tests: a real corrald on a free loopback port.

Every daemon is started by these fixtures with its own temporary data dir and
is always stopped (by PID) at teardown. The binary is $CORRALD, defaulting to
.build/debug/corrald in the repository root.

Fixtures:
  corrald          session-scoped shared daemon (tests isolate by namespace)
  corrald_factory  function-scoped factory: corrald_factory("--compaction-interval", "1")
                   starts (and later stops) an extra daemon with extra flags
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests
import urllib3

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / ".build" / "debug" / "corrald"
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl" if os.path.exists("/usr/bin/kubectl") else "kubectl")
READY_TIMEOUT = float(os.environ.get("CORRAL_READY_TIMEOUT", "30"))

# Every daemon this test session started, so that a failure report can show
# its log and so that nothing outlives the session.
_ALL_DAEMONS: list["Corrald"] = []


def corrald_binary() -> Path:
    return Path(os.environ.get("CORRALD", str(DEFAULT_BINARY))).resolve()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    """A DNS-1123 label that no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Corrald:
    """One corrald process with its data dir. Start/stop/kill -9/restart it."""

    def __init__(self, binary: Path, data_dir: Path, port: int | None = None,
                 extra_args: tuple[str, ...] = (), owns_dir: bool = True):
        self.binary = Path(binary)
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.extra_args = tuple(extra_args)
        self.owns_dir = owns_dir
        self.url = f"https://127.0.0.1:{self.port}"
        self.kubeconfig = str(self.data_dir / "kubeconfig.yaml")
        self.pki = self.data_dir / "pki"
        self.log_path = self.data_dir / "corrald.log"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.unexpected_exits: list[str] = []
        self._log_fh = None
        cache = self.data_dir.parent / (self.data_dir.name + "-kubecache")
        self.env = dict(os.environ)
        self.env["KUBECONFIG"] = self.kubeconfig
        self.env["KUBECACHEDIR"] = str(cache)
        self.env.pop("HTTPS_PROXY", None)
        self.env.pop("https_proxy", None)
        self.env["NO_PROXY"] = "127.0.0.1,localhost"
        _ALL_DAEMONS.append(self)

    # -- certificates -------------------------------------------------------
    @property
    def cert(self) -> tuple[str, str]:
        return (str(self.pki / "admin.crt"), str(self.pki / "admin.key"))

    @property
    def ca(self) -> str:
        return str(self.pki / "ca.crt")

    def session(self) -> requests.Session:
        """A requests.Session that authenticates with the admin client cert."""
        s = requests.Session()
        s.cert = self.cert
        s.verify = self.ca
        s.trust_env = False
        return s

    def anonymous_session(self) -> requests.Session:
        """Verifies the server but presents no client certificate."""
        s = requests.Session()
        s.verify = self.ca
        s.trust_env = False
        return s

    # -- lifecycle -------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _note_unexpected_exit(self):
        if self.proc is not None and self.proc.poll() is not None:
            self.unexpected_exits.append(
                f"corrald pid {self.proc.pid} exited by itself with code {self.proc.returncode}")

    def start(self, timeout: float = READY_TIMEOUT):
        if self.alive():
            raise RuntimeError("corrald already running")
        if not self.binary.exists():
            pytest.fail(f"corrald binary not found at {self.binary}: run `swift build` first "
                        f"(or set CORRALD)", pytrace=False)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Control-plane tests run on the host's network: no node agent, so the
        # daemon creates no bridge, netns or containers (end-to-end tests that
        # need the agent run corrald inside their own network namespace).
        agent = ("--disable-agent",) if "--enable-agent" not in self.extra_args else ()
        cmd = [str(self.binary), "--data-dir", str(self.data_dir),
               "--listen", f"127.0.0.1:{self.port}", *agent,
               *(a for a in self.extra_args if a != "--enable-agent")]
        self._log_fh = open(self.log_path, "ab")
        self._log_fh.write(f"\n===== test harness: start #{self.starts + 1}: {' '.join(cmd)}\n".encode())
        self._log_fh.flush()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log_fh,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.starts += 1
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(
                    f"corrald exited with code {self.proc.returncode} before /readyz; "
                    f"log tail:\n{self.log_tail()}")
            if all(os.path.exists(p) for p in (*self.cert, self.ca)):
                try:
                    r = requests.get(self.url + "/readyz", cert=self.cert, verify=self.ca,
                                     timeout=2)
                    if r.status_code == 200 and r.text.strip() == "ok":
                        return
                    last = f"HTTP {r.status_code}: {r.text[:200]!r}"
                except (requests.RequestException, OSError) as e:  # not up yet
                    last = repr(e)
            time.sleep(0.1)
        raise RuntimeError(f"corrald not ready on {self.url} after {timeout}s (last: {last}); "
                           f"log tail:\n{self.log_tail()}")

    def readyz(self) -> str:
        r = requests.get(self.url + "/readyz", cert=self.cert, verify=self.ca, timeout=5)
        return f"{r.status_code} {r.text.strip()}"

    def _reap(self, timeout: float):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10):
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self._reap(timeout)
        else:
            self._note_unexpected_exit()
        self._close_log()

    def kill9(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        else:
            self._note_unexpected_exit()
        self._close_log()

    def restart(self, timeout: float = READY_TIMEOUT):
        self.stop()
        return self.start(timeout)

    def _close_log(self):
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None

    def cleanup(self):
        """Stop the process (if any) and remove the data dir we created."""
        self.stop()
        if self.owns_dir and not os.environ.get("CORRAL_KEEP_DATA"):
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return "(no log)"
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-lines:])

    def crash_reason(self) -> str:
        """The runtime's fatal-error line(s) from the log, if any."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        text = text[text.rfind("===== test harness: start"):]
        hits = [l for l in text.splitlines()
                if "Fatal error" in l or "Program crashed" in l or "fatal" in l.lower()[:40]]
        return " | ".join(hits[:4]) or self.log_tail(5)

    # -- clients ---------------------------------------------------------------
    def kubectl(self, *args, check: bool = True, input: str | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess:
        cmd = [KUBECTL, *map(str, args)]
        p = subprocess.run(cmd, env=self.env, input=input, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(
                f"`kubectl {' '.join(map(str, args))}` exited {p.returncode}\n"
                f"stdout: {p.stdout[-3000:]}\nstderr: {p.stderr[-3000:]}")
        return p

    def kubectl_json(self, *args, **kw):
        p = self.kubectl(*args, "-o", "json", **kw)
        return json.loads(p.stdout)

    def popen_kubectl(self, *args) -> subprocess.Popen:
        """A background kubectl (e.g. `get -w`); the caller must terminate it."""
        return subprocess.Popen([KUBECTL, *map(str, args)], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)

    def __repr__(self):
        return f"<Corrald pid={self.pid} {self.url} {self.data_dir}>"


def _new_daemon(extra_args=()) -> Corrald:
    base = Path(tempfile.mkdtemp(prefix="corral-it-"))
    return Corrald(corrald_binary(), base / "data", extra_args=tuple(extra_args))


@pytest.fixture(scope="session")
def corrald():
    d = _new_daemon()
    try:
        d.start()
    except Exception:
        d.cleanup()
        raise
    yield d
    d.cleanup()


def _responsive(d: "Corrald") -> bool:
    try:
        r = requests.get(d.url + "/readyz", cert=d.cert, verify=d.ca, timeout=3)
        return r.status_code == 200
    except (requests.RequestException, OSError):
        return False


@pytest.fixture(autouse=True)
def _shared_daemon_health(request):
    """If the shared daemon died, fail the test during which it died, and
    restart it (same data dir) before the next test so one crash does not
    cascade through the rest of the suite."""
    if "corrald" not in request.fixturenames:
        yield
        return
    d = request.getfixturevalue("corrald")
    if not d.alive() or not _responsive(d):
        d.stop()
        d.start()
    yield
    # Whether it survived the test is checked in pytest_runtest_makereport.


@pytest.fixture
def corrald_factory():
    """Start extra daemons: corrald_factory('--compaction-interval', '1')."""
    made: list[Corrald] = []

    def make(*extra_args: str, start: bool = True) -> Corrald:
        d = _new_daemon(extra_args)
        made.append(d)
        if start:
            d.start()
        return d

    yield make
    for d in made:
        d.cleanup()


@pytest.fixture
def ns(corrald):
    """A fresh namespace on the shared daemon, deleted afterwards (best effort)."""
    name = unique("t")
    # Setup goes through `create -f` (JSON), so that a failure of the
    # `kubectl create namespace` generator shows up in its own test only.
    corrald.kubectl("create", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
    yield name
    corrald.kubectl("delete", "namespace", name, "--wait=false", check=False, timeout=30)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    d = item.funcargs.get("corrald") if hasattr(item, "funcargs") else None
    if call.when == "call" and isinstance(d, Corrald) and d.proc is not None:
        if d.alive() and not _responsive(d):
            # Maybe crashing right now (the Swift backtracer takes a few seconds).
            try:
                d.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if not d.alive():
            msg = (f"corrald (pid {d.pid}) died during this test with exit code "
                   f"{d.proc.returncode}: {d.crash_reason()}")
            rep.outcome = "failed"
            rep.longrepr = msg + ("\n\n" + str(rep.longrepr) if rep.longrepr else "")
        elif not _responsive(d):
            rep.outcome = "failed"
            rep.longrepr = "corrald no longer answers /readyz after this test" + (
                "\n\n" + str(rep.longrepr) if rep.longrepr else "")
    if rep.failed:
        for d in _ALL_DAEMONS:
            if d.proc is not None:
                state = "running" if d.alive() else f"exited({d.proc.returncode})"
                rep.sections.append((f"corrald {d.url} [{state}] log tail", d.log_tail(30)))


def pytest_sessionfinish(session, exitstatus):
    # Belt and braces: nothing we started may outlive the session.
    for d in _ALL_DAEMONS:
        try:
            if d.alive():
                d.kill9()
        except Exception:
            pass


def assert_status(resp, code: int, reason: str | None = None) -> dict:
    """Assert `resp` is a metav1.Status error shaped as kube-apiserver shapes it."""
    assert resp.status_code == code, (
        f"expected HTTP {code}, got {resp.status_code}: {resp.text[:500]}")
    ctype = resp.headers.get("Content-Type", "")
    assert "json" in ctype, f"error response Content-Type is {ctype!r}, not JSON: {resp.text[:300]}"
    try:
        st = resp.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {resp.text[:500]!r}")
    assert st.get("kind") == "Status", st
    assert st.get("apiVersion") == "v1", st
    assert st.get("status") == "Failure", st
    assert isinstance(st.get("code"), int) and not isinstance(st.get("code"), bool), st
    assert st["code"] == resp.status_code, st
    assert isinstance(st.get("reason"), str) and st["reason"], st
    assert isinstance(st.get("message"), str) and st["message"], st
    if reason is not None:
        assert st["reason"] == reason, f"reason {st['reason']!r} != {reason!r}: {st}"
    if st["reason"] == "Invalid":
        causes = (st.get("details") or {}).get("causes") or []
        assert causes, f"Invalid Status without details.causes: {st}"
        for c in causes:
            assert isinstance(c.get("field"), str) and c["field"], f"cause without field: {st}"
    return st


def open_watch(daemon: Corrald, path: str, params: dict | None = None,
               timeout=(5, 30), session: requests.Session | None = None) -> requests.Response:
    """Start a raw watch (GET path?watch=true&...) and return the streaming response."""
    s = session or daemon.session()
    q = {"watch": "true"}
    q.update(params or {})
    return s.get(daemon.url + path, params=q, stream=True, timeout=timeout,
                 headers={"Accept": "application/json"})


def watch_events(resp: requests.Response):
    """Yield decoded watch events (one JSON object per line) as they arrive."""
    te = resp.headers.get("Transfer-Encoding", "").lower()
    chunk = 65536 if "chunked" in te else 1
    for line in resp.iter_lines(chunk_size=chunk):
        if line and line.strip():
            yield json.loads(line)
