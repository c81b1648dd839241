"""Streams against real containers: logs -f, exec -it through a pty, attach,
port-forward to busybox httpd; and an image pull that fails for real
(ErrImagePull, then ImagePullBackOff)."""
from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import time
import urllib.request

from conftest import BUSYBOX, KUBECTL


def run(node, ns, name, *cmd, extra=()):
    node.kubectl("run", name, "-n", ns, f"--image={BUSYBOX}", "--image-pull-policy=Never", "--restart=Never", *extra,
                 "--command", "--", *cmd)
    return node.wait_pod(name, ns)


def test_logs_follow_streams_new_lines(node, ns):
    run(node, ns, "ticker", "sh", "-c", "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.3; done")
    p = subprocess.Popen([KUBECTL, "logs", "-f", "ticker", "-n", ns], env=node.env, stdout=subprocess.PIPE, text=True)
    try:
        seen = [p.stdout.readline().strip() for _ in range(5)]
        assert seen[0].startswith("tick-") and len({*seen}) == 5, seen
    finally:
        p.kill()
        p.wait()


def test_exec_it_sh_through_a_pty(node, ns):
    run(node, ns, "shell", "sleep", "3600")
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(KUBECTL, [KUBECTL, "exec", "-it", "shell", "-n", ns, "--", "sh"], node.env)
    out = b""
    try:
        time.sleep(1.5)
        os.write(fd, b"echo $((6*7))-from-tty; stty size; exit 4\n")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
    finally:
        _, status = os.waitpid(pid, 0)
    assert b"42-from-tty" in out, out
    assert os.waitstatus_to_exitcode(status) == 4, out


def test_attach_sees_the_main_process_output(node, ns):
    run(node, ns, "talker", "sh", "-c", "while true; do echo attached-line; sleep 0.3; done")
    p = subprocess.Popen([KUBECTL, "attach", "talker", "-n", ns], env=node.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        line = ""
        while "attached-line" not in line and time.monotonic() < deadline:
            line = p.stdout.readline()
        assert "attached-line" in line
    finally:
        p.kill()
        p.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_port_forward_to_busybox_httpd(node, ns):
    run(node, ns, "web", "sh", "-c", "echo corral-pf-ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")
    port = free_port()
    p = subprocess.Popen([KUBECTL, "port-forward", "pod/web", "-n", ns, f"{port}:8080"], env=node.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "Forwarding from" in p.stdout.readline()
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10).read().decode()
        assert "corral-pf-ok" in body
    finally:
        p.terminate()
        p.wait()


def test_unreachable_registry_gives_errimagepull_then_imagepullbackoff(node, ns):
    # Nothing listens on this port inside the test's namespace: the pull fails for real.
    node.kubectl("run", "nopull", "-n", ns, "--image=127.0.0.1:5999/corral-test/missing:1", "--image-pull-policy=Always")
    reasons = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not {"ErrImagePull", "ImagePullBackOff"} <= reasons:
        pod = node.kubectl_json("get", "pod", "nopull", "-n", ns)
        w = (pod["status"].get("containerStatuses") or [{}])[0].get("state", {}).get("waiting") or {}
        if w.get("reason"):
            reasons.add(w["reason"])
        time.sleep(0.3)
    assert {"ErrImagePull", "ImagePullBackOff"} <= reasons, reasons
    evs = [e["reason"] for e in node.events(ns, "nopull")]
    assert "Pulling" in evs and "Failed" in evs, evs
