"""Bad input never crashes corrald and always gets a metav1.Status (raw HTTPS)."""
from __future__ import annotations

import http.client as httpclient
import json
import random
import ssl

import pytest
import requests

from conftest import assert_status, unique

CM_PATH = "/api/v1/namespaces/{ns}/configmaps"
JSON = {"Content-Type": "application/json", "Accept": "application/json"}
YAML = {"Content-Type": "application/yaml", "Accept": "application/json"}


@pytest.fixture(scope="module")
def http(corrald):
    s = corrald.session()
    yield s
    s.close()


@pytest.fixture(scope="module")
def bns(corrald, http):
    name = unique("bad")
    r = http.post(corrald.url + "/api/v1/namespaces", headers=JSON, timeout=10,
                  json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert r.status_code == 201, r.text
    yield name


# After every test here, conftest's _shared_daemon_health checks that corrald
# is still alive and answers /readyz, and fails the test otherwise.


def post_cm(corrald, http, ns, body, headers=JSON):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return http.post(corrald.url + CM_PATH.format(ns=ns), data=data, headers=headers, timeout=30)


def good_cm(name="x", **meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta},
            "data": {"k": "v"}}


def test_good_request_works(corrald, http, bns):
    """Control: the same path accepts a well-formed object (so the 4xx below mean something)."""
    r = post_cm(corrald, http, bns, good_cm("fine"))
    assert r.status_code == 201, r.text
    assert r.json()["metadata"]["name"] == "fine"
    r = http.post(corrald.url + CM_PATH.format(ns=bns), headers=YAML, timeout=10,
                  data="apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine-yaml\ndata:\n  k: v\n")
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("body", [
    b"{not json",
    b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"',
    b"",
    b"null",
    b"[]",
    b'"just a string"',
    b"\xff\xfe\x00garbage",
    b'{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}} trailing',
], ids=["brace", "truncated", "empty", "null", "array", "string", "binary", "trailing"])
def test_malformed_json(corrald, http, bns, body):
    r = post_cm(corrald, http, bns, body)
    st = assert_status(r, 400)
    assert st["reason"] == "BadRequest", st


@pytest.mark.parametrize("body", [
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: tabs\n",
    "apiVersion: v1\nkind: ConfigMap\n  metadata: bad-indent\n name: x\n",
    "- just\n- a list\n",
    ": : :\n",
], ids=["unclosed", "tabs", "indent", "list", "colons"])
def test_malformed_yaml(corrald, http, bns, body):
    r = post_cm(corrald, http, bns, body, headers=YAML)
    st = assert_status(r, 400)
    assert st["reason"] == "BadRequest", st


@pytest.mark.parametrize("mutate,field", [
    (lambda o: o["metadata"].__setitem__("name", 12345), "metadata.name"),
    (lambda o: o["metadata"].__setitem__("labels", ["a", "b"]), "metadata.labels"),
    (lambda o: o["metadata"].__setitem__("labels", {"a": 1}), "metadata.labels"),
    (lambda o: o.__setitem__("data", ["not", "a", "map"]), "data"),
    (lambda o: o.__setitem__("data", {"k": {"nested": True}}), "data"),
    (lambda o: o.__setitem__("metadata", "a string"), "metadata"),
], ids=["name-number", "labels-list", "label-value-number", "data-list", "data-value-object",
        "metadata-string"])
def test_wrong_field_types(corrald, http, bns, mutate, field):
    obj = good_cm(unique("wt"))
    mutate(obj)
    r = post_cm(corrald, http, bns, obj)
    assert r.status_code in (400, 422), f"{field}: HTTP {r.status_code} {r.text[:300]}"
    st = assert_status(r, r.status_code)
    assert st["reason"] in ("BadRequest", "Invalid"), st
    # The object must not have been stored.
    if isinstance(obj["metadata"], dict) and isinstance(obj["metadata"].get("name"), str):
        g = http.get(corrald.url + CM_PATH.format(ns=bns) + "/" + obj["metadata"]["name"], timeout=10)
        assert g.status_code == 404, g.text


