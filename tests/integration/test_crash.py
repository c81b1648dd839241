"""kill -9 corrald under write load, 20 times: nothing acknowledged is lost,
revisions stay strictly increasing, the database stays intact, and a watcher
that resumes from its last revision sees every create exactly once."""
from __future__ import annotations

import collections
import json
import random
import sqlite3
import threading
import time

import requests

from conftest import open_watch, watch_events

ROUNDS = 20
WRITERS = 4
NS = "crash"
CM_PATH = f"/api/v1/namespaces/{NS}/configmaps"


class Watcher(threading.Thread):
    """Watches NS's configmaps, resuming from the last resourceVersion it saw;
    on 410 Expired it re-lists and records the snapshot."""

    def __init__(self, daemon, rv: str):
        super().__init__(daemon=True)
        self.d = daemon
        self.rv = rv
        self.events: list[tuple[int, str, str]] = []
        self.relists: list[tuple[int, set[str]]] = []
        self.errors: list[str] = []
        self.connects = 0
        self._stop_evt = threading.Event()
        self._resp = None

    def stop(self):
        self._stop_evt.set()
        r = self._resp
        if r is not None:
            try:
                r.close()
            except Exception:
                pass
        self.join(timeout=15)

    def relist(self, s):
        r = s.get(self.d.url + CM_PATH, timeout=10)
        r.raise_for_status()
        lst = r.json()
        self.relists.append((int(lst["metadata"]["resourceVersion"]),
                             {i["metadata"]["name"] for i in lst["items"]}))
        self.rv = lst["metadata"]["resourceVersion"]

    def run(self):
        s = self.d.session()
        while not self._stop_evt.is_set():
            r = None
            try:
                r = open_watch(self.d, CM_PATH, {"resourceVersion": self.rv, "timeoutSeconds": "60"},
                               timeout=(2, 10), session=s)
                self._resp = r
                if r.status_code == 410:
                    self.relist(s)
                    continue
                if r.status_code != 200:
                    self.errors.append(f"watch HTTP {r.status_code}: {r.text[:200]}")
                    time.sleep(0.2)
                    continue
                self.connects += 1
                for ev in watch_events(r):
                    if self._stop_evt.is_set():
                        break
                    if ev.get("type") == "ERROR":
                        obj = ev.get("object") or {}
                        if obj.get("code") == 410:
                            self.relist(s)
                        else:
                            self.errors.append(f"watch ERROR event: {obj}")
                        break
                    if ev.get("type") == "BOOKMARK":
                        self.rv = ev["object"]["metadata"]["resourceVersion"]
                        continue
                    md = ev["object"]["metadata"]
                    self.events.append((int(md["resourceVersion"]), ev["type"], md["name"]))
                    self.rv = md["resourceVersion"]
            except (requests.RequestException, OSError, ValueError, AttributeError):
                time.sleep(0.05)
            finally:
                self._resp = None
                if r is not None:
                    try:
                        r.close()
                    except Exception:
                        pass


def integrity(path, ro=True) -> str:
    uri = f"file:{path}?mode=ro" if ro else f"file:{path}"
    con = sqlite3.connect(uri, uri=True, timeout=10)
    try:
        return ";".join(row[0] for row in con.execute("PRAGMA integrity_check"))
    finally:
        con.close()


