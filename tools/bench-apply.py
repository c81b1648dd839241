#!/usr/bin/env python3
"""Apply and patch benchmark for corrald (issue 3, last "Done means" bullet).

Command (from the repository root, after `swift build -c release --product corrald`):

    .venv/bin/python tools/bench-apply.py [--binary .build/release/corrald]
        [--manifests 200] [--patches 400] [--no-doc] [--doc docs/performance.md]

In one run, against one daemon (control plane only, `--disable-agent`):

  1. writes N manifests (ConfigMaps, Deployments and Services in equal
     parts) into a directory;
  2. baseline: `kubectl create -f DIR` into a fresh namespace (one kubectl
     process, which creates them one by one) -> seconds;
  3. `kubectl apply -f DIR` (client-side: last-applied annotation) into a
     fresh namespace, then again after changing every object (re-apply =
     GET + strategic merge PATCH per object);
  4. `kubectl apply --server-side -f DIR` into a fresh namespace, then
     again after the same change;
  each as a ratio to (2). Every kubectl run shares one discovery/OpenAPI
  cache that is warmed first, so the ratios compare the server's work;
  5. patch throughput, one keep-alive HTTPS client: N merge patches,
     N JSON patches and N strategic patches of ConfigMaps/Deployments, vs N
     plain ConfigMap creates measured in the same run -> requests/s and ratio.

It prints a table and replaces the section "## Apply and patch (issue 3)" in
docs/performance.md (other sections are kept). The daemon runs in a temp dir
on a free loopback port and is stopped by PID at exit.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdoc  # tools/benchdoc.py: the shared docs/performance.md writer

import yaml

REPO = Path(__file__).resolve().parents[1]
SECTION_TITLE = "## Apply and patch (issue 3)"

# The daemon lifecycle, machine facts and doc writer are the control-plane benchmark's.
_spec = importlib.util.spec_from_file_location("bench_cp", REPO / "tools" / "bench-control-plane.py")
cp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cp)
log = cp.log


def manifest(i: int, ns: str, rev: int) -> dict:
    """The i-th object of the set; `rev` changes something in each."""
    kind = ("ConfigMap", "Deployment", "Service")[i % 3]
    name = f"obj-{i:04d}"
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns},
                "data": {"payload": "x" * 200, "rev": str(rev)}}
    if kind == "Deployment":
        labels = {"app": name}
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
                "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                         "template": {"metadata": {"labels": labels},
                                      "spec": {"containers": [{"name": "app", "image": "busybox:1.36",
                                                               "command": ["sleep", "3600"],
                                                               "env": [{"name": "REV", "value": str(rev)}]}]}}}}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns,
                                                                "labels": {"rev": str(rev)}},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}


def write_set(d: Path, n: int, ns: str, rev: int) -> Path:
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    # One multi-document file per 50 objects, as people keep them.
    docs = [yaml.safe_dump(manifest(i, ns, rev), sort_keys=False) for i in range(n)]
    for k in range(0, n, 50):
        (d / f"part-{k // 50:02d}.yaml").write_text("---\n".join(docs[k:k + 50]))
    return d


class Kubectl:
    def __init__(self, dm, cache: Path):
        self.env = dict(os.environ, KUBECONFIG=str(dm.data_dir / "kubeconfig.yaml"), KUBECACHEDIR=str(cache))
        self.env.pop("HTTPS_PROXY", None)
        self.env.pop("https_proxy", None)

    def run(self, *args) -> tuple[float, str]:
        t0 = time.monotonic()
        p = subprocess.run(["kubectl", *args], env=self.env, capture_output=True, text=True, timeout=900)
        took = time.monotonic() - t0
        if p.returncode != 0:
            raise RuntimeError(f"kubectl {' '.join(args)} exited {p.returncode}: {p.stderr[-2000:]}")
        return took, p.stdout


def timed_kubectl_runs(k: Kubectl, tmp: Path, n: int) -> dict:
    R = {}
    k.run("create", "namespace", "warm")
    warm = write_set(tmp / "warm", 3, "warm", 0)
    k.run("apply", "-f", str(warm))  # fills the discovery and OpenAPI caches
    k.run("apply", "--server-side", "-f", str(warm), "--force-conflicts")

    for label, ns, first, second in [
        ("create", "b-create", ["create"], None),
        ("apply", "b-apply", ["apply"], ["apply"]),
        ("ssa", "b-ssa", ["apply", "--server-side"], ["apply", "--server-side"]),
    ]:
        k.run("create", "namespace", ns)
        d = write_set(tmp / ns, n, ns, 1)
        took, out = k.run(*first, "-f", str(d))
        assert out.count("\n") >= n, out[-500:]
        R[label] = took
        log(f"{label}: {n} objects in {took:.2f} s")
        if second:
            d = write_set(tmp / ns, n, ns, 2)
            took, out = k.run(*second, "-f", str(d))
            R[label + "_again"] = took
            log(f"{label} again (every object changed): {took:.2f} s")
    return R


def throughput(dm, n: int, make) -> float:
    """Requests/s of n sequential requests `make(i) -> (method, path, body, content_type)` on one connection."""
    c = dm.conn()
    t0 = time.monotonic()
    for i in range(n):
        method, path, body, ctype = make(i)
        status, data = cp.request(c, method, path, body, {"Content-Type": ctype})
        if status >= 300:
            raise RuntimeError(f"{method} {path}: HTTP {status}: {data[:300]!r}")
    took = time.monotonic() - t0
    c.close()
    return n / took


def patch_throughput(dm, n: int) -> dict:
    ns = "b-create"  # the create run's objects: a third are ConfigMaps, a third Deployments
    cms = [f"obj-{i:04d}" for i in range(0, 10**6, 3)][: n // 10 or 1]
    deps = [f"obj-{i:04d}" for i in range(1, 10**6, 3)][: n // 10 or 1]
    cm_path = f"/api/v1/namespaces/{ns}/configmaps"
    dep_path = f"/apis/apps/v1/namespaces/{ns}/deployments"

    def create(i):
        return "POST", cm_path, json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"tp-{i}"},
                                            "data": {"payload": "x" * 200}}).encode(), "application/json"

    def merge(i):
        return ("PATCH", f"{cm_path}/{cms[i % len(cms)]}", json.dumps({"data": {"n": str(i)}}).encode(),
                "application/merge-patch+json")

    def jsonpatch(i):
        return ("PATCH", f"{cm_path}/{cms[i % len(cms)]}",
                json.dumps([{"op": "replace", "path": "/data/rev", "value": str(i)}]).encode(), "application/json-patch+json")

    def strategic(i):
        body = {"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "REV", "value": str(i)}]}]}}}}
        return "PATCH", f"{dep_path}/{deps[i % len(deps)]}", json.dumps(body).encode(), "application/strategic-merge-patch+json"

    settle(dm)
    # Interleaved rounds, so background work and machine noise fall on every kind alike.
    kinds = [("create", create), ("merge", merge), ("json", jsonpatch), ("strategic", strategic)]
    seconds = {k: 0.0 for k, _ in kinds}
    rounds, per = 4, max(1, n // 4)
    for r in range(rounds):
        for label, fn in kinds:
            seconds[label] += per / throughput(dm, per, lambda i, fn=fn, r=r: fn(r * per + i))
    R = {f"{k}_rps": rounds * per / t for k, t in seconds.items()}
    for k in seconds:
        log(f"{k}: {R[k + '_rps']:.0f}/s")
    return R


def settle(dm, idle_share: float = 0.05, timeout: float = 120) -> None:
    """Waits until the daemon uses under `idle_share` of a core (the Deployment
    controller is still making ReplicaSets for the objects kubectl created)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        c0 = dm.cpu_seconds()
        time.sleep(1)
        if dm.cpu_seconds() - c0 < idle_share:
            return
    log("daemon did not settle; measuring anyway")


