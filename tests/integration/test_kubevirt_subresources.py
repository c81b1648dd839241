"""KubeVirt's subresource API (/apis/subresources.kubevirt.io/v1/...) and the
`corral` VM verbs. The daemon runs with --disable-agent, so only the API side
is observable: run-strategy flips, status.stateChangeRequests, KubeVirt's
refusals word for word (see virt_support for how VMIs are made). The verbs
that need the node are in test_kubevirt_console.py."""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import KUBECTL, assert_status
from virt_support import (CORRAL, SUB, accepted, assert_conflict, corral, create_vm, create_vmi, get, put,
                          set_vmi_status, vm_manifest, vm_put)


# -- lifecycle: start --------------------------------------------------------------

def test_start_halted_sets_run_strategy_always(corrald, ns):
    create_vm(corrald, ns, "vm")
    accepted(vm_put(corrald, ns, "vm", "start"))
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Always"


def test_start_legacy_running_false_sets_running_true(corrald, ns):
    create_vm(corrald, ns, "vm", running=False)
    accepted(vm_put(corrald, ns, "vm", "start", {}))
    spec = get(corrald, ns, "virtualmachines", "vm")["spec"]
    assert spec["running"] is True and "runStrategy" not in spec, spec


def test_start_dry_run_changes_nothing(corrald, ns):
    create_vm(corrald, ns, "vm")
    accepted(vm_put(corrald, ns, "vm", "start", {"dryRun": ["All"]}))
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Halted"


def test_start_running_vm_is_refused(corrald, ns):
    create_vmi(corrald, ns, "vm", "Running")
    create_vm(corrald, ns, "vm", run_strategy="Always")
    assert_conflict(vm_put(corrald, ns, "vm", "start"), "virtualmachine", "vm", "VM is already running")


@pytest.mark.parametrize("strategy", ["Always", "Once"])
def test_start_refused_by_run_strategy(corrald, ns, strategy):
    # A VMI that finished does not count as running; the strategy decides.
    create_vmi(corrald, ns, "vm", "Succeeded")
    create_vm(corrald, ns, "vm", run_strategy=strategy)
    assert_conflict(vm_put(corrald, ns, "vm", "start"), "virtualmachine", "vm",
                    f"{strategy} does not support manual start requests")


def test_start_manual_without_vmi_requests_start(corrald, ns):
    create_vm(corrald, ns, "vm", run_strategy="Manual")
    accepted(vm_put(corrald, ns, "vm", "start"))
    vm = get(corrald, ns, "virtualmachines", "vm")
    assert vm["spec"]["runStrategy"] == "Manual"
    reqs = vm.get("status", {}).get("stateChangeRequests")
    if reqs is None:
        # A VM controller may already have acted on the request: then it made the VMI.
        vmi = get(corrald, ns, "virtualmachineinstances", "vm")
        assert vmi["metadata"]["ownerReferences"][0]["uid"] == vm["metadata"]["uid"]
    else:
        assert reqs == [{"action": "Start"}], reqs


def test_start_manual_after_finished_vmi_requests_stop_then_start(corrald, ns):
    uid = create_vmi(corrald, ns, "vm", "Succeeded")
    create_vm(corrald, ns, "vm", run_strategy="Manual")
    accepted(vm_put(corrald, ns, "vm", "start", {"paused": True}))
    reqs = get(corrald, ns, "virtualmachines", "vm")["status"]["stateChangeRequests"]
    assert reqs == [{"action": "Stop", "uid": uid}, {"action": "Start", "data": {"paused": "true"}}], reqs
    # A second request while those are pending is refused as virt-api refuses it.
    st = assert_status(vm_put(corrald, ns, "vm", "start"), 500, "InternalError")
    assert st["message"] == "Internal error occurred: unable to complete request: stop/start already underway", st


def test_start_rerun_on_failure_from_failed_is_refused(corrald, ns):
    create_vmi(corrald, ns, "vm", "Failed")
    create_vm(corrald, ns, "vm", run_strategy="RerunOnFailure")
    assert_conflict(vm_put(corrald, ns, "vm", "start"), "virtualmachine", "vm",
                    "RerunOnFailure does not support starting VM from failed state")


def test_start_unknown_vm_is_not_found(corrald, ns):
    st = assert_status(vm_put(corrald, ns, "nope", "start"), 404, "NotFound")
    assert st["message"] == 'virtualmachine.kubevirt.io "nope" not found', st


