"""History compaction (--compaction-interval 1): old watches and continue tokens
get 410 Expired; watch bookmarks arrive when asked for."""
from __future__ import annotations

import json
import time

import pytest
import requests

from conftest import assert_status, open_watch, unique, watch_events


def mk_ns(d, s) -> str:
    name = unique("cmp")
    r = s.post(d.url + "/api/v1/namespaces", timeout=10,
               json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert r.status_code == 201, r.text
    return name


def create_cm(d, s, ns, name, labels=None) -> int:
    r = s.post(d.url + f"/api/v1/namespaces/{ns}/configmaps", timeout=10,
               data=json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": name, "labels": labels or {}},
                                "data": {"k": "v"}}),
               headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return int(r.json()["metadata"]["resourceVersion"])


class FakeResp:
    """Adapts a watch ERROR event's Status so assert_status can check it."""

    def __init__(self, status: dict):
        self.status_code = status.get("code")
        self.headers = {"Content-Type": "application/json"}
        self._s = status
        self.text = json.dumps(status)

    def json(self):
        return self._s


def expired_from_watch(d, s, path, rv) -> dict | None:
    """Watch from rv for at most ~2 s: the Status if the server says 410, else None."""
    r = open_watch(d, path, {"resourceVersion": str(rv), "timeoutSeconds": "1"}, timeout=(5, 10),
                   session=s)
    try:
        if r.status_code == 410:
            return assert_status(r, 410, "Expired")
        assert r.status_code == 200, f"watch HTTP {r.status_code}: {r.text[:300]}"
        for ev in watch_events(r):
            if ev["type"] == "ERROR":
                st = assert_status(FakeResp(ev["object"]), 410, "Expired")
                return st
            # Normal events: history still there.
            return None
        return None
    finally:
        r.close()


def test_watch_from_compacted_revision_is_410_expired(corrald_factory):
    d = corrald_factory("--compaction-interval", "1")
    s = d.session()
    ns = mk_ns(d, s)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    rv_first = create_cm(d, s, ns, "first")
    for i in range(5):
        create_cm(d, s, ns, f"more-{i}")

    # Right after the writes, the old revision is still watchable: we get its later events.
    r = open_watch(d, path, {"resourceVersion": str(rv_first), "timeoutSeconds": "1"}, timeout=(5, 10),
                   session=s)
    assert r.status_code == 200, r.text
    early = [e for e in watch_events(r)]
    r.close()
    if early and early[0]["type"] != "ERROR":
        assert [e["object"]["metadata"]["name"] for e in early[:5]] == [f"more-{i}" for i in range(5)], early

    time.sleep(3)
    st = None
    deadline = time.monotonic() + 20
    i = 0
    while time.monotonic() < deadline:
        st = expired_from_watch(d, s, path, rv_first)
        if st:
            break
        create_cm(d, s, ns, f"push-{i}")   # keep the revision moving
        i += 1
        time.sleep(1)
    assert st, "a watch from a revision older than the compaction point never got 410 Expired"
    assert st["code"] == 410 and st["reason"] == "Expired", st

    # A current revision is still fine after compaction.
    lst = s.get(d.url + path, timeout=10).json()
    r = open_watch(d, path, {"resourceVersion": lst["metadata"]["resourceVersion"], "timeoutSeconds": "5"},
                   timeout=(5, 15), session=s)
    assert r.status_code == 200, r.text
    create_cm(d, s, ns, "after-compaction")
    ev = next(watch_events(r))
    r.close()
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["name"] == "after-compaction", ev


def test_continue_token_from_before_compaction_is_410(corrald_factory):
    d = corrald_factory("--compaction-interval", "1")
    s = d.session()
    ns = mk_ns(d, s)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    for i in range(30):
        create_cm(d, s, ns, f"item-{i:02d}", {"grp": "c"})
    page = s.get(d.url + path, params={"limit": 5, "labelSelector": "grp=c"}, timeout=10)
    assert page.status_code == 200, page.text
    first = page.json()
    assert len(first["items"]) == 5, len(first["items"])
    token = first["metadata"].get("continue")
    assert token, first["metadata"]
    # The token works while its revision is still in history.
    nxt = s.get(d.url + path, params={"limit": 5, "labelSelector": "grp=c", "continue": token}, timeout=10)
    assert nxt.status_code == 200, nxt.text
    assert len(nxt.json()["items"]) == 5

    got = None
    deadline = time.monotonic() + 20
    i = 0
    while time.monotonic() < deadline:
        create_cm(d, s, ns, f"later-{i}")   # move the revision past the token's
        i += 1
        time.sleep(1)
        r = s.get(d.url + path, params={"limit": 5, "labelSelector": "grp=c", "continue": token},
                  timeout=10)
        if r.status_code == 410:
            got = r
            break
        assert r.status_code == 200, r.text
    assert got is not None, "a continue token from before compaction never got 410"
    assert_status(got, 410, "Expired")


def test_watch_bookmarks(corrald_factory):
    d = corrald_factory("--compaction-interval", "1")
    s = d.session()
    ns = mk_ns(d, s)
    path = f"/api/v1/namespaces/{ns}/configmaps"
    create_cm(d, s, ns, "seed")
    lst = s.get(d.url + path, timeout=10).json()
    start_rv = int(lst["metadata"]["resourceVersion"])

    t0 = time.monotonic()
    r = open_watch(d, path, {"resourceVersion": str(start_rv), "allowWatchBookmarks": "true",
                             "timeoutSeconds": "30"}, timeout=(5, 16), session=s)
    assert r.status_code == 200, r.text
    bookmark = None
    try:
        for ev in watch_events(r):
            if ev["type"] == "BOOKMARK":
                bookmark = ev
                break
            if time.monotonic() - t0 > 15:
                break
    except requests.exceptions.ConnectionError as e:  # read timeout inside the stream
        pytest.fail(f"no event at all within 16 s: {e}")
    finally:
        r.close()
    waited = time.monotonic() - t0
    assert bookmark is not None, f"no BOOKMARK within {waited:.1f}s"
    assert waited <= 15.5, waited
    obj = bookmark["object"]
    assert obj.get("kind") == "ConfigMap" and obj.get("apiVersion") == "v1", obj
    assert int(obj["metadata"]["resourceVersion"]) >= start_rv, obj

    # Without allowWatchBookmarks, no BOOKMARK events.
    r = open_watch(d, path, {"resourceVersion": str(start_rv), "timeoutSeconds": "7"},
                   timeout=(5, 15), session=s)
    try:
        types = [e["type"] for e in watch_events(r)]
    finally:
        r.close()
    assert "BOOKMARK" not in types, types