def rows(R: dict, n: int, p: int) -> list[tuple[str, str, str]]:
    base = R["create"]
    out = [(f"`kubectl create -f` {n} objects (baseline)", f"{base:.2f} s", "1.00×")]
    for key, text in [("apply", f"`kubectl apply -f` {n} objects (client-side, creates)"),
                      ("apply_again", f"`kubectl apply -f` re-apply, all {n} changed"),
                      ("ssa", f"`kubectl apply --server-side -f` {n} objects (creates)"),
                      ("ssa_again", f"`kubectl apply --server-side -f` re-apply, all {n} changed")]:
        out.append((text, f"{R[key]:.2f} s", f"{R[key] / base:.2f}×"))
    c = R["create_rps"]
    out.append((f"plain ConfigMap create, {p} sequential requests (baseline)", f"{c:.0f}/s", "1.00×"))
    for key, text in [("merge", "merge patch of a ConfigMap"), ("json", "JSON patch of a ConfigMap"),
                      ("strategic", "strategic merge patch of a Deployment's container env")]:
        out.append((f"{text}, {p} sequential", f"{R[key + '_rps']:.0f}/s", f"{R[key + '_rps'] / c:.2f}×"))
    return out


def write_doc(path: Path, cmd: str, table: list, facts: dict) -> None:
    md = [SECTION_TITLE, "",
          "Measured by `tools/bench-apply.py`; each kubectl figure is a ratio to `kubectl create -f` of the same "
          "objects, each patch rate a ratio to plain creates, all in the same run against one daemon "
          "(`--disable-agent`, release build).", "",
          "```", cmd, "```", "",
          f"- Machine: nproc {facts['nproc']}, kernel {facts['kernel']}, load average at start {facts['load']}",
          "- kubectl runs share a warmed discovery/OpenAPI cache; times include kubectl's own start (~0.2 s).", "",
          "| Measurement | Result | Ratio |", "|---|---:|---:|"]
    md += [f"| {a} | {b} | {c} |" for a, b, c in table]
    section = "\n".join(md) + "\n"
    benchdoc.replace_section(path, SECTION_TITLE, section)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=str(REPO / ".build/release/corrald"))
    ap.add_argument("--manifests", type=int, default=200)
    ap.add_argument("--patches", type=int, default=400)
    ap.add_argument("--doc", default=str(REPO / "docs/performance.md"))
    ap.add_argument("--no-doc", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="corral-bench-apply-"))
    binary = tmp / "corrald"
    shutil.copy2(a.binary, binary)  # a rebuild during the run must not disturb it
    facts = cp.machine_facts()
    dm = cp.Daemon(binary, tmp / "data", "normal", "apply", extra_args=("--disable-agent",))
    try:
        dm.start()
        k = Kubectl(dm, tmp / "kubecache")
        R = timed_kubectl_runs(k, tmp, a.manifests)
        R.update(patch_throughput(dm, a.patches))
    finally:
        cp.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    table = rows(R, a.manifests, a.patches)
    width = max(len(r[0]) for r in table)
    for r in table:
        print(f"{r[0]:<{width}}  {r[1]:>9}  {r[2]:>6}")
    if not a.no_doc:
        cmd = "swift build -c release --product corrald && .venv/bin/python tools/bench-apply.py"
        write_doc(Path(a.doc), cmd, table, facts)
        log(f"wrote section to {a.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