def test_start_bad_body_and_wrong_method(corrald, ns):
    create_vm(corrald, ns, "vm")
    r = corrald.session().put(f"{corrald.url}{SUB}/namespaces/{ns}/virtualmachines/vm/start", data="{not json",
                              headers={"Content-Type": "application/json"}, timeout=10)
    st = assert_status(r, 400, "BadRequest")
    assert st["message"].startswith("Can not unmarshal Request body to struct, error: "), st
    r = corrald.session().get(f"{corrald.url}{SUB}/namespaces/{ns}/virtualmachines/vm/start", timeout=10)
    assert_status(r, 405, "MethodNotAllowed")
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Halted"


# -- lifecycle: stop ---------------------------------------------------------------

@pytest.mark.parametrize("strategy", ["Always", "RerunOnFailure", "Once"])
def test_stop_sets_run_strategy_halted(corrald, ns, strategy):
    create_vm(corrald, ns, "vm", run_strategy=strategy)
    accepted(vm_put(corrald, ns, "vm", "stop"))
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Halted"


def test_stop_legacy_running_true_sets_running_false(corrald, ns):
    create_vm(corrald, ns, "vm", running=True)
    accepted(vm_put(corrald, ns, "vm", "stop"))
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["running"] is False


@pytest.mark.parametrize("strategy", ["Halted", "Manual"])
def test_stop_stopped_vm_is_refused(corrald, ns, strategy):
    create_vm(corrald, ns, "vm", run_strategy=strategy)
    assert_conflict(vm_put(corrald, ns, "vm", "stop"), "virtualmachine", "vm", "VM is not running")


def test_stop_manual_requests_stop_of_current_vmi(corrald, ns):
    uid = create_vmi(corrald, ns, "vm", "Running")
    create_vm(corrald, ns, "vm", run_strategy="Manual")
    accepted(vm_put(corrald, ns, "vm", "stop"))
    vm = get(corrald, ns, "virtualmachines", "vm")
    assert vm["status"]["stateChangeRequests"] == [{"action": "Stop", "uid": uid}], vm["status"]
    assert vm["spec"]["runStrategy"] == "Manual"


def test_stop_halted_with_vmi_needs_shorter_grace_period(corrald, ns):
    uid = create_vmi(corrald, ns, "vm", "Running", spec_extra={"terminationGracePeriodSeconds": 30})
    create_vm(corrald, ns, "vm", run_strategy="Halted")
    assert_conflict(vm_put(corrald, ns, "vm", "stop"), "virtualmachine", "vm",
                    "Halted only supports manual stop requests with a shorter graceperiod")
    accepted(vm_put(corrald, ns, "vm", "stop", {"gracePeriod": 0}))
    assert get(corrald, ns, "virtualmachineinstances", "vm")["spec"]["terminationGracePeriodSeconds"] == 0
    assert get(corrald, ns, "virtualmachines", "vm")["status"]["stateChangeRequests"] == [{"action": "Stop", "uid": uid}]


def test_stop_records_grace_period_on_vmi(corrald, ns):
    create_vmi(corrald, ns, "vm", "Running")
    create_vm(corrald, ns, "vm", run_strategy="Always")
    accepted(vm_put(corrald, ns, "vm", "stop", {"gracePeriod": 7}))
    assert get(corrald, ns, "virtualmachineinstances", "vm")["spec"]["terminationGracePeriodSeconds"] == 7
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Halted"


def test_stop_replaces_pending_requests(corrald, ns):
    uid = create_vmi(corrald, ns, "vm", "Running")
    create_vm(corrald, ns, "vm", run_strategy="Manual")
    accepted(vm_put(corrald, ns, "vm", "restart"))
    assert len(get(corrald, ns, "virtualmachines", "vm")["status"]["stateChangeRequests"]) == 2
    accepted(vm_put(corrald, ns, "vm", "stop"))
    assert get(corrald, ns, "virtualmachines", "vm")["status"]["stateChangeRequests"] == [{"action": "Stop", "uid": uid}]


# -- lifecycle: restart, migrate, expand-spec -------------------------------------------

def test_restart_requests_stop_and_start(corrald, ns):
    uid = create_vmi(corrald, ns, "vm", "Running")
    create_vm(corrald, ns, "vm", run_strategy="Always")
    accepted(vm_put(corrald, ns, "vm", "restart"))
    reqs = get(corrald, ns, "virtualmachines", "vm")["status"]["stateChangeRequests"]
    assert reqs == [{"action": "Stop", "uid": uid}, {"action": "Start"}], reqs


