"""pods/log, exec, attach and portforward with real kubectl 1.32 (WebSocket
v5 exec/attach, WebSocket-tunnelled SPDY and plain SPDY port-forward). See
streams_support.py for the host-process shim the daemon uses here."""
from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

import pytest

from conftest import KUBECTL, assert_status, free_port
from streams_support import LOG_LINES, http_backend, http_get, streams, wait_port  # noqa: F401 (fixtures)


def k(d, *args, **kw):
    return d.kubectl("-n", d.ns, *args, **kw)


# kubectl 1.32 speaks WebSocket v5 for exec/attach and falls back to SPDY; test both.
TRANSPORTS = pytest.mark.parametrize("ws", ["true", "false"], ids=["websocket", "spdy"])


def kx(d, ws, *args, input=None, timeout=60):
    """kubectl with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=ws; returns the CompletedProcess (bytes)."""
    env = dict(d.env, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=ws)
    return subprocess.run([KUBECTL, "-n", d.ns, *args], env=env, input=input, capture_output=True, timeout=timeout)


# -- exec ---------------------------------------------------------------------------

@TRANSPORTS
def test_exec_echo(streams, ws):
    p = kx(streams, ws, "exec", "x", "--", "echo", "hi there")
    assert (p.returncode, p.stdout) == (0, b"hi there\n"), p.stderr


@TRANSPORTS
def test_exec_exit_code_and_message(streams, ws):
    p = kx(streams, ws, "exec", "x", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert p.stdout == b"out\n"
    assert b"err\n" in p.stderr
    assert b"command terminated with exit code 3" in p.stderr
    p = kx(streams, ws, "exec", "x", "--", "/no/such/binary")
    assert p.returncode == 1
    assert b"Internal error occurred: error executing command in container" in p.stderr, p.stderr


@TRANSPORTS
def test_exec_stdin_roundtrip_large(streams, ws):
    data = os.urandom(3 * 1024 * 1024)
    p = kx(streams, ws, "exec", "-i", "x", "--", "sha256sum", input=data)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0].decode() == hashlib.sha256(data).hexdigest()
    p = kx(streams, ws, "exec", "-i", "x", "--", "cat", input=b"line one\nline two\n")
    assert p.stdout == b"line one\nline two\n"


def test_exec_validation_errors(streams):
    p = k(streams, "exec", "x", "-c", "nope", "--", "true", check=False)
    assert p.returncode != 0 and "container nope is not valid for pod x" in p.stderr, p.stderr
    p = k(streams, "exec", "unbound", "--", "true", check=False)
    assert p.returncode != 0 and "pod unbound does not have a host assigned" in p.stderr, p.stderr
    p = k(streams, "exec", "missing", "--", "true", check=False)
    assert p.returncode != 0 and 'pods "missing" not found' in p.stderr, p.stderr
    s = streams.session()
    base = f"{streams.url}/api/v1/namespaces/{streams.ns}/pods"
    assert_status(s.get(f"{base}/x/exec", params={"command": "true", "stdout": "1"}), 400, "BadRequest")
    st = assert_status(s.post(f"{base}/multi/exec", params={"command": "true", "stdout": "1"}), 400)
    assert st["message"] == "a container name must be specified for pod multi, choose one of: [a b]"
    st = assert_status(s.post(f"{base}/x/exec", params={"command": "true"}), 400)
    assert "at least 1 of stdin, stdout, stderr" in st["message"]


def _read_until(fd, pattern: bytes, timeout=15.0) -> bytes:
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if re.search(pattern, buf):
                return buf
    raise AssertionError(f"did not see {pattern!r} within {timeout}s; got {buf[-500:]!r}")


def _set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _spawn_in_pty(d, ws, *args, rows=24, cols=80):
    pid, fd = pty.fork()
    if pid == 0:
        _set_size(0, rows, cols)
        os.execve(KUBECTL, [KUBECTL, "-n", d.ns, *args], dict(d.env, KUBECTL_REMOTE_COMMAND_WEBSOCKETS=ws))
    return pid, fd


