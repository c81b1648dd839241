"""Shared helpers for the KubeVirt subresource tests: VM/VMI fixtures made
through kubectl, raw subresource requests, and `virt`, a daemon running the
test-only VM node shim (CORRAL_DEBUG_VIRT_NODE=1: pause/unpause succeed and
change nothing, guestosinfo answers a fixed document, the console echoes, vnc
sends an RFB banner then echoes).

VMIs are created by the tests themselves without an owner, and before their
VM, so a VM controller leaves them alone; their status is set by hand (the
daemons run with --disable-agent)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import REPO_ROOT, _new_daemon, assert_status, unique

SUB = "/apis/subresources.kubevirt.io/v1"
CORRAL = Path(os.environ.get("CORRAL", str(REPO_ROOT / ".build" / "debug" / "corral"))).resolve()


# -- helpers ---------------------------------------------------------------------

def vm_manifest(name, run_strategy="Halted", running=None):
    spec = {"template": {"spec": {"domain": {"devices": {}, "resources": {"requests": {"memory": "64Mi"}}}}}}
    if running is not None:
        spec["running"] = running
    else:
        spec["runStrategy"] = run_strategy
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": name}, "spec": spec}


def create_vm(d, ns, name, **kw):
    d.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(vm_manifest(name, **kw)))


def create_vmi(d, ns, name, phase, conditions=(), spec_extra=None):
    """A VMI with no owner (no VM controller touches it) and status set by hand."""
    spec = {"domain": {"devices": {}, "resources": {"requests": {"memory": "64Mi"}}}}
    spec.update(spec_extra or {})
    d.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance", "metadata": {"name": name}, "spec": spec}))
    set_vmi_status(d, ns, name, phase, conditions)
    return get(d, ns, "virtualmachineinstances", name)["metadata"]["uid"]


def set_vmi_status(d, ns, name, phase, conditions=()):
    d.kubectl("-n", ns, "patch", "vmi", name, "--subresource=status", "--type=merge", "-p",
              json.dumps({"status": {"phase": phase, "conditions": list(conditions)}}))


def get(d, ns, resource, name):
    r = d.session().get(f"{d.url}/apis/kubevirt.io/v1/namespaces/{ns}/{resource}/{name}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def put(d, ns, resource, name, verb, body=None, **kw):
    url = f"{d.url}{SUB}/namespaces/{ns}/{resource}/{name}/{verb}"
    return d.session().put(url, data=None if body is None else json.dumps(body),
                           headers={"Content-Type": "application/json"}, timeout=10, **kw)


def vm_put(d, ns, name, verb, body=None):
    return put(d, ns, "virtualmachines", name, verb, body)


def assert_conflict(resp, kind, name, detail):
    st = assert_status(resp, 409, "Conflict")
    assert st["message"] == f'Operation cannot be fulfilled on {kind}.kubevirt.io "{name}": {detail}', st
    assert st["details"] == {"name": name, "group": "kubevirt.io", "kind": kind}, st
    return st


def accepted(resp):
    assert resp.status_code == 202, f"{resp.status_code}: {resp.text}"
    assert resp.content == b""


def corral(d, *args, input=None, env=None, timeout=60):
    if not CORRAL.exists():
        pytest.fail(f"corral binary not found at {CORRAL}: run `swift build` first", pytrace=False)
    return subprocess.run([str(CORRAL), *args], env=env or d.env, input=input, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def virt():
    """A corrald with CORRAL_DEBUG_VIRT_NODE=1 and a namespace holding a Running VMI `vmi`."""
    saved = os.environ.get("CORRAL_DEBUG_VIRT_NODE")
    os.environ["CORRAL_DEBUG_VIRT_NODE"] = "1"
    d = _new_daemon(("--disable-agent",))
    try:
        d.start()
    finally:
        if saved is None:
            os.environ.pop("CORRAL_DEBUG_VIRT_NODE", None)
        else:
            os.environ["CORRAL_DEBUG_VIRT_NODE"] = saved
    d.ns = unique("virt")
    d.kubectl("create", "namespace", d.ns)
    create_vmi(d, d.ns, "vmi", "Running")
    yield d
    d.cleanup()
