"""kill -9 corrald with pods running: containers keep running (conmon holds
them), the restarted agent re-adopts them with the same PIDs, logs continue,
and a pod deleted while the agent was away is cleaned up."""
from __future__ import annotations

import json
import os
import subprocess
import time

from conftest import BUSYBOX, scrub, unique


def container_pid(node, pod: dict) -> int:
    cid = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    out = subprocess.run(["runc", "--root", str(node.data_dir / "runc"), "state", cid], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["pid"]


def counter_pod(name: str, ns: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns},
                       "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                           "name": "c", "image": BUSYBOX, "imagePullPolicy": "Never",
                           "command": ["sh", "-c", "i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.5; done"]}]}})


def test_kill9_with_ten_pods_readopts_same_containers(node_factory):
    node = node_factory()
    ns = unique("adopt")
    node.kubectl("create", "namespace", ns)
    names = [f"p{i}" for i in range(10)]
    for n in names:
        node.kubectl("apply", "-f", "-", input=counter_pod(n, ns))
    before = {n: node.wait_pod(n, ns, timeout=90) for n in names}
    pids = {n: container_pid(node, p) for n, p in before.items()}
    victim = before["p9"]
    victim_netns = f"corral-pod-{victim['metadata']['uid']}"
    assert os.path.exists(f"/run/netns/{victim_netns}")

    node.kill9()
    for n, pid in pids.items():
        os.kill(pid, 0)  # still alive without the daemon (raises if not)

    # While the agent is away, force-delete one pod through an API-only daemon on the same data dir.
    api_only = node.__class__(node.binary, node.data_dir, port=node.port, owns_dir=False, extra_args=())
    api_only.start()
    api_only.kubectl("delete", "pod", "p9", "-n", ns, "--grace-period=0", "--force")
    api_only.stop()

    node.start(timeout=120)
    for n in names[:9]:
        pod = node.wait_pod(n, ns, lambda p: p["status"].get("phase") == "Running" and
                            all(c.get("ready") for c in p["status"].get("containerStatuses", [])), timeout=60)
        assert container_pid(node, pod) == pids[n], f"{n} was restarted instead of adopted"
        assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    # Logs continue: the counter goes on past what it had reached before the kill.
    last_before = int(node.kubectl("logs", "p0", "-n", ns, "--tail=1").stdout.strip().split("-")[1])
    time.sleep(2)
    last_after = int(node.kubectl("logs", "p0", "-n", ns, "--tail=1").stdout.strip().split("-")[1])
    assert last_after > last_before
    # The pod deleted meanwhile left nothing behind.
    deadline = time.monotonic() + 30
    while os.path.exists(f"/run/netns/{victim_netns}"):
        assert time.monotonic() < deadline, "netns of the deleted pod is still there"
        time.sleep(0.3)
    try:
        os.kill(pids["p9"], 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "container of the deleted pod still runs"
    assert not (node.data_dir / "pods" / victim["metadata"]["uid"]).exists()