@pytest.mark.parametrize("drop", ["kind", "apiVersion", "both"])
def test_missing_kind_or_api_version(corrald, http, bns, drop):
    """kube-apiserver fills a missing kind/apiVersion in from the URL (the
    official Python client relies on that); rejecting it with a 400 Status is
    the only other acceptable answer."""
    obj = good_cm(unique("mk"))
    for key in (["kind", "apiVersion"] if drop == "both" else [drop]):
        del obj[key]
    r = post_cm(corrald, http, bns, obj)
    if r.status_code == 201:
        got = r.json()
        assert got["kind"] == "ConfigMap" and got["apiVersion"] == "v1", got
    else:
        assert r.status_code in (400, 422), f"HTTP {r.status_code}: {r.text[:300]}"
        assert_status(r, r.status_code)


def test_wrong_kind_for_path(corrald, http, bns):
    obj = good_cm(unique("wk"))
    obj["kind"] = "Secret"
    r = post_cm(corrald, http, bns, obj)
    assert r.status_code in (400, 422), f"HTTP {r.status_code}: {r.text[:300]}"
    assert_status(r, r.status_code)


def test_missing_name(corrald, http, bns):
    obj = good_cm()
    del obj["metadata"]["name"]
    r = post_cm(corrald, http, bns, obj)
    st = assert_status(r, 422, "Invalid")
    assert any(c["field"] == "metadata.name" for c in st["details"]["causes"]), st


@pytest.mark.parametrize("name", [
    "Bad_Name", "a" * 300, "UPPER", "-leading-dash", "trailing-dash-", "has space", "dots..double",
    "emoji-\u2603",
], ids=["underscore", "300chars", "upper", "leading-dash", "trailing-dash", "space", "double-dot",
        "unicode"])
def test_invalid_names(corrald, http, bns, name):
    r = post_cm(corrald, http, bns, good_cm(name))
    st = assert_status(r, 422, "Invalid")
    fields = [c["field"] for c in st["details"]["causes"]]
    assert "metadata.name" in fields, st
    assert st["details"].get("kind") in ("ConfigMap", "configmaps"), st


def test_invalid_namespace_name_and_label(corrald, http):
    r = http.post(corrald.url + "/api/v1/namespaces", headers=JSON, timeout=10,
                  json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Not.A.Label"}})
    st = assert_status(r, 422, "Invalid")
    assert "metadata.name" in [c["field"] for c in st["details"]["causes"]], st
    obj = good_cm(unique("lbl"), labels={"bad key!": "v"})
    r = post_cm(corrald, http, "default", obj)
    st = assert_status(r, 422, "Invalid")
    assert any(c["field"].startswith("metadata.labels") for c in st["details"]["causes"]), st


def _raw_post(corrald, path, body: bytes, content_type="application/json", chunked=False):
    """POST with http.client so a server that answers before reading the whole body
    (as kube-apiserver may for 413) is still heard."""
    ctx = ssl.create_default_context(cafile=corrald.ca)
    ctx.load_cert_chain(*corrald.cert)
    conn = httpclient.HTTPSConnection("127.0.0.1", corrald.port, context=ctx, timeout=60)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", content_type)
        conn.putheader("Accept", "application/json")
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        else:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        try:
            view = memoryview(body)
            step = 256 * 1024
            for i in range(0, len(body), step):
                piece = bytes(view[i:i + step])
                if chunked:
                    conn.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
                else:
                    conn.send(piece)
            if chunked:
                conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, dict(resp.getheaders()), data
    finally:
        conn.close()


class _Resp:
    def __init__(self, status, headers, data):
        self.status_code = status
        self.headers = requests.structures.CaseInsensitiveDict(headers)
        self.text = data.decode("utf-8", "replace")
        self._data = data

    def json(self):
        return json.loads(self._data)


def test_body_over_3mib_is_413(corrald, bns):
    obj = good_cm(unique("big"))
    obj["data"] = {"blob": "x" * (4 * 1024 * 1024)}
    body = json.dumps(obj).encode()
    assert len(body) > 4 * 1024 * 1024
    st = assert_status(_Resp(*_raw_post(corrald, CM_PATH.format(ns=bns), body)), 413,
                       "RequestEntityTooLarge")
    # Chunked (no Content-Length) too: the limit is on bytes read, not on the header.
    assert_status(_Resp(*_raw_post(corrald, CM_PATH.format(ns=bns), body, chunked=True)), 413,
                  "RequestEntityTooLarge")
    # A body under the limit (2.5 MiB, in a field the server keeps as is) still works.
    vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "metadata": {"name": unique("nearlimit")},
          "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {"devices": {}}}},
                   "someFutureField": "y" * (2 * 1024 * 1024 + 512 * 1024)}}
    status, _, data = _raw_post(corrald, f"/apis/kubevirt.io/v1/namespaces/{bns}/virtualmachines",
                                json.dumps(vm).encode())
    assert status == 201, data[:300]