@pytest.mark.parametrize("strategy", ["Halted", "Once"])
def test_restart_refused_by_run_strategy(corrald, ns, strategy):
    create_vm(corrald, ns, "vm", run_strategy=strategy)
    assert_conflict(vm_put(corrald, ns, "vm", "restart"), "virtualmachine", "vm",
                    f"RunStategy {strategy} does not support manual restart requests")


def test_restart_without_vmi_and_grace_periods(corrald, ns):
    create_vm(corrald, ns, "vm", run_strategy="Manual")
    assert_conflict(vm_put(corrald, ns, "vm", "restart"), "virtualmachine", "vm", "VM is not running: Halted")
    st = assert_status(vm_put(corrald, ns, "vm", "restart", {"gracePeriodSeconds": 5}), 400, "BadRequest")
    assert st["message"] == "For force restart, only gracePeriod=0 is supported for now"
    create_vmi(corrald, ns, "vm", "Running")
    accepted(vm_put(corrald, ns, "vm", "restart", {"gracePeriodSeconds": 0}))
    assert get(corrald, ns, "virtualmachineinstances", "vm")["spec"]["terminationGracePeriodSeconds"] == 1


def test_migrate_is_refused_clearly(corrald, ns):
    create_vm(corrald, ns, "vm", run_strategy="Manual")
    st = assert_status(vm_put(corrald, ns, "vm", "migrate"), 404, "NotFound")
    assert st["message"] == 'virtualmachineinstance.kubevirt.io "vm" not found'
    create_vmi(corrald, ns, "vm", "Running")
    st = assert_status(vm_put(corrald, ns, "vm", "migrate", {}), 400, "BadRequest")
    assert "live migration is not supported on a single-node corral" in st["message"], st


def test_expand_spec(corrald, ns):
    create_vm(corrald, ns, "vm")
    r = corrald.session().get(f"{corrald.url}{SUB}/namespaces/{ns}/virtualmachines/vm/expand-spec", timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["spec"] == get(corrald, ns, "virtualmachines", "vm")["spec"]
    url = f"{corrald.url}{SUB}/namespaces/{ns}/expand-vm-spec"
    r = corrald.session().put(url, data=json.dumps(vm_manifest("posted")), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["metadata"] == {"name": "posted", "namespace": ns}
    other = vm_manifest("posted")
    other["metadata"]["namespace"] = "elsewhere"
    st = assert_status(corrald.session().put(url, data=json.dumps(other), timeout=10), 400, "BadRequest")
    assert st["message"] == f"VM namespace must be empty or {ns}"


# -- discovery and authorization -----------------------------------------------------------

def test_discovery_lists_the_group(corrald):
    s = corrald.session()
    groups = {g["name"]: g for g in s.get(corrald.url + "/apis", timeout=10).json()["groups"]}
    assert groups["subresources.kubevirt.io"]["preferredVersion"]["groupVersion"] == "subresources.kubevirt.io/v1"
    g = s.get(corrald.url + "/apis/subresources.kubevirt.io", timeout=10).json()
    assert g["kind"] == "APIGroup" and g["name"] == "subresources.kubevirt.io", g
    lst = s.get(corrald.url + SUB, timeout=10).json()
    assert lst["kind"] == "APIResourceList" and lst["groupVersion"] == "subresources.kubevirt.io/v1"
    names = {r["name"] for r in lst["resources"]}
    for n in ["virtualmachines/start", "virtualmachines/stop", "virtualmachines/restart", "virtualmachines/migrate",
              "virtualmachines/expand-spec", "virtualmachineinstances/console", "virtualmachineinstances/vnc",
              "virtualmachineinstances/pause", "virtualmachineinstances/unpause",
              "virtualmachineinstances/softreboot", "virtualmachineinstances/guestosinfo"]:
        assert n in names, (n, names)
    assert "subresources.kubevirt.io/v1" in corrald.kubectl("api-versions").stdout.split()
    version = json.loads(corrald.kubectl("get", "--raw", SUB + "/version").stdout)
    assert version["gitVersion"].startswith("v1."), version


def test_kubectl_still_resolves_vms_to_kubevirt_io(corrald, ns):
    # The subresource group names virtualmachines too; kubectl must keep picking kubevirt.io.
    create_vm(corrald, ns, "vm")
    out = corrald.kubectl_json("-n", ns, "get", "vm")
    assert [i["metadata"]["name"] for i in out["items"]] == ["vm"]
    assert out["items"][0]["apiVersion"] == "kubevirt.io/v1"
    corrald.kubectl("api-resources")  # must not fail on the subresource-only group


def test_rbac_on_subresources(corrald, ns):
    corrald.kubectl("-n", ns, "create", "-f", "-", input=json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "starter"},
        "rules": [{"apiGroups": ["subresources.kubevirt.io"], "resources": ["virtualmachines/start"], "verbs": ["update"]}]}))
    corrald.kubectl("-n", ns, "create", "serviceaccount", "bob")
    corrald.kubectl("-n", ns, "create", "rolebinding", "bob", "--role=starter", f"--serviceaccount={ns}:bob")
    token = corrald.kubectl("-n", ns, "create", "token", "bob").stdout.strip()
    create_vm(corrald, ns, "vm")
    hdr = {"Authorization": f"Bearer {token}"}
    r = corrald.anonymous_session().put(f"{corrald.url}{SUB}/namespaces/{ns}/virtualmachines/vm/start", headers=hdr, timeout=10)
    accepted(r)
    r = corrald.anonymous_session().put(f"{corrald.url}{SUB}/namespaces/{ns}/virtualmachines/vm/stop", headers=hdr, timeout=10)
    st = assert_status(r, 403, "Forbidden")
    assert (f'User "system:serviceaccount:{ns}:bob" cannot update resource "virtualmachines/stop" '
            f'in API group "subresources.kubevirt.io" in the namespace "{ns}"') in st["message"], st
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Always"


