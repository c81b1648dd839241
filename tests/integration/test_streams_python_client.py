"""The official Python client's `stream()` exec and `portforward()` against
corrald (WebSocket v5 exec, WebSocket v4 channel port-forward)."""
from __future__ import annotations

import socket
import time

import pytest
from kubernetes import client, config
from kubernetes.stream import portforward, stream

from streams_support import http_backend, streams  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def api(streams):
    c = config.new_client_from_config(config_file=streams.kubeconfig)
    yield client.CoreV1Api(c)
    c.close()


def test_exec_exit_code_and_streams(api, streams):
    r = stream(api.connect_get_namespaced_pod_exec, "x", streams.ns,
               command=["sh", "-c", "echo hi; echo err >&2; exit 7"],
               stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
    r.run_forever(timeout=20)
    assert r.subprotocol == "v5.channel.k8s.io"
    assert r.read_stdout() == "hi\n"
    assert r.read_stderr() == "err\n"
    assert r.returncode == 7
    assert stream(api.connect_get_namespaced_pod_exec, "x", streams.ns, command=["echo", "simple"],
                  stderr=True, stdin=False, stdout=True, tty=False) == "simple\n"


def test_exec_stdin_roundtrip_and_close(api, streams):
    r = stream(api.connect_get_namespaced_pod_exec, "x", streams.ns, command=["cat"],
               stderr=True, stdin=True, stdout=True, tty=False, _preload_content=False)
    rtts = []
    for i in range(20):
        t0 = time.perf_counter()
        r.write_stdin(f"ping{i}\n")
        got = ""
        deadline = time.monotonic() + 10
        while f"ping{i}\n" not in got and time.monotonic() < deadline:
            r.update(timeout=1)
            got += r.read_stdout() or ""
        assert f"ping{i}\n" in got
        rtts.append((time.perf_counter() - t0) * 1000)
    r.close_channel(0)  # v5: stdin EOF, so cat exits
    r.run_forever(timeout=10)
    assert r.returncode == 0
    assert sorted(rtts)[len(rtts) // 2] < 200, rtts


def test_portforward_socket(api, streams, http_backend):
    port, body = http_backend
    pf = portforward(api.connect_get_namespaced_pod_portforward, "x", streams.ns, ports=str(port))
    s = pf.socket(port)
    s.setblocking(True)
    s.settimeout(10)
    s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.split(b"\r\n\r\n", 1)[1] == body
    assert pf.error(port) is None


def test_portforward_refused_reports_on_error_channel(api, streams):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    pf = portforward(api.connect_get_namespaced_pod_portforward, "x", streams.ns, ports=str(port))
    s = pf.socket(port)
    deadline = time.monotonic() + 10
    while pf.error(port) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert f"error forwarding port {port} to pod x" in (pf.error(port) or ""), pf.error(port)
    s.close()