@pytest.mark.parametrize("shape", ["array", "object-in-unknown-field"])
def test_deeply_nested_document(corrald, bns, shape):
    depth = 10_000
    if shape == "array":
        body = ("[" * depth + "]" * depth).encode()
        path = CM_PATH.format(ns=bns)
    else:
        inner = '{"a":' * depth + "1" + "}" * depth
        body = ('{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"deep"},'
                '"spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"devices":{}}}},'
                '"someFutureField":' + inner + "}}").encode()
        path = f"/apis/kubevirt.io/v1/namespaces/{bns}/virtualmachines"
    status, headers, data = _raw_post(corrald, path, body)
    assert 400 <= status < 500, f"HTTP {status}: {data[:300]!r}"
    assert_status(_Resp(status, headers, data), status)


def test_deeply_nested_yaml(corrald, http, bns):
    depth = 10_000
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deepyaml\ndata: " + "[" * depth + "]" * depth + "\n"
    r = post_cm(corrald, http, bns, body, headers=YAML)
    assert 400 <= r.status_code < 500, f"HTTP {r.status_code}: {r.text[:300]}"
    assert_status(r, r.status_code)


@pytest.mark.parametrize("path", [
    "/api/v1/namespaces/default/foobars",
    "/api/v1/foobars",
    "/apis/nope.example.com/v1/things",
    "/apis/apps/v1/namespaces/default/foobars",
    "/apis/apps/v9/deployments",
    "/api/v2/pods",
    "/apis/kubevirt.io/v1/namespaces/default/virtualmachines/x/nosuchsub",
])
def test_unknown_resource_path_is_404(corrald, http, path):
    r = http.get(corrald.url + path, timeout=10)
    st = assert_status(r, 404, "NotFound")
    assert st["message"], st


def test_missing_object_404_has_details(corrald, http, bns):
    r = http.get(corrald.url + CM_PATH.format(ns=bns) + "/nope", timeout=10)
    st = assert_status(r, 404, "NotFound")
    assert st["details"]["name"] == "nope", st
    assert st["details"]["kind"] == "configmaps", st
    r = http.get(corrald.url + "/apis/apps/v1/namespaces/" + bns + "/deployments/nodep", timeout=10)
    st = assert_status(r, 404, "NotFound")
    assert st["details"] == {"name": "nodep", "group": "apps", "kind": "deployments"} or (
        st["details"]["name"] == "nodep" and st["details"]["kind"] == "deployments"), st
    r = http.delete(corrald.url + CM_PATH.format(ns=bns) + "/nope", timeout=10)
    assert_status(r, 404, "NotFound")


def test_already_exists_and_conflict(corrald, http, bns):
    name = unique("dup")
    assert post_cm(corrald, http, bns, good_cm(name)).status_code == 201
    st = assert_status(post_cm(corrald, http, bns, good_cm(name)), 409, "AlreadyExists")
    assert st["details"]["name"] == name, st
    url = corrald.url + CM_PATH.format(ns=bns) + "/" + name
    cur = http.get(url, timeout=10).json()
    stale = dict(cur)
    upd = json.loads(json.dumps(cur))
    upd["data"] = {"k": "v2"}
    assert http.put(url, data=json.dumps(upd), headers=JSON, timeout=10).status_code == 200
    stale["data"] = {"k": "v3"}
    assert_status(http.put(url, data=json.dumps(stale), headers=JSON, timeout=10), 409, "Conflict")
    # Name in the body differing from the URL is rejected.
    other = json.loads(json.dumps(cur))
    other["metadata"]["name"] = name + "-other"
    other["metadata"].pop("resourceVersion", None)
    r = http.put(url, data=json.dumps(other), headers=JSON, timeout=10)
    assert r.status_code in (400, 422), r.text
    assert_status(r, r.status_code)


