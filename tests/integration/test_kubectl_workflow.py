"""Day-to-day kubectl and Python-client workflows with default flags:
apply -f of a directory of mixed manifests, change + re-apply (removing an
env var and a VM disk), diff, edit through $EDITOR, the three patch types,
set image, scale, auth can-i --list, create token, and the Python client's
create_from_yaml and JSON/merge patches of a ConfigMap.

Server-side apply (ownership, conflicts) has its own file:
test_server_side_apply.py.
"""
from __future__ import annotations

import json
import os
import re
import stat
import textwrap

import subprocess

import pytest
import yaml

from conftest import KUBECTL, unique
from test_rbac import TokenUser


def manifests(ns: str, *, env_debug: bool = True, two_disks: bool = True, greeting: str = "hello") -> list[dict]:
    """The mixed set a lab user keeps in one directory."""
    env = [{"name": "MODE", "value": "lab"}]
    if env_debug:
        env.append({"name": "DEBUG", "value": "1"})
    disks = [{"name": "root", "disk": {"bus": "virtio"}}]
    volumes = [{"name": "root", "containerDisk": {"image": "localhost/corral-test/containerdisk:latest"}}]
    if two_disks:
        disks.append({"name": "scratch", "disk": {"bus": "virtio"}})
        volumes.append({"name": "scratch", "emptyDisk": {"capacity": "64Mi"}})
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": ns},
         "data": {"greeting": greeting}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": ns},
         "type": "Opaque", "stringData": {"password": "s3cret"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": ns, "labels": {"app": "web"}},
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                  "template": {"metadata": {"labels": {"app": "web"}},
                               "spec": {"containers": [{"name": "web", "image": "busybox:1.36",
                                                        "command": ["httpd", "-f", "-p", "8080"], "env": env}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": ns},
         "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}},
        {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": "lab-vm", "namespace": ns},
         "spec": {"runStrategy": "Halted",
                  "template": {"metadata": {"labels": {"kubevirt.io/vm": "lab-vm"}},
                               "spec": {"domain": {"devices": {"disks": disks}, "resources": {"requests": {"memory": "128Mi"}}},
                                        "networks": [{"name": "default", "pod": {}}],
                                        "volumes": volumes}}}},
        {"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": {"name": "data", "namespace": ns},
         "spec": {"source": {"blank": {}}, "storage": {"resources": {"requests": {"storage": "1Gi"}}}}},
        {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition", "metadata": {"name": "lan", "namespace": ns},
         "spec": {"config": json.dumps({"cniVersion": "0.3.1", "type": "bridge", "bridge": "br-lan"})}},
    ]


def write_dir(path, objs: list[dict]):
    path.mkdir(exist_ok=True)
    for i, o in enumerate(objs):
        (path / f"{i:02d}-{o['kind'].lower()}.yaml").write_text(yaml.safe_dump(o))
    return path


def kubectl_with_editor(daemon, editor, *args) -> subprocess.CompletedProcess:
    env = dict(daemon.env, EDITOR=str(editor), KUBE_EDITOR=str(editor))
    return subprocess.run([KUBECTL, *args], env=env, capture_output=True, text=True, timeout=60)


def get(daemon, kind: str, name: str, ns: str) -> dict:
    return json.loads(daemon.kubectl("get", kind, name, "-n", ns, "-o", "json").stdout)


@pytest.fixture
def lab_ns(corrald):
    name = unique("lab")
    yield name
    corrald.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_apply_directory_then_change_and_reapply(corrald, lab_ns, tmp_path):
    d = write_dir(tmp_path / "lab", manifests(lab_ns))
    out = corrald.kubectl("apply", "-f", str(d)).stdout
    for line in [f"namespace/{lab_ns} created", "configmap/settings created", "secret/creds created",
                 "deployment.apps/web created", "service/web created", "virtualmachine.kubevirt.io/lab-vm created",
                 "datavolume.cdi.kubevirt.io/data created", "networkattachmentdefinition.k8s.cni.cncf.io/lan created"]:
        assert line in out, out
    assert "warning" not in corrald.kubectl("apply", "-f", str(d)).stderr.lower()

    # Unchanged re-apply reports "unchanged" for every object.
    again = corrald.kubectl("apply", "-f", str(d)).stdout
    assert again.count("unchanged") == 8, again

    # Change: drop the DEBUG env var and the VM's scratch disk + volume, edit the ConfigMap.
    write_dir(d, manifests(lab_ns, env_debug=False, two_disks=False, greeting="bye"))
    changed = corrald.kubectl("apply", "-f", str(d)).stdout
    assert "deployment.apps/web configured" in changed and "virtualmachine.kubevirt.io/lab-vm configured" in changed, changed
    assert "configmap/settings configured" in changed and "service/web unchanged" in changed, changed

    dep = get(corrald, "deployment", "web", lab_ns)
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "lab"}]
    vm = get(corrald, "vm", "lab-vm", lab_ns)
    spec = vm["spec"]["template"]["spec"]
    assert [x["name"] for x in spec["domain"]["devices"]["disks"]] == ["root"], spec
    assert [x["name"] for x in spec["volumes"]] == ["root"], spec
    assert get(corrald, "cm", "settings", lab_ns)["data"] == {"greeting": "bye"}
    # The last-applied annotation tracks what was applied, for the next prune.
    last = json.loads(dep["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "MODE", "value": "lab"}]


def test_diff_reports_changes_with_exit_code(corrald, lab_ns, tmp_path):
    d = write_dir(tmp_path / "lab", manifests(lab_ns))
    corrald.kubectl("apply", "-f", str(d))
    same = corrald.kubectl("diff", "-f", str(d), check=False)
    assert same.returncode == 0 and same.stdout == "", (same.returncode, same.stdout, same.stderr)
    write_dir(d, manifests(lab_ns, greeting="changed"))
    diff = corrald.kubectl("diff", "-f", str(d), check=False)
    assert diff.returncode == 1, (diff.returncode, diff.stderr)
    assert "-  greeting: hello" in diff.stdout and "+  greeting: changed" in diff.stdout, diff.stdout
    # diff is a dry run: nothing changed on the server.
    assert get(corrald, "cm", "settings", lab_ns)["data"] == {"greeting": "hello"}


def test_edit_through_editor_script(corrald, lab_ns, tmp_path):
    corrald.kubectl("apply", "-f", str(write_dir(tmp_path / "lab", manifests(lab_ns))))
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/greeting: hello/greeting: edited/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    p = kubectl_with_editor(corrald, editor, "edit", "configmap/settings", "-n", lab_ns)
    assert "configmap/settings edited" in p.stdout, (p.stdout, p.stderr)
    assert get(corrald, "cm", "settings", lab_ns)["data"] == {"greeting": "edited"}

    # An edit that breaks the object is refused and the object stays as it was.
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/bin/sh\nsed -i 's/^  replicas: 1/  replicas: -4/' \"$1\"\n")
    bad.chmod(bad.stat().st_mode | stat.S_IXUSR)
    p = kubectl_with_editor(corrald, bad, "edit", "deployment/web", "-n", lab_ns)
    assert p.returncode != 0 and "is invalid" in p.stderr, (p.stdout, p.stderr)
    # kubectl keeps the rejected edit with the server's causes as a comment header.
    kept = re.search(r'stored to "([^"]+)"', p.stderr).group(1)
    assert "spec.replicas: Invalid value: -4" in open(kept).read(), open(kept).read()[:600]
    os.unlink(kept)
    assert get(corrald, "deployment", "web", lab_ns)["spec"]["replicas"] == 1


def test_patch_types_set_image_and_scale(corrald, lab_ns, tmp_path):
    corrald.kubectl("apply", "-f", str(write_dir(tmp_path / "lab", manifests(lab_ns))))
    corrald.kubectl("patch", "deployment", "web", "-n", lab_ns, "--type=json",
                    "-p", '[{"op":"replace","path":"/spec/replicas","value":2}]')
    corrald.kubectl("patch", "deployment", "web", "-n", lab_ns, "--type=merge",
                    "-p", '{"metadata":{"labels":{"tier":"front"}}}')
    # Strategic merge: containers merge by name, env by name.
    corrald.kubectl("patch", "deployment", "web", "-n", lab_ns, "--type=strategic",
                    "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"EXTRA","value":"x"}]}]}}}}')
    dep = get(corrald, "deployment", "web", lab_ns)
    assert dep["spec"]["replicas"] == 2 and dep["metadata"]["labels"]["tier"] == "front"
    env = {e["name"]: e["value"] for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {"MODE": "lab", "DEBUG": "1", "EXTRA": "x"}, env

    # A JSON patch whose test op fails is refused and nothing changes.
    p = corrald.kubectl("patch", "deployment", "web", "-n", lab_ns, "--type=json",
                        "-p", '[{"op":"test","path":"/spec/replicas","value":9},{"op":"replace","path":"/spec/replicas","value":5}]',
                        check=False)
    assert p.returncode != 0 and get(corrald, "deployment", "web", lab_ns)["spec"]["replicas"] == 2

    out = corrald.kubectl("set", "image", "deployment/web", "web=busybox:1.37", "-n", lab_ns).stdout
    assert "deployment.apps/web image updated" in out, out
    assert get(corrald, "deployment", "web", lab_ns)["spec"]["template"]["spec"]["containers"][0]["image"] == "busybox:1.37"

    out = corrald.kubectl("scale", "deployment/web", "--replicas=3", "-n", lab_ns).stdout
    assert "deployment.apps/web scaled" in out, out
    assert get(corrald, "deployment", "web", lab_ns)["spec"]["replicas"] == 3
    # scale with a stale precondition is refused.
    p = corrald.kubectl("scale", "deployment/web", "--current-replicas=7", "--replicas=1", "-n", lab_ns, check=False)
    assert p.returncode != 0 and "Expected replicas to be 7, was 3" in p.stderr, p.stderr


def test_auth_can_i_list_and_create_token(corrald, lab_ns, tmp_path):
    corrald.kubectl("create", "namespace", lab_ns)
    out = corrald.kubectl("auth", "can-i", "--list", "-n", lab_ns).stdout
    header = out.splitlines()[0].split()
    assert header[:2] == ["Resources", "Non-Resource"], out
    assert any(line.startswith("*.*") and "[*]" in line for line in out.splitlines()), out
    corrald.kubectl("create", "serviceaccount", "robot", "-n", lab_ns)
    token = corrald.kubectl("create", "token", "robot", "-n", lab_ns).stdout.strip()
    assert token.count(".") == 2, token
    robot = TokenUser(corrald, token, namespace=lab_ns)
    who = robot.post("/apis/authentication.k8s.io/v1/selfsubjectreviews",
                     {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    user = who.json()["status"]["userInfo"]
    assert user["username"] == f"system:serviceaccount:{lab_ns}:robot", user


def test_python_create_from_yaml_and_configmap_patches(corrald, lab_ns, tmp_path):
    from kubernetes import client, config, utils
    api_client = config.new_client_from_config(config_file=corrald.kubeconfig)
    d = write_dir(tmp_path / "lab", [m for m in manifests(lab_ns) if m["kind"] in ("Namespace", "ConfigMap", "Deployment", "Service")])
    for f in sorted(os.listdir(d)):
        utils.create_from_yaml(api_client, str(d / f))
    core = client.CoreV1Api(api_client)
    assert core.read_namespaced_config_map("settings", lab_ns).data == {"greeting": "hello"}
    assert client.AppsV1Api(api_client).read_namespaced_deployment("web", lab_ns).spec.replicas == 1

    # JSON patch body (a list) and merge-patch body (a dict) through the same call.
    core.patch_namespaced_config_map("settings", lab_ns, [{"op": "add", "path": "/data/extra", "value": "1"}])
    core.patch_namespaced_config_map("settings", lab_ns, {"data": {"greeting": None, "more": "2"}})
    assert core.read_namespaced_config_map("settings", lab_ns).data == {"extra": "1", "more": "2"}

    # create_from_yaml of something that already exists reports the failure.
    with pytest.raises(utils.FailToCreateError) as err:
        utils.create_from_yaml(api_client, str(d / sorted(os.listdir(d))[1]))
    assert "AlreadyExists" in str(err.value), str(err.value)
