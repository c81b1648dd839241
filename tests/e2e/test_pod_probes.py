"""Probes, lifecycle hooks and projected service-account tokens on a real container."""
from __future__ import annotations

import json
import time

from conftest import BUSYBOX


def test_probes_hooks_and_token(node, ns):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probed", "namespace": ns},
           "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
               "name": "c", "image": BUSYBOX, "imagePullPolicy": "Never",
               "command": ["sh", "-c", "touch /tmp/alive; echo up > /tmp/index.html; httpd -p 8080 -h /tmp; "
                                       "sleep 4; rm -f /tmp/alive; exec sleep 3600"],
               "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "echo hooked > /tmp/poststart"]}}},
               "readinessProbe": {"httpGet": {"path": "/index.html", "port": 8080}, "periodSeconds": 1},
               "livenessProbe": {"exec": {"command": ["test", "-f", "/tmp/alive"]}, "initialDelaySeconds": 1,
                                 "periodSeconds": 1, "failureThreshold": 2},
               "volumeMounts": [{"name": "token", "mountPath": "/var/run/secrets/tokens"}]}],
               "volumes": [{"name": "token", "projected": {"sources": [
                   {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600, "audience": "corral-test"}}]}}]}}
    node.kubectl("apply", "-f", "-", input=json.dumps(pod))
    ready = node.wait_pod("probed", ns, lambda p: any(c["type"] == "Ready" and c["status"] == "True"
                                                      for c in p["status"].get("conditions", [])), timeout=60)
    assert ready["status"]["containerStatuses"][0]["ready"] is True
    assert node.kubectl("exec", "probed", "-n", ns, "--", "cat", "/tmp/poststart").stdout.strip() == "hooked"
    token = node.kubectl("exec", "probed", "-n", ns, "--", "cat", "/var/run/secrets/tokens/token").stdout.strip()
    assert token.count(".") == 2, token  # a JWT
    import base64
    import requests
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==="))
    assert claims["aud"] == ["corral-test"] and claims["kubernetes.io"]["pod"]["name"] == "probed", claims
    # Its audience is corral-test, not the API server's: the API must not accept it (token only, no client cert).
    r = requests.get(node.url + "/api", headers={"Authorization": f"Bearer {token}"}, verify=node.ca, timeout=10)
    assert r.status_code == 401, r.status_code
    # /tmp/alive goes away after 4 s: the liveness probe fails and the container is restarted.
    restarted = node.wait_pod("probed", ns, lambda p: p["status"]["containerStatuses"][0]["restartCount"] >= 1, timeout=60)
    assert restarted["status"]["containerStatuses"][0]["lastState"]["terminated"]
    reasons = [e["reason"] for e in node.events(ns, "probed")]
    assert "Unhealthy" in reasons and "Killing" in reasons, reasons