# -- VMI verbs without a node ---------------------------------------------------------------

def test_pause_checks_come_before_the_node(corrald, ns):
    st = assert_status(put(corrald, ns, "virtualmachineinstances", "nope", "pause"), 404, "NotFound")
    assert st["message"] == 'virtualmachineinstance.kubevirt.io "nope" not found'
    create_vmi(corrald, ns, "vmi", "Scheduling")
    assert_conflict(put(corrald, ns, "virtualmachineinstances", "vmi", "pause"), "virtualmachineinstance", "vmi",
                    "VM is not running")
    assert_conflict(put(corrald, ns, "virtualmachineinstances", "vmi", "unpause"), "virtualmachineinstance", "vmi",
                    "VMI is not running")
    # Running, but no node agent on this daemon: 503, not a silent success.
    set_vmi_status(corrald, ns, "vmi", "Running")
    assert_status(put(corrald, ns, "virtualmachineinstances", "vmi", "pause"), 503, "ServiceUnavailable")


# -- the corral CLI --------------------------------------------------------------------------

def test_cli_start_stop(corrald, ns):
    create_vm(corrald, ns, "vm")
    p = corral(corrald, "start", "vm", "-n", ns)
    assert p.returncode == 0 and p.stdout == "VM vm was scheduled to start\n", p
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Always"
    p = corral(corrald, "stop", "vm", "-n", ns)
    assert p.returncode == 0 and p.stdout == "VM vm was scheduled to stop\n", p
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Halted"
    p = corral(corrald, "stop", "vm", "-n", ns)
    assert p.returncode == 1
    assert p.stderr == ('error stopping VirtualMachine Operation cannot be fulfilled on virtualmachine.kubevirt.io '
                        '"vm": VM is not running\n'), p.stderr
    p = corral(corrald, "restart", "vm", "-n", ns)
    assert p.returncode == 1 and "RunStategy Halted does not support manual restart requests" in p.stderr, p


def test_cli_pause_reports_api_errors(corrald, ns):
    create_vm(corrald, ns, "vm")
    p = corral(corrald, "pause", "vm", "vm", "-n", ns)
    assert p.returncode == 1
    assert p.stderr == "Error pausing VirtualMachineInstance vm. VirtualMachine vm is not set to run\n", p.stderr
    create_vmi(corrald, ns, "vm", "Pending")
    p = corral(corrald, "pause", "vm", "-n", ns)
    assert p.returncode == 1 and p.stderr.endswith('"vm": VM is not running\n'), p.stderr


def test_cli_as_kubectl_plugin(corrald, ns, tmp_path):
    (tmp_path / "kubectl-virt").symlink_to(CORRAL)
    env = dict(corrald.env, PATH=f"{tmp_path}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    create_vm(corrald, ns, "vm")
    p = subprocess.run([KUBECTL, "virt", "start", "vm", "-n", ns], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == "VM vm was scheduled to start\n", p
    assert get(corrald, ns, "virtualmachines", "vm")["spec"]["runStrategy"] == "Always"
    p = subprocess.run([KUBECTL, "virt", "--help"], env=env, capture_output=True, text=True, timeout=60)
    assert "kubectl virt" in p.stdout and "console" in p.stdout, p


