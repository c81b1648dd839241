"""Authentication and RBAC (issue 3, item 6): service-account tokens, kube's 403
wording, `kubectl auth can-i`, `auth whoami`, `create token`, escalation
prevention, and `corral kubeconfig --service-account`."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import pytest
import requests

from conftest import KUBECTL, assert_status, corrald_binary, unique


class TokenUser:
    """kubectl and requests as a bearer-token user of `daemon`."""

    def __init__(self, daemon, token: str, namespace: str | None = None, kubeconfig: str | None = None):
        self.daemon = daemon
        self.token = token
        self.dir = Path(tempfile.mkdtemp(prefix="corral-rbac-"))
        self.kubeconfig = kubeconfig or str(self.dir / "kubeconfig")
        if kubeconfig is None:
            ctx = {"cluster": "c", "user": "u"}
            if namespace:
                ctx["namespace"] = namespace
            Path(self.kubeconfig).write_text(json.dumps({
                "apiVersion": "v1", "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": daemon.url, "certificate-authority": daemon.ca}}],
                "users": [{"name": "u", "user": {"token": token}}],
                "contexts": [{"name": "x", "context": ctx}], "current-context": "x"}))
        self.env = dict(daemon.env, KUBECONFIG=self.kubeconfig, KUBECACHEDIR=str(self.dir / "cache"))

    def kubectl(self, *args, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([KUBECTL, *map(str, args)], env=self.env, input=input, capture_output=True,
                              text=True, timeout=60)

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(self.daemon.url + path, headers={"Authorization": f"Bearer {self.token}"},
                            verify=self.daemon.ca, timeout=10, **kw)

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(self.daemon.url + path, json=body, headers={"Authorization": f"Bearer {self.token}"},
                             verify=self.daemon.ca, timeout=10)


def apply(daemon, obj: dict):
    daemon.kubectl("create", "-f", "-", input=json.dumps(obj))


def make_sa(daemon, ns: str, name: str) -> TokenUser:
    daemon.kubectl("create", "serviceaccount", name, "-n", ns)
    token = daemon.kubectl("create", "token", name, "-n", ns).stdout.strip()
    assert token.count(".") == 2, f"create token printed {token!r}"
    return TokenUser(daemon, token, namespace=ns)


@pytest.fixture
def alice(corrald, ns):
    """SA alice in `ns` with a Role allowing get/list pods and create configmaps."""
    apply(corrald, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": "pods-and-cm", "namespace": ns},
                    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
                              {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create"]}]})
    corrald.kubectl("create", "rolebinding", "alice", "-n", ns, "--role=pods-and-cm", f"--serviceaccount={ns}:alice")
    return make_sa(corrald, ns, "alice")


def test_namespace_role_allows_exactly_what_it_says(corrald, ns, alice):
    user = f"system:serviceaccount:{ns}:alice"
    p = alice.kubectl("get", "pods", "-n", ns)
    assert p.returncode == 0, p.stderr
    p = alice.kubectl("get", "pods", "-n", "default")
    assert p.returncode != 0
    assert (f'Error from server (Forbidden): pods is forbidden: User "{user}" cannot list resource "pods" '
            f'in API group "" in the namespace "default"') in p.stderr, p.stderr
    st = assert_status(alice.get("/api/v1/namespaces/default/pods"), 403, "Forbidden")
    assert st["message"] == (f'pods is forbidden: User "{user}" cannot list resource "pods" in API group "" '
                             f'in the namespace "default"'), st
    assert st["details"] == {"kind": "pods"}, st
    st = assert_status(alice.get("/api/v1/nodes"), 403, "Forbidden")
    assert st["message"].endswith('cannot list resource "nodes" in API group "" at the cluster scope'), st

    assert alice.kubectl("create", "configmap", "c1", "-n", ns, "--from-literal=a=b").returncode == 0
    p = alice.kubectl("delete", "configmap", "c1", "-n", ns)
    assert p.returncode != 0
    assert (f'configmaps "c1" is forbidden: User "{user}" cannot delete resource "configmaps" in API group "" '
            f'in the namespace "{ns}"') in p.stderr, p.stderr
    # Subresources are their own resource in RBAC.
    st = assert_status(alice.get(f"/api/v1/namespaces/{ns}/pods/nope/status"), 403, "Forbidden")
    assert f'cannot get resource "pods/status" in API group "" in the namespace "{ns}"' in st["message"], st
    # Discovery works for every authenticated user (system:discovery).
    p = alice.kubectl("api-resources", "-o", "name")
    assert p.returncode == 0 and "pods" in p.stdout.split(), p.stderr


def test_auth_can_i_and_whoami(corrald, ns, alice):
    p = alice.kubectl("auth", "can-i", "create", "configmaps", "-n", ns)
    assert (p.returncode, p.stdout.strip()) == (0, "yes"), p
    p = alice.kubectl("auth", "can-i", "delete", "configmaps", "-n", ns)
    assert (p.returncode, p.stdout.strip()) == (1, "no"), p
    p = alice.kubectl("auth", "can-i", "list", "pods", "-n", "default")
    assert p.stdout.strip() == "no", p

    p = alice.kubectl("auth", "can-i", "--list", "-n", ns)
    assert p.returncode == 0, p.stderr
    rows = {line.split()[0]: line for line in p.stdout.splitlines()[1:] if line.strip()}
    assert "[get list]" in rows.get("pods", ""), p.stdout
    assert "[create]" in rows.get("configmaps", ""), p.stdout
    assert "selfsubjectaccessreviews.authorization.k8s.io" in rows, p.stdout
    assert "secrets" not in rows, p.stdout

    p = alice.kubectl("auth", "whoami", "-o", "json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)["status"]["userInfo"]
    assert info["username"] == f"system:serviceaccount:{ns}:alice"
    assert info["groups"] == ["system:serviceaccounts", f"system:serviceaccounts:{ns}", "system:authenticated"]
    sa_uid = corrald.kubectl_json("get", "sa", "alice", "-n", ns)["metadata"]["uid"]
    assert info["uid"] == sa_uid
    assert info["extra"]["authentication.kubernetes.io/credential-id"][0].startswith("JTI=")
    p = alice.kubectl("auth", "whoami")
    assert f"system:serviceaccount:{ns}:alice" in p.stdout, p

    # The admin certificate is in system:masters.
    p = corrald.kubectl("auth", "whoami", "-o", "json")
    assert "system:masters" in json.loads(p.stdout)["status"]["userInfo"]["groups"], p.stdout
    assert corrald.kubectl("auth", "can-i", "*", "*").stdout.strip() == "yes"

    # Impersonation: the admin may act as alice; alice may not act as anyone.
    sa = f"system:serviceaccount:{ns}:alice"
    assert corrald.kubectl("auth", "can-i", "list", "pods", "-n", ns, "--as", sa).stdout.strip() == "yes"
    assert corrald.kubectl("auth", "can-i", "list", "secrets", "-n", ns, "--as", sa, check=False).stdout.strip() == "no"
    who = json.loads(corrald.kubectl("auth", "whoami", "--as", sa, "-o", "json").stdout)["status"]["userInfo"]
    assert who["username"] == sa and f"system:serviceaccounts:{ns}" in who["groups"], who
    p = alice.kubectl("get", "pods", "--as", "admin")
    assert p.returncode != 0
    assert (f'users "admin" is forbidden: User "{sa}" cannot impersonate resource "users" in API group "" '
            f'at the cluster scope') in p.stderr, p.stderr


def test_credentials_that_do_not_authenticate(corrald, ns):
    st = assert_status(corrald.anonymous_session().get(corrald.url + "/api/v1/namespaces"), 401, "Unauthorized")
    assert st["message"] == "Unauthorized"
    bob = make_sa(corrald, ns, "bob")
    assert bob.get(f"/api/v1/namespaces/{ns}/serviceaccounts").status_code == 403  # authenticated, not allowed
    assert_status(TokenUser(corrald, bob.token[:-4] + "AAAA").get("/version"), 401, "Unauthorized")
    corrald.kubectl("delete", "sa", "bob", "-n", ns)
    assert_status(bob.get("/version"), 401, "Unauthorized")
    corrald.kubectl("create", "sa", "bob", "-n", ns)  # same name, new UID: the old token stays dead
    assert_status(bob.get("/version"), 401, "Unauthorized")


def test_token_request_api(corrald, ns):
    corrald.kubectl("create", "sa", "tr", "-n", ns)
    s = corrald.session()
    base = f"{corrald.url}/api/v1/namespaces/{ns}/serviceaccounts"
    r = s.post(f"{base}/tr/token", json={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                         "spec": {"expirationSeconds": 900}})
    assert r.status_code == 201, r.text
    tr = r.json()
    assert tr["kind"] == "TokenRequest" and tr["status"]["token"] and tr["status"]["expirationTimestamp"], tr
    assert tr["spec"]["expirationSeconds"] == 900
    st = assert_status(s.post(f"{base}/tr/token", json={"spec": {"expirationSeconds": 60}}), 422, "Invalid")
    assert st["message"] == ('TokenRequest.authentication.k8s.io "tr" is invalid: spec.expirationSeconds: '
                             'Invalid value: 60: may not specify a duration less than 10 minutes'), st
    assert_status(s.post(f"{base}/missing/token", json={}), 404, "NotFound")
    # A token for another audience does not authenticate here.
    r = s.post(f"{base}/tr/token", json={"spec": {"audiences": ["vault"]}})
    assert_status(TokenUser(corrald, r.json()["status"]["token"]).get("/version"), 401)
    # A token bound to a pod carries the pod and dies with it.
    corrald.kubectl("run", "web", "-n", ns, "--image=busybox", "--restart=Never",
                    "--overrides", json.dumps({"spec": {"serviceAccountName": "tr"}}))
    bound = TokenUser(corrald, corrald.kubectl("create", "token", "tr", "-n", ns, "--bound-object-kind", "Pod",
                                               "--bound-object-name", "web").stdout.strip())
    who = json.loads(bound.kubectl("auth", "whoami", "-o", "json").stdout)["status"]["userInfo"]
    assert who["extra"]["authentication.kubernetes.io/pod-name"] == ["web"], who
    p = corrald.kubectl("create", "token", "default", "-n", ns, "--bound-object-kind", "Pod", "--bound-object-name", "web",
                        check=False)
    assert p.returncode != 0 and "different serviceaccount name" in p.stderr, p.stderr
    corrald.kubectl("delete", "pod", "web", "-n", ns, "--grace-period=0", "--force", "--wait=true", timeout=90)
    assert_status(bound.get("/version"), 401, "Unauthorized")
    # Reviews are create-only in discovery.
    res = {r["name"]: r for r in s.get(corrald.url + "/apis/authorization.k8s.io/v1").json()["resources"]}
    assert res["selfsubjectaccessreviews"]["verbs"] == ["create"], res


def test_escalation_prevention(corrald, ns):
    corrald.kubectl("create", "rolebinding", "carol-admin", "-n", ns, "--clusterrole=admin", f"--serviceaccount={ns}:carol")
    carol = make_sa(corrald, ns, "carol")
    ok_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "ok", "namespace": ns},
               "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    p = carol.kubectl("create", "-f", "-", input=json.dumps(ok_role))
    assert p.returncode == 0, p.stderr
    bad_role = dict(ok_role, metadata={"name": "bad", "namespace": ns},
                    rules=[{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}])
    p = carol.kubectl("create", "-f", "-", input=json.dumps(bad_role))
    assert p.returncode != 0
    assert (f'roles.rbac.authorization.k8s.io "bad" is forbidden: user "system:serviceaccount:{ns}:carol" '
            f'(groups=["system:serviceaccounts" "system:serviceaccounts:{ns}" "system:authenticated"]) is attempting '
            f'to grant RBAC permissions not currently held:\n{{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}}') in p.stderr, p.stderr
    assert corrald.kubectl("get", "role", "bad", "-n", ns, check=False).returncode != 0
    p = carol.kubectl("create", "rolebinding", "root", "-n", ns, "--clusterrole=cluster-admin", f"--serviceaccount={ns}:carol")
    assert p.returncode != 0 and "is attempting to grant RBAC permissions not currently held" in p.stderr, p.stderr
    p = carol.kubectl("create", "rolebinding", "viewers", "-n", ns, "--clusterrole=view", f"--serviceaccount={ns}:carol")
    assert p.returncode == 0, p.stderr
    # Patching a role up is checked too.
    p = carol.kubectl("patch", "role", "ok", "-n", ns, "--type=json",
                      "-p", '[{"op":"add","path":"/rules/0/verbs/-","value":"escalate"}]')
    assert p.returncode != 0 and "not currently held" in p.stderr, p.stderr


def test_corral_kubeconfig_for_service_account(corrald, ns):
    corral = corrald_binary().parent / "corral"
    if not corral.exists():
        pytest.fail(f"{corral} not built: run `swift build`", pytrace=False)
    p = subprocess.run([str(corral), "kubeconfig", "--service-account", f"{ns}/bob", "--role", "view",
                        "--create-binding", "--duration", "1h"], env=corrald.env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    path = Path(tempfile.mkdtemp(prefix="corral-kc-")) / "bob.yaml"
    path.write_text(p.stdout)
    bob = TokenUser(corrald, "", kubeconfig=str(path))
    g = bob.kubectl("get", "pods")  # namespace comes from the context
    assert g.returncode == 0, g.stderr
    c = bob.kubectl("create", "configmap", "x", "--from-literal=a=b")
    assert c.returncode != 0
    assert (f'configmaps is forbidden: User "system:serviceaccount:{ns}:bob" cannot create resource "configmaps" '
            f'in API group "" in the namespace "{ns}"') in c.stderr, c.stderr
    assert bob.kubectl("auth", "can-i", "watch", "deployments.apps").stdout.strip() == "yes"