@pytest.mark.parametrize("method,path", [
    ("PUT", "/api/v1/namespaces/default/configmaps"),
    ("PATCH", "/api/v1/namespaces/default/configmaps"),
    ("POST", "/api/v1/namespaces/default/configmaps/somename"),
    ("PUT", "/apis/apps/v1/namespaces/default/deployments"),
])
def test_wrong_verb_is_405(corrald, http, method, path):
    r = http.request(method, corrald.url + path, data=json.dumps(good_cm("somename")),
                     headers=JSON, timeout=10)
    assert_status(r, 405, "MethodNotAllowed")


def test_no_client_cert_is_401(corrald):
    s = corrald.anonymous_session()
    for path in ("/api/v1/namespaces", "/api", "/apis/apps/v1/namespaces/default/deployments",
                 "/version"):
        r = s.get(corrald.url + path, timeout=10)
        assert_status(r, 401, "Unauthorized")
    r = s.get(corrald.url + "/api/v1/namespaces", headers={"Authorization": "Bearer not-a-real-token"},
              timeout=10)
    assert_status(r, 401, "Unauthorized")
    r = s.post(corrald.url + "/api/v1/namespaces/default/configmaps", data=json.dumps(good_cm("anon")),
               headers=JSON, timeout=10)
    assert_status(r, 401, "Unauthorized")
    # And it did not get created.
    g = corrald.session().get(corrald.url + "/api/v1/namespaces/default/configmaps/anon", timeout=10)
    assert g.status_code == 404


def test_bad_query_parameters(corrald, http, bns):
    base = corrald.url + CM_PATH.format(ns=bns)
    wrong = []
    for q in ("labelSelector=app%3D%3D%3D", "labelSelector=in%20(", "limit=-5x",
              "fieldSelector=metadata.name%3D%3Dx%3Dy%2C%2C", "timeoutSeconds=abc&watch=true",
              "resourceVersion=notanumber&watch=true", "resourceVersion=notanumber"):
        try:
            r = http.get(base + "?" + q, timeout=10)
        except requests.RequestException as e:
            wrong.append(f"?{q}: {e.__class__.__name__}")
            continue
        if not 400 <= r.status_code < 500:
            wrong.append(f"?{q}: HTTP {r.status_code}")
            continue
        assert_status(r, r.status_code)
    assert not wrong, "bad query parameters accepted: " + "; ".join(wrong)


def test_random_garbage_never_crashes(corrald, http, bns):
    """A small seeded fuzz of request bodies: every answer is 2xx or a Status."""
    rnd = random.Random(20240601)
    seed = json.dumps(good_cm("fz")).encode()
    tokens = [b"{", b"}", b"[", b"]", b'"', b":", b",", b"null", b"1e999", b"-0", b"\\u0000",
              b"\x00", b"\xff", b"true", b'"metadata"', b'{"name":', b"\n", b" ", b"9" * 40]
    paths = [CM_PATH.format(ns=bns), f"/apis/apps/v1/namespaces/{bns}/deployments",
             f"/apis/kubevirt.io/v1/namespaces/{bns}/virtualmachines", "/api/v1/namespaces"]
    for i in range(150):
        b = bytearray(seed)
        for _ in range(rnd.randint(1, 6)):
            op = rnd.random()
            pos = rnd.randrange(len(b) + 1)
            if op < 0.4:
                b[pos:pos] = rnd.choice(tokens)
            elif op < 0.7 and len(b) > 1:
                del b[pos:pos + rnd.randint(1, 8)]
            else:
                b[pos:pos + 1] = bytes([rnd.randrange(256)])
        ctype = rnd.choice(["application/json", "application/yaml"])
        r = http.post(corrald.url + rnd.choice(paths), data=bytes(b), timeout=15,
                      headers={"Content-Type": ctype, "Accept": "application/json"})
        if r.status_code >= 300:
            assert 400 <= r.status_code < 500, f"case {i}: HTTP {r.status_code} for {bytes(b)[:200]!r}"
            assert_status(r, r.status_code)
    assert corrald.readyz() == "200 ok"
