"""Hostile or broken streaming clients must not crash or wedge corrald:
malformed WebSocket frames, unknown channels, oversized messages, garbage
after a SPDY upgrade, and clients that vanish mid-session."""
from __future__ import annotations

import base64
import os
import socket
import ssl
import struct
import subprocess
import time
from urllib.parse import quote

import pytest

from conftest import KUBECTL
from streams_support import streams  # noqa: F401 (fixture)


def tls_connect(d):
    ctx = ssl.create_default_context(cafile=d.ca)
    ctx.load_cert_chain(*d.cert)
    raw = socket.create_connection(("127.0.0.1", d.port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def upgrade(d, path, headers) -> tuple[ssl.SSLSocket, bytes]:
    s = tls_connect(d)
    req = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    s.sendall(req.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, head


def ws_upgrade(d, path, protocol="v5.channel.k8s.io"):
    s, head = upgrade(d, path, {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                                "Sec-WebSocket-Protocol": protocol})
    assert head.startswith(b"HTTP/1.1 101"), head
    return s, head.split(b"\r\n\r\n", 1)[1]


def frame(payload: bytes, opcode=2, fin=True, mask=True, length_override=None) -> bytes:
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload) if length_override is None else length_override
    if n < 126:
        hdr = bytes([b0, (0x80 if mask else 0) | n])
    elif n < 65536:
        hdr = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack(">H", n)
    else:
        hdr = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack(">Q", n)
    if not mask:
        return hdr + payload
    key = os.urandom(4)
    return hdr + key + bytes(c ^ key[i % 4] for i, c in enumerate(payload))


def read_all(s, timeout=10.0) -> bytes:
    s.settimeout(timeout)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ssl.SSLError, ConnectionError):
        pass
    return out


def exec_path(d, *cmd, stdin=True):
    q = "&".join(f"command={quote(c)}" for c in cmd)
    return f"/api/v1/namespaces/{d.ns}/pods/x/exec?{q}&stdout=true&stderr=true" + ("&stdin=true" if stdin else "")


def still_serving(d):
    assert d.alive(), d.log_tail()
    p = d.kubectl("-n", d.ns, "exec", "x", "--", "echo", "still-ok")
    assert p.stdout == "still-ok\n"


def test_garbage_frames_are_ignored_and_session_continues(streams):
    s, _ = ws_upgrade(streams, exec_path(streams, "cat"))
    s.sendall(frame(b""))                                   # empty message
    s.sendall(frame(b"\x09junk"))                           # unknown channel
    s.sendall(frame(b"\x04{not json"))                      # broken resize
    s.sendall(frame(b"\xff\x07"))                           # close for a stream that does not exist
    s.sendall(frame(b"\x00hel", fin=False) + frame(b"lo\n", opcode=0))  # fragmented stdin
    s.sendall(frame(b"ping!", opcode=9))                    # ping gets a pong
    s.sendall(frame(b"\xff\x00"))                           # v5: close stdin -> cat exits
    out = read_all(s)
    assert b"\x01hello\n" in out, out
    assert b"\x8a\x05ping!" in out                          # the pong
    assert b'"status":"Success"' in out, out
    still_serving(streams)


def test_oversized_message_closes_with_1009(streams):
    s, _ = ws_upgrade(streams, exec_path(streams, "cat"))
    # A header announcing 5 MiB, then some of it: the server must refuse at the header.
    s.sendall(frame(b"\x00" + b"x" * 100, length_override=5 * 1024 * 1024)[:114])
    out = read_all(s)
    assert b"\x88\x02\x03\xf1" in out, out[-50:]           # close frame, code 1009
    still_serving(streams)


@pytest.mark.parametrize("bad", [
    frame(b"x", opcode=3),                                  # reserved opcode
    frame(b"x" * 200, opcode=9),                            # control frame > 125 bytes
    frame(b"x", opcode=8, fin=False),                       # fragmented control frame
    frame(b"", length_override=1 << 62)[:14],               # absurd length header
    b"\x00" * 3000,                                         # not WebSocket at all
], ids=["reserved-opcode", "long-ping", "fragmented-close", "huge-length", "zeros"])
def test_protocol_violations_close_the_connection(streams, bad):
    s, _ = ws_upgrade(streams, exec_path(streams, "sleep", "30", stdin=False))
    s.sendall(bad)
    read_all(s, timeout=15)
    still_serving(streams)


def test_client_vanishing_mid_exec_releases_the_session(streams):
    s, _ = ws_upgrade(streams, exec_path(streams, "sh", "-c", "sleep 613; echo never"))
    time.sleep(0.3)
    s.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ps = subprocess.run(["pgrep", "-f", "sleep 613"], capture_output=True, text=True).stdout
        if not ps.strip():
            break
        time.sleep(0.2)
    assert not ps.strip(), "the detached exec process is still running"
    still_serving(streams)


@pytest.mark.parametrize("garbage", [
    os.urandom(4096),
    bytes([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]),            # SPDY/2
    bytes([0x00, 0, 0, 1, 0, 0xff, 0xff, 0xff]) + b"x" * 100,  # 16 MiB DATA header
    bytes([0x80, 3, 0, 1, 0, 0, 0, 14]) + bytes([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]) + b"\x78\xbbzzzz",  # SYN_STREAM, bad zlib
], ids=["random", "spdy2", "huge-data", "bad-zlib"])
def test_spdy_garbage(streams, garbage):
    path = f"/api/v1/namespaces/{streams.ns}/pods/x/portforward"
    s, head = upgrade(streams, path, {"Upgrade": "SPDY/3.1", "Connection": "Upgrade",
                                      "X-Stream-Protocol-Version": "portforward.k8s.io"})
    assert head.startswith(b"HTTP/1.1 101"), head
    s.sendall(garbage)
    read_all(s, timeout=10)
    still_serving(streams)


def test_tunnelled_spdy_garbage(streams):
    path = f"/api/v1/namespaces/{streams.ns}/pods/x/portforward"
    s, _ = ws_upgrade(streams, path, protocol="SPDY/3.1+portforward.k8s.io")
    s.sendall(frame(os.urandom(2000)))
    read_all(s, timeout=10)
    still_serving(streams)


def test_unsupported_subprotocol_is_refused(streams):
    s, head = upgrade(streams, exec_path(streams, "true"), {
        "Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(), "Sec-WebSocket-Protocol": "chat"})
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b"requested protocol(s) are not supported" in head + read_all(s, timeout=1)