def test_kill9_under_write_load(corrald_factory):
    d = corrald_factory()
    s = d.session()
    r = s.post(d.url + "/api/v1/namespaces", timeout=10,
               json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    assert r.status_code == 201, r.text
    lst = s.get(d.url + CM_PATH, timeout=10)
    assert lst.status_code == 200, lst.text
    watcher = Watcher(d, lst.json()["metadata"]["resourceVersion"])
    watcher.start()

    acked: dict[str, int] = {}          # name -> resourceVersion from the 2xx response
    ack_round: dict[str, int] = {}
    failures = collections.Counter()    # non-2xx HTTP answers (not connection errors)
    lock = threading.Lock()
    rnd = random.Random(7)
    db = d.data_dir / "store.db"
    integrity_results = []

    def writer(tid: int, rnd_no: int, stop: threading.Event):
        ws = d.session()
        i = 0
        while not stop.is_set():
            name = f"w{tid}-r{rnd_no}-{i}"
            i += 1
            body = {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "labels": {"round": str(rnd_no)}},
                    "data": {"writer": str(tid), "seq": str(i)}}
            try:
                resp = ws.post(d.url + CM_PATH, data=json.dumps(body), timeout=5,
                               headers={"Content-Type": "application/json"})
            except (requests.RequestException, OSError):
                time.sleep(0.01)
                continue
            if 200 <= resp.status_code < 300:
                rv = int(resp.json()["metadata"]["resourceVersion"])
                with lock:
                    acked[name] = rv
                    ack_round[name] = rnd_no
            else:
                with lock:
                    failures[resp.status_code] += 1

    t_start = time.monotonic()
    for rnd_no in range(ROUNDS):
        stop = threading.Event()
        threads = [threading.Thread(target=writer, args=(t, rnd_no, stop), daemon=True)
                   for t in range(WRITERS)]
        for t in threads:
            t.start()
        time.sleep(rnd.uniform(0.5, 1.5))
        d.kill9()                       # while the writers are mid-flight
        stop.set()
        for t in threads:
            t.join(timeout=15)
        assert db.exists(), f"no {db}"
        integrity_results.append(integrity(db))
        d.start()
    elapsed = time.monotonic() - t_start

    # Let the watcher catch up with everything that is in the store now.
    final = s.get(d.url + CM_PATH, timeout=30)
    assert final.status_code == 200, final.text
    items = final.json()["items"]
    present = {i["metadata"]["name"]: int(i["metadata"]["resourceVersion"]) for i in items}
    target = max(present.values(), default=0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and int(watcher.rv) < target:
        time.sleep(0.2)
    watcher.stop()
    d.stop()
    integrity_results.append(integrity(db, ro=False))

    # --- enough work happened for this to mean something
    per_round = collections.Counter(ack_round.values())
    assert len(acked) >= 100, f"only {len(acked)} acknowledged writes (non-2xx: {dict(failures)})"
    assert all(per_round[r] > 0 for r in range(ROUNDS)), f"rounds without acked writes: {per_round}"

    # --- every acknowledged write survived
    lost = sorted(set(acked) - set(present))
    assert not lost, f"{len(lost)} acknowledged creates lost, e.g. {lost[:10]}"
    for name, rv in acked.items():
        assert present[name] == rv, f"{name}: acked rv {rv}, stored rv {present[name]}"

    # --- revisions: integers, unique, strictly increasing across crashes
    all_rvs = list(acked.values())
    assert len(set(all_rvs)) == len(all_rvs), "two acknowledged writes share a resourceVersion"
    assert len(set(present.values())) == len(present), "two stored objects share a resourceVersion"
    for r in range(1, ROUNDS):
        prev = [rv for n, rv in acked.items() if ack_round[n] < r]
        cur = [rv for n, rv in acked.items() if ack_round[n] == r]
        if prev and cur:
            assert min(cur) > max(prev), f"round {r}: revision went backwards after restart " \
                                         f"({min(cur)} <= {max(prev)})"

    # --- the database is intact after every crash
    assert all(x == "ok" for x in integrity_results), integrity_results

    # --- the watcher saw each create exactly once, in strictly increasing order
    assert not watcher.errors, watcher.errors[:5]
    assert watcher.connects >= ROUNDS // 2, f"watcher connected only {watcher.connects} times"
    ev_rvs = [e[0] for e in watcher.events]
    bad = [(a, b) for a, b in zip(ev_rvs, ev_rvs[1:]) if b <= a]
    assert not bad, f"watch revisions not strictly increasing: {bad[:10]}"
    assert {e[1] for e in watcher.events} <= {"ADDED"}, collections.Counter(e[1] for e in watcher.events)
    added = collections.Counter(e[2] for e in watcher.events if e[1] == "ADDED")
    dups = [n for n, c in added.items() if c > 1]
    assert not dups, f"duplicated events for {dups[:10]}"
    relisted = set().union(*(snap for _, snap in watcher.relists)) if watcher.relists else set()
    missing = [n for n in acked if n not in added and n not in relisted]
    assert not missing, f"watcher missed {len(missing)} acknowledged creates, e.g. {missing[:10]}" \
                        f" (relists: {len(watcher.relists)})"
    phantom = [n for n in added if n not in present]
    assert not phantom, f"watch delivered creates that are not in the store: {phantom[:10]}"
    unseen = [n for n in present if n not in added and n not in relisted]
    assert not unseen, f"stored objects the watcher never saw: {unseen[:10]}"
    for rv, name in ((e[0], e[2]) for e in watcher.events):
        assert present[name] == rv, f"watch rv {rv} for {name} != stored {present[name]}"
    print(f"crash test: {ROUNDS} rounds in {elapsed:.1f}s, {len(acked)} acked, "
          f"{len(present) - len(acked)} committed-but-unacked, non-2xx {dict(failures)}, "
          f"{len(watcher.events)} events, {len(watcher.relists)} relists")
