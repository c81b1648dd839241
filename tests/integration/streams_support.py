"""Shared fixtures for the streaming-subresource tests (log, exec, attach,
portforward). The daemon runs with CORRAL_DEBUG_HOST_STREAMS=1: a test-only
shim that runs exec/attach commands as host processes, serves logs from
CORRAL_DEBUG_LOG_FILE, and port-forwards to 127.0.0.1 on the host. Only the
wire protocols are under test here, not containers."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import _new_daemon, free_port, unique

LOG_LINES = [f"2024-03-01T10:00:0{i}.00000000{i}Z stdout F line {i}" for i in range(5)]


def pod_manifest(name, containers=("main",), node="corral-test-node"):
    spec = {"containers": [{"name": c, "image": "busybox", "stdin": True} for c in containers]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


@pytest.fixture(scope="module")
def streams():
    """A corrald with the host-process stream shim, a namespace with pods
    x (one container), multi (a, b) and unbound (no nodeName)."""
    tmp = Path(tempfile.mkdtemp(prefix="corral-streams-"))
    log_file = tmp / "x.log"
    log_file.write_text("\n".join(LOG_LINES) + "\n")
    saved = {k: os.environ.get(k) for k in ("CORRAL_DEBUG_HOST_STREAMS", "CORRAL_DEBUG_LOG_FILE")}
    os.environ["CORRAL_DEBUG_HOST_STREAMS"] = "1"
    os.environ["CORRAL_DEBUG_LOG_FILE"] = str(log_file)
    # No agent: nothing should try to run these pods for real; the shim answers the streams.
    d = _new_daemon(("--disable-agent",))
    try:
        d.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    ns = unique("st")
    d.kubectl("create", "namespace", ns)
    for m in (pod_manifest("x"), pod_manifest("multi", ("a", "b")), pod_manifest("unbound", node=None)):
        d.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(m))
    # kubectl port-forward refuses pods that are not Running; no node runs them here.
    d.kubectl("-n", ns, "patch", "pod", "x", "--subresource=status", "--type=merge", "-p", '{"status":{"phase":"Running"}}')
    d.ns = ns
    d.log_file = log_file
    yield d
    d.cleanup()
    shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def http_backend(tmp_path):
    """busybox httpd on a free loopback port serving index.html; yields (port, body)."""
    body = ("hello from the pod " * 50 + "\n").encode()
    (tmp_path / "index.html").write_bytes(body)
    port = free_port()
    p = subprocess.Popen(["busybox", "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(tmp_path)])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield port, body
    p.terminate()
    p.wait(timeout=5)


def wait_port(port, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def http_get(port, path="/index.html", timeout=10.0) -> bytes:
    """A raw HTTP/1.0 GET through a forwarded port; returns the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 200 " in head.split(b"\r\n")[0], head[:200]
    return body
