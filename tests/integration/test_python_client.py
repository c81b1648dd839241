"""The official Python client (PyPI `kubernetes`) against corrald."""
from __future__ import annotations

import threading
import time

import pytest
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

from conftest import unique

MERGE = "application/merge-patch+json"


@pytest.fixture(scope="module")
def api(corrald):
    c = config.new_client_from_config(config_file=corrald.kubeconfig)
    yield client.CoreV1Api(c)
    c.close()


@pytest.fixture
def pyns(api):
    name = unique("py")
    api.create_namespace(client.V1Namespace(api_version="v1", kind="Namespace",
                                            metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        api.delete_namespace(name)
    except ApiException:
        pass


def cm(name, labels=None, data=None):
    return client.V1ConfigMap(api_version="v1", kind="ConfigMap",
                              metadata=client.V1ObjectMeta(name=name, labels=labels),
                              data=data or {"k": "v"})


def names(lst):
    return {i.metadata.name for i in lst.items}


def test_load_kube_config_and_basic_calls(corrald):
    config.load_kube_config(config_file=corrald.kubeconfig)
    v = client.VersionApi().get_code()
    assert v.git_version.startswith("v") and v.major and v.minor
    nss = {n.metadata.name for n in client.CoreV1Api().list_namespace().items}
    assert {"default", "kube-system", "kube-public"} <= nss, nss
    groups = {g.name for g in client.ApisApi().get_api_versions().groups}
    assert {"apps", "kubevirt.io", "cdi.kubevirt.io", "k8s.cni.cncf.io"} <= groups, groups


def test_create_without_kind_like_most_client_code(api, pyns):
    """The client sends no kind/apiVersion unless the caller sets them;
    kube-apiserver takes them from the URL."""
    made = api.create_namespaced_config_map(
        pyns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="nokind"), data={"a": "b"}))
    assert made.kind == "ConfigMap" and made.api_version == "v1"
    name = unique("pyk")
    api.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        assert api.read_namespace(name).metadata.name == name
    finally:
        api.delete_namespace(name)


def test_create_get_list_with_selectors(api, pyns):
    specs = {
        "a": {"app": "web", "tier": "fe"},
        "b": {"app": "web", "tier": "be"},
        "c": {"app": "db"},
        "d": None,
    }
    for n, labels in specs.items():
        created = api.create_namespaced_config_map(pyns, cm(n, labels, {"name": n}))
        assert created.metadata.name == n and created.metadata.namespace == pyns
        assert created.metadata.uid and created.metadata.resource_version.isdigit()
        assert created.metadata.creation_timestamp is not None
    got = api.read_namespaced_config_map("a", pyns)
    assert got.data == {"name": "a"} and got.metadata.labels == {"app": "web", "tier": "fe"}

    allmine = names(api.list_namespaced_config_map(pyns)) - {"kube-root-ca.crt"}
    assert allmine == {"a", "b", "c", "d"}
    cases = {
        "app=web": {"a", "b"},
        "app!=web": {"c", "d"},
        "tier in (fe)": {"a"},
        "app notin (web)": {"c", "d"},
        "tier": {"a", "b"},
        "!tier": {"c", "d"},
        "app=web,tier!=fe": {"b"},
    }
    for sel, want in cases.items():
        got = names(api.list_namespaced_config_map(pyns, label_selector=sel)) - {"kube-root-ca.crt"}
        assert got == want, f"{sel}: {got}"
    # Cluster-wide list with label + field selectors.
    lst = api.list_config_map_for_all_namespaces(label_selector="app=web",
                                                 field_selector=f"metadata.namespace={pyns}")
    assert names(lst) == {"a", "b"}
    assert lst.items is not None
    empty = api.list_namespaced_config_map(pyns, label_selector="app=nothing")
    assert empty.items == [] and empty.metadata.resource_version.isdigit()

    with pytest.raises(ApiException) as e:
        api.create_namespaced_config_map(pyns, cm("a"))
    assert e.value.status == 409


def test_watch_from_old_resource_version_sees_exactly_later_events(api, pyns):
    first = api.create_namespaced_config_map(pyns, cm("base"))
    rv0 = first.metadata.resource_version

    api.create_namespaced_config_map(pyns, cm("w1", {"x": "1"}))
    api.patch_namespaced_config_map("base", pyns, {"data": {"k": "changed"}}, _content_type=MERGE)
    api.create_namespaced_config_map(pyns, cm("w2"))
    api.delete_namespaced_config_map("w1", pyns)
    api.patch_namespaced_config_map("w2", pyns, {"metadata": {"labels": {"y": "2"}}}, _content_type=MERGE)
    expected = [("ADDED", "w1"), ("MODIFIED", "base"), ("ADDED", "w2"), ("DELETED", "w1"),
                ("MODIFIED", "w2")]

    w = watch.Watch()
    seen = []
    rvs = []
    t0 = time.monotonic()
    for ev in w.stream(api.list_namespaced_config_map, pyns, resource_version=rv0, timeout_seconds=3):
        if ev["object"].metadata.name == "kube-root-ca.crt":
            continue
        seen.append((ev["type"], ev["object"].metadata.name))
        rvs.append(int(ev["object"].metadata.resource_version))
        if time.monotonic() - t0 > 20:
            break
    assert seen == expected, seen
    assert all(r > int(rv0) for r in rvs), (rv0, rvs)
    assert rvs == sorted(rvs) and len(set(rvs)) == len(rvs), rvs
    # The MODIFIED event carries the new state.
    w = watch.Watch()
    objs = [ev["object"] for ev in w.stream(api.list_namespaced_config_map, pyns,
                                            resource_version=rv0, timeout_seconds=2)]
    base = [o for o in objs if o.metadata.name == "base"]
    assert base and base[0].data == {"k": "changed"}, base


