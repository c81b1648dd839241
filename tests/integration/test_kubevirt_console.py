"""The KubeVirt VMI verbs that need the node (pause, unpause, softreboot,
guestosinfo, console, vnc) and `corral console` / `corral vnc`, against a
daemon running the test-only VM node shim (see virt_support)."""
from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import subprocess
import time

import pytest
import websocket

from conftest import assert_status
from virt_support import SUB, CORRAL, assert_conflict, corral, create_vmi, put, set_vmi_status, virt  # noqa: F401 (fixture)


PAUSED = {"type": "Paused", "status": "True", "reason": "PausedByUser"}
AGENT = {"type": "AgentConnected", "status": "True"}


def test_pause_unpause_against_node(virt):
    d, ns = virt, virt.ns
    create_vmi(d, ns, "p", "Running")
    r = put(d, ns, "virtualmachineinstances", "p", "pause")
    assert r.status_code == 200, r.text
    set_vmi_status(d, ns, "p", "Running", [PAUSED])  # what the node does after pausing
    assert_conflict(put(d, ns, "virtualmachineinstances", "p", "pause"), "virtualmachineinstance", "p", "VMI is already paused")
    assert_conflict(put(d, ns, "virtualmachineinstances", "p", "softreboot"), "virtualmachineinstance", "p", "VMI is paused")
    assert put(d, ns, "virtualmachineinstances", "p", "unpause").status_code == 200
    set_vmi_status(d, ns, "p", "Running", [])
    assert_conflict(put(d, ns, "virtualmachineinstances", "p", "unpause"), "virtualmachineinstance", "p", "VMI is not paused")
    assert put(d, ns, "virtualmachineinstances", "p", "softreboot").status_code == 200


def test_guestosinfo_needs_agent(virt):
    d, ns = virt, virt.ns
    create_vmi(d, ns, "g", "Running")
    url = f"{d.url}{SUB}/namespaces/{ns}/virtualmachineinstances/g/guestosinfo"
    assert_conflict(d.session().get(url, timeout=10), "virtualmachineinstance", "g", "VMI does not have guest agent connected")
    set_vmi_status(d, ns, "g", "Running", [AGENT])
    r = d.session().get(url, timeout=10)
    assert r.status_code == 200 and r.json()["hostname"] == "g", r.text


def ws_url(d, ns, name, sub):
    return f"wss://127.0.0.1:{d.port}{SUB}/namespaces/{ns}/virtualmachineinstances/{name}/{sub}"


def ws_connect(d, ns, name, sub, protocols=("plain.kubevirt.io",)):
    sslopt = {"certfile": d.cert[0], "keyfile": d.cert[1], "ca_certs": d.ca, "cert_reqs": ssl.CERT_REQUIRED}
    return websocket.create_connection(ws_url(d, ns, name, sub), sslopt=sslopt, subprotocols=list(protocols), timeout=10)


def test_console_echoes_over_websocket(virt):
    ws = ws_connect(virt, virt.ns, "vmi", "console")
    try:
        assert ws.getsubprotocol() == "plain.kubevirt.io"
        payload = bytes(range(256)) * 64  # binary-safe, bigger than one read
        ws.send_binary(payload)
        got = b""
        while len(got) < len(payload):
            opcode, data = ws.recv_data()
            assert opcode == websocket.ABNF.OPCODE_BINARY
            got += data
        assert got == payload
    finally:
        ws.close()


def test_console_base64_subprotocol(virt):
    ws = ws_connect(virt, virt.ns, "vmi", "console", protocols=("base64.binary.k8s.io",))
    try:
        assert ws.getsubprotocol() == "base64.binary.k8s.io"
        ws.send(base64.b64encode(b"hi there").decode())
        opcode, data = ws.recv_data()
        assert opcode == websocket.ABNF.OPCODE_TEXT and base64.b64decode(data) == b"hi there"
    finally:
        ws.close()


def test_vnc_sends_banner_then_echoes(virt):
    ws = ws_connect(virt, virt.ns, "vmi", "vnc")
    try:
        assert ws.recv() == b"RFB 003.008\n"
        ws.send_binary(b"RFB 003.008\n")
        assert ws.recv() == b"RFB 003.008\n"
    finally:
        ws.close()


def test_console_refusals_before_upgrade(virt):
    d, ns = virt, virt.ns
    create_vmi(d, ns, "off", "Scheduled")
    with pytest.raises(websocket.WebSocketBadStatusException) as e:
        ws_connect(d, ns, "off", "console")
    assert e.value.status_code == 400 and b"VMI is not running" in e.value.resp_body
    create_vmi(d, ns, "noserial", "Running", spec_extra={"domain": {
        "devices": {"autoattachSerialConsole": False}, "resources": {"requests": {"memory": "64Mi"}}}})
    st = assert_status(d.session().get(f"{d.url}{SUB}/namespaces/{ns}/virtualmachineinstances/noserial/console", timeout=10),
                       400, "BadRequest")
    assert st["message"] == "No serial consoles are present."
    st = assert_status(d.session().get(f"{d.url}{SUB}/namespaces/{ns}/virtualmachineinstances/vmi/console", timeout=10),
                       400, "BadRequest")
    assert "not using the websocket protocol" in st["message"], st



# -- the corral CLI ---------------------------------------------------------------------------

def test_cli_console_round_trip(virt):
    p = subprocess.Popen([str(CORRAL), "console", "vmi", "-n", virt.ns], env=virt.env, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        p.stdin.write(b"hello console\n")
        p.stdin.flush()
        got = b""
        deadline = time.monotonic() + 15
        os.set_blocking(p.stdout.fileno(), False)
        while b"hello console\n" not in got and time.monotonic() < deadline:
            chunk = p.stdout.read()
            if chunk:
                got += chunk
            else:
                time.sleep(0.05)
        assert got == b"hello console\n", got
        p.stdin.write(b"\x1d")  # Ctrl+] leaves
        p.stdin.flush()
        assert p.wait(timeout=10) == 0
        assert b"Successfully connected to vmi console" in p.stderr.read()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_cli_console_refused(virt):
    create_vmi(virt, virt.ns, "stopped", "Succeeded")
    p = corral(virt, "console", "stopped", "-n", virt.ns, input="")
    assert p.returncode == 1 and p.stderr == "Can't connect to websocket (400): VMI is not running\n", p


def test_cli_vnc_proxy(virt):
    p = subprocess.Popen([str(CORRAL), "vnc", "vmi", "-n", virt.ns, "--proxy-only"], env=virt.env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        port = json.loads(line)["port"]
        for _ in range(2):  # each viewer connection gets its own stream
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                banner = b""
                while len(banner) < 12:
                    banner += s.recv(12 - len(banner))
                assert banner == b"RFB 003.008\n"
                s.sendall(b"RFB 003.008\n")
                echo = b""
                while len(echo) < 12:
                    echo += s.recv(12 - len(echo))
                assert echo == b"RFB 003.008\n"
    finally:
        p.terminate()
        p.wait(timeout=10)
