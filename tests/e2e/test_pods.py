"""Pods on the node, end to end: real kubectl against corrald with its node
agent, real conmon + runc, real netns/veth on bridge corral0 — all inside the
network namespace tools/e2e.sh made for this run."""
from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from conftest import BUSYBOX, unique


def run_pod(node, ns, name, *cmd, extra=()):
    args = ["run", name, "-n", ns, f"--image={BUSYBOX}", "--image-pull-policy=Never", "--restart=Never", *extra]
    if cmd:
        args += ["--command", "--", *cmd]
    node.kubectl(*args)


def test_run_logs_exec_delete(node, ns):
    run_pod(node, ns, "hello", "sh", "-c", "echo hello-from-corral; exec sleep 3600")
    pod = node.wait_pod("hello", ns)
    st = pod["status"]
    assert st["podIP"].startswith("10.42."), st
    assert st["containerStatuses"][0]["ready"] is True
    assert st["containerStatuses"][0]["state"]["running"]["startedAt"]
    conds = {c["type"]: c["status"] for c in st["conditions"]}
    assert conds["Ready"] == "True" and conds["PodScheduled"] == "True" and conds["Initialized"] == "True"
    deadline = time.monotonic() + 20
    while "hello-from-corral" not in node.kubectl("logs", "hello", "-n", ns).stdout:
        assert time.monotonic() < deadline, "log line never appeared"
        time.sleep(0.3)
    out = node.kubectl("exec", "hello", "-n", ns, "--", "sh", "-c", "echo $((6*7)); hostname").stdout.split()
    assert out == ["42", "hello"]
    p = node.kubectl("exec", "hello", "-n", ns, "--", "sh", "-c", "exit 3", check=False)
    assert p.returncode == 3, (p.returncode, p.stderr)
    assert "command terminated with exit code 3" in p.stderr
    reasons = [e["reason"] for e in node.events(ns, "hello")]
    for r in ("Scheduled", "Created", "Started"):
        assert r in reasons, reasons
    node.kubectl("delete", "pod", "hello", "-n", ns, "--grace-period=1", "--wait=true", "--timeout=60s")
    assert node.kubectl("get", "pod", "hello", "-n", ns, check=False).returncode != 0


def test_pod_reaches_other_pod_httpd_by_ip(node, ns):
    run_pod(node, ns, "web", "sh", "-c", "echo corral-web-ok > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")
    run_pod(node, ns, "client", "sleep", "3600")
    web = node.wait_pod("web", ns)
    node.wait_pod("client", ns)
    ip = web["status"]["podIP"]
    deadline = time.monotonic() + 20
    while True:
        p = node.kubectl("exec", "client", "-n", ns, "--", "wget", "-q", "-O", "-", f"http://{ip}:8080/index.html", check=False)
        if "corral-web-ok" in p.stdout:
            break
        assert time.monotonic() < deadline, p.stderr
        time.sleep(0.5)


def test_failing_command_goes_to_crashloopbackoff(node, ns):
    node.kubectl("run", "crash", "-n", ns, f"--image={BUSYBOX}", "--image-pull-policy=Never", "--command", "--", "sh", "-c", "exit 1")
    pod = node.wait_pod("crash", ns, lambda p: any(
        (c.get("state", {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff"
        for c in p.get("status", {}).get("containerStatuses", [])), timeout=60)
    cs = pod["status"]["containerStatuses"][0]
    assert cs["restartCount"] >= 1
    assert cs["lastState"]["terminated"]["exitCode"] == 1
    assert cs["lastState"]["terminated"]["reason"] == "Error"
    assert "back-off" in cs["state"]["waiting"]["message"]
    assert "BackOff" in [e["reason"] for e in node.events(ns, "crash")]
    # The back-off grows: 10 s after the second crash, 20 s after the third.
    node.wait_pod("crash", ns, lambda p: "back-off 20s" in ((p["status"]["containerStatuses"][0].get("state", {}).get("waiting") or {})
                                                            .get("message") or ""), timeout=60)


def test_pod_too_big_for_the_node_stays_pending(node, ns):
    node.kubectl("run", "huge", "-n", ns, f"--image={BUSYBOX}", "--image-pull-policy=Never",
                 "--overrides", json.dumps({"spec": {"containers": [{"name": "huge", "image": BUSYBOX, "imagePullPolicy": "Never",
                                                                      "command": ["sleep", "3600"],
                                                                      "resources": {"requests": {"memory": "100Ti"}}}]}}))
    deadline = time.monotonic() + 20
    while True:
        evs = [e for e in node.events(ns, "huge") if e["reason"] == "FailedScheduling"]
        if evs:
            break
        assert time.monotonic() < deadline, "no FailedScheduling event"
        time.sleep(0.3)
    assert "Insufficient memory" in evs[0]["message"], evs[0]["message"]
    pod = node.kubectl_json("get", "pod", "huge", "-n", ns)
    assert pod["status"]["phase"] == "Pending"
    assert not pod["spec"].get("nodeName")


def test_missing_image_gives_errimagepull_then_backoff(node, ns):
    node.kubectl("run", "ghost", "-n", ns, "--image=localhost/corral-test/does-not-exist:1", "--image-pull-policy=Never")
    pod = node.wait_pod("ghost", ns, lambda p: any(
        (c.get("state", {}).get("waiting") or {}).get("reason") in ("ErrImageNeverPull", "ErrImagePull")
        for c in p.get("status", {}).get("containerStatuses", [])), timeout=30)
    assert pod["status"]["phase"] == "Pending"


def test_deployment_scale_and_rollout_restart(node, ns):
    node.kubectl("create", "deployment", "web", "-n", ns, f"--image={BUSYBOX}", "--replicas=3", "--", "httpd", "-f", "-p", "8080")
    node.kubectl("patch", "deployment", "web", "-n", ns, "--type=json", "-p",
                 json.dumps([{"op": "add", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Never"}]))
    node.kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=120)
    pods = node.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]
    running = [p for p in pods if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]
    assert len(running) == 3
    node.kubectl("scale", "deployment", "web", "-n", ns, "--replicas=1")
    deadline = time.monotonic() + 60
    while len([p for p in node.kubectl_json("get", "pods", "-n", ns, "-l", "app=web")["items"]]) != 1:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    node.kubectl("rollout", "restart", "deployment/web", "-n", ns)
    node.kubectl("rollout", "status", "deployment/web", "-n", ns, "--timeout=90s", timeout=120)
    hist = node.kubectl("rollout", "history", "deployment/web", "-n", ns).stdout
    assert "3" in hist.split("REVISION")[-1] or "2" in hist, hist


def test_force_delete_leaves_nothing_behind(node, ns):
    run_pod(node, ns, "gone", "sleep", "3600")
    pod = node.wait_pod("gone", ns)
    uid = pod["metadata"]["uid"]
    cid = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    node.kubectl("delete", "pod", "gone", "-n", ns, "--grace-period=0", "--force")
    deadline = time.monotonic() + 20
    while True:
        listed = subprocess.run(["runc", "--root", str(node.data_dir / "runc"), "list", "-q"], capture_output=True, text=True).stdout.split()
        leftovers = [x for x in (cid in listed and "container", os.path.exists(f"/run/netns/corral-pod-{uid}") and "netns",
                                 (node.data_dir / "pods" / uid).exists() and "pod dir") if x]
        if not leftovers:
            break
        assert time.monotonic() < deadline, f"left behind after a forced delete: {leftovers}"
        time.sleep(0.3)