def _wait_exit(pid, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError("kubectl did not exit")


@TRANSPORTS
def test_exec_interactive_tty_with_resize(streams, ws):
    pid, fd = _spawn_in_pty(streams, ws, "exec", "-it", "x", "--", "sh", rows=31, cols=101)
    try:
        os.write(fd, b"echo $((6*7))\n")
        _read_until(fd, rb"\b42\b")
        os.write(fd, b"stty size\n")
        _read_until(fd, rb"31 101")
        _set_size(fd, 40, 120)  # the kernel sends SIGWINCH to kubectl; it sends a resize message
        time.sleep(0.3)
        os.write(fd, b"stty size\n")
        _read_until(fd, rb"40 120")
        os.write(fd, b"exit 5\n")
        assert _wait_exit(pid) == 5
    finally:
        os.close(fd)


@TRANSPORTS
def test_attach_stdin(streams, ws):
    p = kx(streams, ws, "attach", "-i", "x", input=b"echo attached-$((1+1))\nexit\n", timeout=30)
    assert p.returncode == 0 and b"attached-2" in p.stdout, (p.stdout, p.stderr)


# -- logs ----------------------------------------------------------------------------

def test_logs_options(streams):
    lines = [l.split(" ", 3)[3] for l in LOG_LINES]
    assert k(streams, "logs", "x").stdout == "".join(f"{l}\n" for l in lines)
    assert k(streams, "logs", "x", "--tail=2").stdout == "".join(f"{l}\n" for l in lines[-2:])
    ts = k(streams, "logs", "x", "--timestamps", "--tail=1").stdout
    assert ts == "2024-03-01T10:00:04.000000004Z line 4\n"
    assert k(streams, "logs", "x", "--limit-bytes=9").stdout == "line 0\nli"
    assert k(streams, "logs", "x", "--since-time=2024-03-01T10:00:03Z").stdout == "line 3\nline 4\n"
    assert k(streams, "logs", "unbound").stdout == ""
    p = k(streams, "logs", "x", "-c", "nope", check=False)
    assert "container nope is not valid for pod x" in p.stderr
    s = streams.session()
    base = f"{streams.url}/api/v1/namespaces/{streams.ns}/pods"
    st = assert_status(s.get(f"{base}/x/log", params={"tailLines": "-1"}), 422, "Invalid")
    assert st["message"] == 'PodLogOptions "x" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'
    st = assert_status(s.get(f"{base}/multi/log"), 400, "BadRequest")
    assert st["message"] == "a container name must be specified for pod multi, choose one of: [a b]"


def test_logs_follow_streams_appended_lines(streams):
    p = streams.popen_kubectl("-n", streams.ns, "logs", "-f", "--tail=1", "x")
    try:
        assert p.stdout.readline() == "line 4\n"
        with open(streams.log_file, "a") as f:
            f.write("2024-03-01T10:00:09Z stdout P part-\n2024-03-01T10:00:09Z stdout F whole\n")
        t0 = time.monotonic()
        assert p.stdout.readline() == "part-whole\n"
        assert time.monotonic() - t0 < 5
    finally:
        p.terminate()
        p.wait(timeout=10)


# -- port-forward --------------------------------------------------------------------

@pytest.mark.parametrize("websockets", ["true", "false"], ids=["ws-tunnel", "spdy"])
def test_port_forward(streams, http_backend, websockets):
    port, body = http_backend
    local = free_port()
    env = dict(streams.env, KUBECTL_PORT_FORWARD_WEBSOCKETS=websockets)
    p = subprocess.Popen([KUBECTL, "-n", streams.ns, "port-forward", "pod/x", f"{local}:{port}"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(local)
        for _ in range(3):
            assert http_get(local) == body
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(4) as ex:
            assert all(b == body for b in ex.map(lambda _: http_get(local), range(8)))
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    assert f"Forwarding from 127.0.0.1:{local} -> {port}" in out, (out, err)


def test_port_forward_refused_port_reports_error(streams):
    dead = free_port()
    local = free_port()
    p = subprocess.Popen([KUBECTL, "-n", streams.ns, "port-forward", "pod/x", f"{local}:{dead}"], env=streams.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_port(local)
        import socket
        with socket.create_connection(("127.0.0.1", local), timeout=5) as s:
            s.settimeout(10)
            assert s.recv(10) == b""  # closed without data
    finally:
        p.terminate()
        out, err = p.communicate(timeout=10)
    assert f"error forwarding port {dead} to pod x" in err, err