def test_watch_from_now_sees_live_events(api, pyns):
    lst = api.list_namespaced_config_map(pyns)
    w = watch.Watch()
    seen = []

    def writer():
        time.sleep(0.7)
        api.create_namespaced_config_map(pyns, cm("live"))
        api.delete_namespaced_config_map("live", pyns)

    t = threading.Thread(target=writer)
    t.start()
    for ev in w.stream(api.list_namespaced_config_map, pyns,
                       resource_version=lst.metadata.resource_version, timeout_seconds=4):
        seen.append((ev["type"], ev["object"].metadata.name))
        if len(seen) == 2:
            w.stop()
    t.join()
    assert seen == [("ADDED", "live"), ("DELETED", "live")], seen


def test_patch_merge(api, pyns):
    api.create_namespaced_config_map(pyns, cm("p", {"keep": "1", "drop": "1"}, {"a": "1", "b": "2"}))
    before = api.read_namespaced_config_map("p", pyns)
    out = api.patch_namespaced_config_map(
        "p", pyns, {"metadata": {"labels": {"drop": None, "new": "yes"}}, "data": {"a": "10", "b": None}},
        _content_type=MERGE)
    assert out.metadata.labels == {"keep": "1", "new": "yes"}, out.metadata.labels
    assert out.data == {"a": "10"}, out.data
    assert int(out.metadata.resource_version) > int(before.metadata.resource_version)
    assert out.metadata.uid == before.metadata.uid
    again = api.read_namespaced_config_map("p", pyns)
    assert again.data == {"a": "10"} and again.metadata.labels == {"keep": "1", "new": "yes"}
    with pytest.raises(ApiException) as e:
        api.patch_namespaced_config_map("missing", pyns, {"data": {"a": "1"}}, _content_type=MERGE)
    assert e.value.status == 404


def test_delete(api, pyns):
    api.create_namespaced_config_map(pyns, cm("del"))
    st = api.delete_namespaced_config_map("del", pyns)
    assert st is not None
    with pytest.raises(ApiException) as e:
        api.read_namespaced_config_map("del", pyns)
    assert e.value.status == 404
    with pytest.raises(ApiException) as e:
        api.delete_namespaced_config_map("del", pyns)
    assert e.value.status == 404
    # deletecollection with a selector
    for n in ("x1", "x2", "y1"):
        api.create_namespaced_config_map(pyns, cm(n, {"g": n[0]}))
    api.delete_collection_namespaced_config_map(pyns, label_selector="g=x")
    assert names(api.list_namespaced_config_map(pyns)) - {"kube-root-ca.crt"} == {"y1"}


def test_watch_timeout_seconds_ends_on_time(api, pyns):
    w = watch.Watch()
    t0 = time.monotonic()
    events = list(w.stream(api.list_namespaced_config_map, pyns, timeout_seconds=2))
    elapsed = time.monotonic() - t0
    assert elapsed < 8, f"watch with timeout_seconds=2 took {elapsed:.1f}s"
    assert elapsed >= 1.5, f"watch ended after {elapsed:.2f}s, before its 2 s timeout"
    # Without a resourceVersion the watch starts with the current state (none here).
    assert [e["type"] for e in events] in ([], ["ADDED"] * len(events)), events


def test_list_limit_continue(api, pyns):
    for i in range(25):
        api.create_namespaced_config_map(pyns, cm(f"page-{i:02d}", {"pg": "yes"}))
    seen = []
    pages = []
    token = None
    list_rv = None
    for _ in range(10):
        kw = {"label_selector": "pg=yes", "limit": 10}
        if token:
            kw["_continue"] = token
        page = api.list_namespaced_config_map(pyns, **kw)
        pages.append(len(page.items))
        seen += [i.metadata.name for i in page.items]
        if list_rv is None:
            list_rv = page.metadata.resource_version
            # Objects created after the first page must not show up in later pages.
            api.create_namespaced_config_map(pyns, cm("page-99-late", {"pg": "yes"}))
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count in (None, 25 - len(seen)), page.metadata
    assert pages == [10, 10, 5], pages
    assert sorted(seen) == [f"page-{i:02d}" for i in range(25)], seen
    assert len(set(seen)) == 25
    whole = api.list_namespaced_config_map(pyns, label_selector="pg=yes")
    assert len(whole.items) == 26 and whole.metadata._continue in (None, "")
