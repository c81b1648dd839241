#!/usr/bin/env python3
"""Pod benchmark for corrald: pod create -> Running against raw conmon + runc.

Command (as root, from the repository root, after
`swift build -c release --product corrald`):

    .venv/bin/python tools/bench-pods.py [--binary .build/release/corrald]
        [--pods 50] [--raw 30] [--quick] [--no-doc] [--doc docs/performance.md]
        [--delete-grace 1] [--skip-scheduler] [--tmpdir DIR] [--keep]

It needs the Python `kubernetes` client (the repository's .venv has it),
conmon, runc and `ip`. In one run it:

  0. creates a network namespace `corral-bench-<pid>` and re-runs itself
     inside it with `nsenter --net` (not `ip netns exec`, which remounts /sys
     and hides the host cgroup layout from runc); corrald and every client
     run in there, so nothing touches the host network;
  1. starts corrald (release build, copied to a temp dir) with the busybox
     test image dropped in DATA/images/import, runs one warm-up pod (its first
     start unpacks the image layer) and copies that pod's OCI bundle
     (config.json as corrald wrote it, and the rootfs contents);
  2. raw baseline: starts that same bundle --raw times (half before, half
     after the corrald phases) the way corrald does it: conmon with the same
     arguments and its sync pipe (`_OCI_SYNCPIPE`), wait for the container
     pid on the pipe, then `runc start`; timed from spawning conmon to `runc
     start` returning; each one is killed and deleted before the next.
     Differences from a pod: the rootfs is a plain directory (no overlay
     mount) and the network namespace joined is one made once for all raw
     starts (no veth), as a pod's container joins its sandbox's;
  3. sequential: creates --pods pods (busybox `sleep 3600`, imagePullPolicy
     Never) one at a time with the Python client and times create request ->
     the watch event that shows status.phase Running; p50/p95/max, and the
     ratio p50 / raw p50. Where the time goes is read from the mtimes of the
     files corrald writes on the way (IP record, resolv.conf, config.json,
     conmon.pid, container.pid, the attempt record);
  4. concurrent: deletes them, then creates --pods pods at once (one thread
     each) and times the first create request -> the last pod Running;
  5. daemon RSS (VmRSS of corrald): idle after start vs with --pods pods
     Running -> MiB per pod; conmon's own RSS per pod as a side figure.

Targets (the issue): p50 <= 300 ms and <= 4x the raw start; 50 pods Running
within 10 s of the first create; <= 1 MiB of daemon RSS per pod.

Pods are deleted with gracePeriodSeconds --delete-grace (default 1): a
grace-0 delete removes the pod from the API at once and corrald's node agent
then never stops its containers (they leak until the daemon restarts).

At the end it stops corrald (SIGTERM, by pid), checks that nothing is left
(runc containers under DATA/runc, conmon processes, mounts under the temp
dir, pod network namespaces, pod cgroups, the bench namespace) and removes
the temp dir and corrald's /run/corral-<hash> state dir; the report says what
it found. It prints a table and replaces the section "## Pods" of
docs/performance.md (other sections are kept); --quick (10 pods, 6 raw
starts) prints only, unless --doc is given.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import benchdoc  # tools/benchdoc.py: the shared docs/performance.md writer

REPO = Path(__file__).resolve().parents[1]
SECTION_TITLE = "## Pods"
IMAGE = "localhost/corral-test/busybox:latest"
NS = "default"
LABEL = "bench=pods"
MiB = 1024 * 1024
CGROUP_ROOT = Path("/sys/fs/cgroup")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for an empty list."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def runtime_state_dir(data_dir: Path) -> Path:
    """corrald's conmon state dir: /run/corral-<FNV-1a 64 of the data dir> (NodeAgentConfig.runtimeStateDir)."""
    h = 0xCBF29CE484222325
    for b in str(data_dir).encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return Path(f"/run/corral-{h:x}")


def proc_status(pid: int, field: str) -> int:
    """A kB field of /proc/PID/status, in bytes (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pids_mentioning(text: str, exe_suffix: str = "conmon") -> list[int]:
    """Live processes whose argv[0] ends with exe_suffix and whose command line contains text."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if args and args[0].decode(errors="replace").endswith(exe_suffix) and any(text.encode() in a for a in args):
            out.append(int(d.name))
    return out


def mounts_under(prefix: str) -> list[str]:
    return [l.split()[4] for l in Path("/proc/self/mountinfo").read_text().splitlines()
            if l.split()[4].startswith(prefix)]


def machine_facts() -> dict:
    cpu, mem = "unknown", 0
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    load = " ".join(open("/proc/loadavg").read().split()[:3])

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "?"
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": cpu, "load": load,
            "mem_gib": mem / (1024 ** 3), "python": platform.python_version(),
            "runc": version(["runc", "--version"]), "conmon": version(["conmon", "--version"])}



# --------------------------------------------------------------------------
# corrald and the API client
# --------------------------------------------------------------------------
class Daemon:
    """corrald with its node agent on a free loopback port (we run inside the bench netns)."""

    def __init__(self, binary: Path, data_dir: Path):
        self.binary, self.data_dir = binary, data_dir
        self.port = free_port()
        self.log_path = data_dir.parent / "corrald.log"
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> float:
        import ssl
        import http.client
        cmd = [str(self.binary), "--data-dir", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}"]
        fh = open(self.log_path, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        fh.close()
        pki = self.data_dir / "pki"
        last = "no attempt"
        while time.monotonic() < t0 + timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"corrald exited with {self.proc.returncode}; log tail:\n{self.log_tail()}")
            try:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.load_verify_locations(cafile=str(pki / "ca.crt"))
                ctx.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
                ctx.check_hostname = False
                c = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx, timeout=1)
                c.request("GET", "/readyz")
                r = c.getresponse()
                if r.status == 200 and r.read().strip() == b"ok" and (self.data_dir / "kubeconfig.yaml").exists():
                    return time.monotonic() - t0
                last = f"HTTP {r.status}"
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.05)
        raise RuntimeError(f"corrald not ready after {timeout}s ({last}); log tail:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM by pid, then SIGKILL after `timeout` seconds."""
        p = self.proc
        if p is None or p.poll() is not None:
            return
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log(f"corrald pid {p.pid} ignored SIGTERM for {timeout}s: SIGKILL")
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)

    def rss(self) -> int:
        return proc_status(self.pid, "VmRSS")

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def kube_api(kubeconfig: Path):
    """A CoreV1Api for the daemon (no proxy; a pool big enough for 50 threads)."""
    for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(k, None)
    from kubernetes import client, config
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    cfg.connection_pool_maxsize = 128
    return client.CoreV1Api(client.ApiClient(cfg))


BIND_TO: str | None = None  # --skip-scheduler: the node name written into spec.nodeName


def pod_body(name: str, grace: int) -> dict:
    spec = {"terminationGracePeriodSeconds": grace,
            "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "Never", "command": ["sleep", "3600"]}]}
    if BIND_TO:
        spec["nodeName"] = BIND_TO
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "pods"}}, "spec": spec}


class PodWatch(threading.Thread):
    """Watches the bench namespace's pods and stamps (time.monotonic) the first event where
    each pod is bound to the node, is Running, and is DELETED."""

    def __init__(self, api):
        super().__init__(daemon=True)
        self.api = api
        self.cv = threading.Condition()
        self.bound: dict[str, float] = {}
        self.running: dict[str, float] = {}
        self.deleted: dict[str, float] = {}
        self.events = 0
        self.error: str | None = None
        self._resp = None
        self._stopping = False
        self.rv = api.list_namespaced_pod(NS, _preload_content=False)
        self.rv = json.loads(self.rv.data)["metadata"]["resourceVersion"]

    def run(self):
        while not self._stopping:
            try:
                resp = self.api.list_namespaced_pod(NS, watch=True, resource_version=self.rv, timeout_seconds=3600,
                                                    allow_watch_bookmarks=False, _preload_content=False)
                self._resp = resp
                buf = b""
                while not self._stopping:
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    now = time.monotonic()
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        if line.strip():
                            self._event(json.loads(line), now)
            except Exception as e:  # reconnect from the last resourceVersion
                if self._stopping:
                    return
                self.error = repr(e)
                time.sleep(0.2)

    def _event(self, ev: dict, now: float):
        obj = ev.get("object") or {}
        md = obj.get("metadata") or {}
        name = md.get("name", "")
        if md.get("resourceVersion"):
            self.rv = md["resourceVersion"]
        with self.cv:
            self.events += 1
            if ev.get("type") == "DELETED":
                self.deleted.setdefault(name, now)
            elif ev.get("type") in ("ADDED", "MODIFIED"):
                if (obj.get("spec") or {}).get("nodeName"):
                    self.bound.setdefault(name, now)
                if (obj.get("status") or {}).get("phase") == "Running" and not md.get("deletionTimestamp"):
                    self.running.setdefault(name, now)
            self.cv.notify_all()

    def wait_for(self, table: str, names, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        d = getattr(self, table)
        with self.cv:
            while not all(n in d for n in names):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cv.wait(min(left, 0.5))
        return True

    def forget(self, names):
        with self.cv:
            for d in (self.bound, self.running, self.deleted):
                for n in names:
                    d.pop(n, None)

    def stop(self):
        """Ends the stream by shutting the socket down (close() would wait for the reader's buffer lock)."""
        self._stopping = True
        try:
            sock = getattr(getattr(self._resp, "_connection", None), "sock", None)
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass
        self.join(timeout=5)


CREATED_UIDS: list[str] = []  # every pod this run made, for the leftovers check


def create_pod(api, name: str, grace: int) -> tuple[float, float, str]:
    """Creates one pod; returns (request start, response end, uid)."""
    t0 = time.monotonic()
    r = api.create_namespaced_pod(NS, pod_body(name, grace), _preload_content=False)
    t1 = time.monotonic()
    uid = json.loads(r.data)["metadata"]["uid"]
    CREATED_UIDS.append(uid)
    return t0, t1, uid


def delete_pods(api, watch: PodWatch, names: list[str], grace: int, timeout: float = 120) -> float:
    """Deletes the pods (gracePeriodSeconds=grace, in parallel) and waits for their DELETED events."""
    t0 = time.monotonic()
    errs: list[str] = []

    def one(n):
        try:
            api.delete_namespaced_pod(n, NS, grace_period_seconds=grace, _preload_content=False)
        except Exception as e:
            if getattr(e, "status", None) != 404:
                errs.append(f"{n}: {e!r}")
    ts = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise RuntimeError(f"delete failed: {errs[:3]}")
    if not watch.wait_for("deleted", names, timeout):
        left = [n for n in names if n not in watch.deleted]
        raise RuntimeError(f"{len(left)} pods not deleted {timeout:.0f}s after the request: {left[:5]}")
    took = time.monotonic() - t0
    watch.forget(names)
    return took


# --------------------------------------------------------------------------
# Where the time goes: mtimes of the files corrald writes while starting a pod
# --------------------------------------------------------------------------
STAGES = [  # (label, what happened between the previous mark and this one)
    ("ip", "create -> scheduler binds -> agent picks the pod up, IP allocated (pods/UID/ip)"),
    ("net", "netns + veth on corral0 + hosts/hostname/resolv.conf (pods/UID/resolv.conf)"),
    ("spec", "image lookup, overlay rootfs mount, OCI spec written (bundle/config.json)"),
    ("created", "conmon + `runc create` (bundle/container.pid)"),
    ("started", "`runc start`, events, attempt record (pods/UID/containers/c/0.json)"),
    ("running", "status write -> Running seen by the client (watch event)"),
]


def stage_marks(data_dir: Path, uid: str, t_create: float, t_running: float,
                wall_minus_mono: float) -> dict[str, float] | None:
    """Monotonic times of each stage's end for one pod (None if a file is missing)."""
    cid = uid.replace("-", "") + "-c-0"
    pod = data_dir / "pods" / uid
    bundle = data_dir / "containers" / cid / "bundle"
    files = {"ip": pod / "ip", "net": pod / "resolv.conf", "spec": bundle / "config.json",
             "created": bundle / "container.pid", "started": pod / "containers" / "c" / "0.json"}
    marks = {"create": t_create}
    for k, f in files.items():
        try:
            marks[k] = f.stat().st_mtime - wall_minus_mono
        except OSError:
            return None
    marks["running"] = t_running
    return marks


def max_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most intervals open at one instant (how many pod starts the agent ran at once)."""
    ev = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals], key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in ev:
        cur += d
        best = max(best, cur)
    return best


def stage_durations(marks: dict[str, float]) -> dict[str, float]:
    prev, out = "create", {}
    for k, _ in STAGES:
        out[k] = marks[k] - marks[prev]
        prev = k
    return out


def summarize_stages(all_marks: list[dict[str, float]], bound: list[float]) -> dict[str, tuple[float, float]]:
    """Per stage: (p50, max) in ms over the pods; "bound" = create -> nodeName seen by the client's watch."""
    durs = [stage_durations(m) for m in all_marks]
    out = {k: (pct([d[k] * 1e3 for d in durs], 50), max(d[k] * 1e3 for d in durs)) for k, _ in STAGES} if durs else {}
    if out and bound:
        out["bound"] = (pct(bound, 50), max(bound))
    return out


# --------------------------------------------------------------------------
# Raw baseline: the same bundle under conmon + runc, as corrald starts it
# --------------------------------------------------------------------------
class RawRunner:
    """Starts copies of corrald's bundle with conmon (sync pipe) + `runc start` and removes them."""

    def __init__(self, work: Path, spec: dict, rootfs: Path, pod_dir: Path):
        self.work = work
        self.runc_root = work / "runc"
        self.state = Path(f"/run/corral-bench-{os.getpid()}")  # socket paths must stay short
        self.cgroup_parent = f"corral-bench-{os.getpid()}"
        self.conmon = shutil.which("conmon") or "/usr/bin/conmon"
        self.runc = shutil.which("runc") or "/usr/sbin/runc"
        for d in (self.runc_root, self.state / "exits", self.state / "sockets", work / "logs"):
            d.mkdir(parents=True, exist_ok=True)
        files = work / "podfiles"
        files.mkdir(exist_ok=True)
        spec = json.loads(json.dumps(spec))
        spec["root"]["path"] = str(rootfs)
        # Bind sources from the pod dir (hosts, resolv.conf, hostname, termination log) -> copies.
        for m in spec.get("mounts", []):
            src = m.get("source", "")
            if m.get("type") == "bind" and src.startswith(str(pod_dir) + "/"):
                dst = files / src[len(str(pod_dir)) + 1:].replace("/", "_")
                shutil.copy(src, dst)
                m["source"] = str(dst)
        # Like a pod's container, join an existing network namespace (made once here, with
        # no veth): the start then costs what corrald's container start costs, no netns creation.
        self.netns = f"corral-bench-{os.getpid()}-raw"
        subprocess.run(["ip", "netns", "add", self.netns], check=True)
        for n in spec["linux"].get("namespaces", []):
            if n.get("type") == "network":
                n["path"] = f"/run/netns/{self.netns}"
        self.spec = spec

    def start_one(self, i: int) -> tuple[float, float, float, float]:
        """Starts container i; returns seconds from spawning conmon to: the pid on the sync pipe,
        `runc start` returned, conmon.pid and container.pid written (file mtimes, as for the pod stages)."""
        cid = f"corral-bench-{os.getpid()}-raw-{i}"
        bundle = self.work / "bundles" / cid
        bundle.mkdir(parents=True)
        spec = dict(self.spec)
        spec["linux"] = dict(spec["linux"], cgroupsPath=f"{self.cgroup_parent}/{cid}")
        (bundle / "config.json").write_text(json.dumps(spec))
        persist = self.state / "containers" / cid
        persist.mkdir(parents=True)
        args = [self.conmon, "--api-version", "1", "-c", cid, "-u", cid, "-n", cid,
                "-r", self.runc, "--runtime-arg", f"--root={self.runc_root}", "-b", str(bundle),
                "-p", str(bundle / "container.pid"), "-P", str(bundle / "conmon.pid"),
                "-l", f"k8s-file:{self.work}/logs/{cid}.log", "--exit-dir", str(self.state / "exits"),
                "--persist-dir", str(persist), "--socket-dir-path", str(self.state / "sockets"),
                "--log-level", "error"]
        r, w = os.pipe()
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TZ": "UTC",
               "_OCI_SYNCPIPE": str(w)}
        errlog = open(persist / "conmon.log", "ab")
        try:
            t0 = time.monotonic()
            p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errlog,
                                 pass_fds=(w,), env=env, cwd=bundle)
            os.close(w)
            w = -1
            p.wait(timeout=60)  # the parent exits right after forking the monitor
            line = b""
            deadline = time.monotonic() + 60
            while not line.endswith(b"\n") and time.monotonic() < deadline:
                if select.select([r], [], [], 1.0)[0]:
                    b = os.read(r, 4096)
                    if not b:
                        break
                    line += b
            t_created = time.monotonic()
            try:
                data = json.loads(line.splitlines()[0]) if line.strip() else {}
            except ValueError:
                data = {}
            if not isinstance(data.get("data"), int) or data["data"] <= 0:
                raise RuntimeError(f"raw conmon create {cid}: {line!r} {(persist / 'conmon.log').read_text()[-500:]}")
            subprocess.run([self.runc, "--root", str(self.runc_root), "start", cid], check=True, capture_output=True)
            t_started = time.monotonic()
        finally:
            errlog.close()
            os.close(r)
            if w >= 0:
                os.close(w)
        off = time.time() - time.monotonic()
        try:
            t_conmon = (bundle / "conmon.pid").stat().st_mtime - off - t0
            t_pid = (bundle / "container.pid").stat().st_mtime - off - t0
        except OSError:
            t_conmon = t_pid = float("nan")
        self.remove(cid)
        return t_created - t0, t_started - t0, t_conmon, t_pid

    def remove(self, cid: str) -> None:
        rr = ["--root", str(self.runc_root)]
        subprocess.run([self.runc, *rr, "kill", cid, "KILL"], capture_output=True)
        exit_file = self.state / "exits" / cid
        deadline = time.monotonic() + 10
        while not exit_file.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        subprocess.run([self.runc, *rr, "delete", "--force", cid], capture_output=True)
        bundle = self.work / "bundles" / cid
        try:
            cpid = int((bundle / "conmon.pid").read_text().strip())
            deadline = time.monotonic() + 5
            while Path(f"/proc/{cpid}").exists() and time.monotonic() < deadline:
                if "conmon" not in Path(f"/proc/{cpid}/cmdline").read_bytes().decode(errors="replace"):
                    break
                time.sleep(0.01)
        except (OSError, ValueError):
            pass
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.rmtree(self.state / "containers" / cid, ignore_errors=True)
        for p in (exit_file, self.state / "sockets" / cid):
            try:
                p.unlink()
            except OSError:
                pass

    def close(self) -> list[str]:
        """Removes everything raw runs made; returns what had to be forced."""
        forced = []
        out = subprocess.run([self.runc, "--root", str(self.runc_root), "list", "-q"], capture_output=True,
                             text=True).stdout.split()
        for cid in out:
            forced.append(f"raw container {cid}")
            self.remove(cid)
        for d in CGROUP_ROOT.glob(f"*/{self.cgroup_parent}"):
            try:
                d.rmdir()
            except OSError as e:
                forced.append(f"cgroup {d}: {e}")
        shutil.rmtree(self.state, ignore_errors=True)
        subprocess.run(["ip", "netns", "delete", self.netns], capture_output=True)
        if Path(f"/run/netns/{self.netns}").exists():
            forced.append(f"netns {self.netns} could not be deleted")
        return forced


# --------------------------------------------------------------------------
# The run (inside the bench network namespace)
# --------------------------------------------------------------------------
def conmon_rss(data_dir: Path) -> tuple[int, int]:
    """(count, total VmRSS) of the conmon processes of this daemon's containers."""
    pids = pids_mentioning(str(data_dir / "runc"))
    return len(pids), sum(proc_status(p, "VmRSS") for p in pids)


def settle_rss(d: Daemon, seconds: float) -> int:
    time.sleep(seconds)
    return d.rss()


def run_phases(a, root: Path, R: dict) -> None:
    """Every measurement; fills R. Leaves the daemon stopped only via the caller's cleanup."""
    data = root / "data"
    imp = data / "images" / "import"
    imp.mkdir(parents=True)
    shutil.copy(a.images / "busybox.tar", imp / "busybox.tar")
    binary = root / "corrald"
    shutil.copy2(a.binary, binary)  # a rebuild of .build during the run must not disturb it
    d = Daemon(binary, data)
    R["_daemon"] = d
    R["ready_s"] = d.start()
    log(f"corrald pid {d.pid} ready in {R['ready_s'] * 1e3:.0f} ms on 127.0.0.1:{d.port}")
    api = kube_api(data / "kubeconfig.yaml")
    if a.skip_scheduler:
        global BIND_TO
        BIND_TO = json.loads(api.list_node(_preload_content=False).data)["items"][0]["metadata"]["name"]
    watch = PodWatch(api)
    R["_watch"] = watch
    watch.start()
    R["rss_idle"] = settle_rss(d, a.settle)
    wall_minus_mono = time.time() - time.monotonic()

    # 1. warm-up pod: first use of the image (layer unpack), and the bundle for the raw baseline.
    t0, _, uid = create_pod(api, "warm-0", a.grace)
    if not watch.wait_for("running", ["warm-0"], 60):
        raise RuntimeError(f"warm-up pod not Running after 60 s; log tail:\n{d.log_tail()}")
    R["warm_ms"] = (watch.running["warm-0"] - t0) * 1e3
    cid = uid.replace("-", "") + "-c-0"
    spec = json.loads((data / "containers" / cid / "bundle" / "config.json").read_text())
    rootfs = root / "raw" / "rootfs"
    rootfs.parent.mkdir()
    subprocess.run(["cp", "-a", str(data / "containers" / cid / "rootfs"), str(rootfs)], check=True)
    raw = RawRunner(root / "raw", spec, rootfs, data / "pods" / uid)
    R["_raw"] = raw
    delete_pods(api, watch, ["warm-0"], a.grace)
    log(f"warm-up pod Running in {R['warm_ms']:.0f} ms (first start of the image); bundle copied")

    # 2. raw baseline, first half.
    half = max(1, a.raw // 2)
    raw.start_one(0)  # warm-up, not counted
    R["raw_before"] = [raw.start_one(i) for i in range(1, half + 1)]
    log(f"raw conmon+runc x{half}: p50 {pct([x[1] for x in R['raw_before']], 50) * 1e3:.0f} ms")

    # 3. sequential.
    names = [f"seq-{i}" for i in range(a.pods)]
    seq, marks = [], []
    cpu0 = cpu_seconds(d.pid)
    for n in names:
        t0, t1, uid = create_pod(api, n, a.grace)
        if not watch.wait_for("running", [n], 60):
            raise RuntimeError(f"pod {n} not Running after 60 s; log tail:\n{d.log_tail()}")
        seq.append({"name": n, "uid": uid, "t0": t0, "api_ms": (t1 - t0) * 1e3,
                    "ms": (watch.running[n] - t0) * 1e3})
    R["seq_cpu_s"] = cpu_seconds(d.pid) - cpu0
    for s in seq:
        m = stage_marks(data, s["uid"], s["t0"], watch.running[s["name"]],
                        wall_minus_mono)
        if m:
            marks.append(m)
    R["seq"] = seq
    R["seq_stages"] = summarize_stages(marks, [(watch.bound[s["name"]] - s["t0"]) * 1e3 for s in seq
                                              if s["name"] in watch.bound])
    log(f"sequential x{a.pods}: p50 {pct([s['ms'] for s in seq], 50):.0f} ms, "
        f"p95 {pct([s['ms'] for s in seq], 95):.0f} ms")
    R["rss_seq"] = settle_rss(d, a.settle)
    cpu0, tc = cpu_seconds(d.pid), time.monotonic()
    time.sleep(3)
    R["idle_cpu_pct"] = (cpu_seconds(d.pid) - cpu0) / (time.monotonic() - tc) * 100
    R["seq_delete_s"] = delete_pods(api, watch, names, a.grace)
    log(f"deleted {a.pods} pods in {R['seq_delete_s']:.1f} s (grace {a.grace})")

    # 4. concurrent.
    R["rss_before_conc"] = settle_rss(d, a.settle)
    names = [f"conc-{i}" for i in range(a.pods)]
    res: dict[str, tuple] = {}
    errs: list[str] = []
    barrier = threading.Barrier(len(names) + 1)

    def one(n):
        try:
            barrier.wait()
            res[n] = create_pod(api, n, a.grace)
        except Exception as e:
            errs.append(f"{n}: {e!r}")
    ts = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in ts:
        t.start()
    cpu0 = cpu_seconds(d.pid)
    barrier.wait()
    start = time.monotonic()
    for t in ts:
        t.join()
    if errs:
        raise RuntimeError(f"concurrent create failed: {errs[:3]}")
    ok = watch.wait_for("running", names, 120)
    R["conc_cpu_s"] = cpu_seconds(d.pid) - cpu0
    if not ok:
        raise RuntimeError(f"{sum(n not in watch.running for n in names)} pods not Running 120 s after the "
                           f"concurrent create; log tail:\n{d.log_tail()}")
    last = max(watch.running[n] for n in names)
    R["conc_all_s"] = last - start
    R["conc_creates_s"] = max(res[n][1] for n in names) - start
    R["conc_each_ms"] = [(watch.running[n] - res[n][0]) * 1e3 for n in names]
    marks = [m for m in (stage_marks(data, res[n][2], res[n][0], watch.running[n],
                                     wall_minus_mono) for n in names) if m]
    R["conc_stages"] = summarize_stages(marks, [(watch.bound[n] - res[n][0]) * 1e3 for n in names if n in watch.bound])
    R["conc_overlap"] = max_overlap([(m["ip"], m["started"]) for m in marks])
    R["conc_bound_spread"] = (max(watch.bound.get(n, 0) for n in names) - min(watch.bound.get(n, start) for n in names))
    R["conc_first_s"] = min(watch.running[n] for n in names) - start
    log(f"concurrent x{a.pods}: all Running {R['conc_all_s']:.2f} s after the first create")

    # 5. RSS with the pods running.
    R["rss_conc"] = settle_rss(d, a.settle)
    R["conmon_n"], R["conmon_rss"] = conmon_rss(data)
    R["conc_delete_s"] = delete_pods(api, watch, names, a.grace)
    R["rss_after"] = settle_rss(d, 1.0)
    log(f"RSS idle {R['rss_idle'] / MiB:.1f} MiB, {a.pods} running {R['rss_conc'] / MiB:.1f} MiB; "
        f"deleted {a.pods} pods in {R['conc_delete_s']:.1f} s")

    # 6. raw baseline, second half.
    R["raw_after"] = [raw.start_one(i) for i in range(half + 1, a.raw + 1)]
    log(f"raw conmon+runc x{a.raw - half}: p50 {pct([x[1] for x in R['raw_after']], 50) * 1e3:.0f} ms")
    R["watch_error"] = watch.error


def teardown(root: Path, R: dict) -> list[str]:
    """Deletes what is left of our pods, stops corrald, and removes/records any leftovers."""
    found: list[str] = []
    d: Daemon | None = R.get("_daemon")
    data = root / "data"
    watch = R.get("_watch")
    if d is not None and d.proc is not None and d.proc.poll() is None and (data / "kubeconfig.yaml").exists():
        try:
            api = kube_api(data / "kubeconfig.yaml")
            items = json.loads(api.list_namespaced_pod(NS, label_selector=LABEL, _preload_content=False).data)["items"]
            if items and watch is not None:
                found.append(f"{len(items)} bench pods still in the API at teardown (deleted)")
                delete_pods(api, watch, [p["metadata"]["name"] for p in items], 1, timeout=90)
        except Exception as e:
            found.append(f"pod cleanup through the API failed: {e!r}")
    # Each step on its own: a failing one must not keep the next from cleaning up.
    for label, step in (("watch", lambda: watch and watch.stop()), ("corrald", lambda: d and d.stop()),
                        ("raw", lambda: R.get("_raw") and found.extend(R["_raw"].close()))):
        try:
            step()
        except Exception as e:
            found.append(f"teardown of {label} failed: {e!r}")
    if d is not None and d.proc is not None and d.proc.poll() is None:
        found.append(f"corrald pid {d.pid} still running: SIGKILL")
        os.kill(d.pid, signal.SIGKILL)
    # Whatever the daemon left: runc containers, conmon, mounts, pod netns, cgroups.
    runc_root = data / "runc"
    if runc_root.exists():
        for cid in subprocess.run(["runc", "--root", str(runc_root), "list", "-q"], capture_output=True,
                                  text=True).stdout.split():
            found.append(f"runc container {cid}")
            subprocess.run(["runc", "--root", str(runc_root), "delete", "--force", cid], capture_output=True)
    for pid in pids_mentioning(str(root)):
        found.append(f"conmon pid {pid}")
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    for m in sorted(mounts_under(str(root)), key=len, reverse=True):
        found.append(f"mount {m}")
        subprocess.run(["umount", "-l", m], capture_output=True)
    for rec in data.glob("pods/*/netns"):
        name = rec.read_text().strip()
        if name and Path(f"/run/netns/{name}").exists():
            found.append(f"netns {name}")
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    for uid_dir in data.glob("pods/*"):
        found.append(f"pod record {uid_dir.name}")
    for uid in CREATED_UIDS:
        for cg in CGROUP_ROOT.glob(f"*/corral/pod{uid}"):
            found.append(f"cgroup {cg}")
            for sub in sorted(cg.rglob("*"), key=lambda p: len(str(p)), reverse=True):
                if sub.is_dir():
                    try:
                        sub.rmdir()
                    except OSError:
                        pass
            try:
                cg.rmdir()
            except OSError:
                pass
    state = runtime_state_dir(data)
    if state.exists():
        leftover = [str(p.relative_to(state)) for p in state.rglob("*") if not p.is_dir()]
        R["state_dir_note"] = f"corrald left {state} ({len(leftover)} files) after SIGTERM; removed"
        if leftover:
            found.append(f"files in {state}: {leftover[:5]}")
        shutil.rmtree(state, ignore_errors=True)
    return found


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def build_rows(R: dict, a) -> list[tuple[str, str, str, str]]:
    raw_all = [x[1] * 1e3 for x in R["raw_before"] + R["raw_after"]]
    raw_p50 = pct(raw_all, 50)
    seq = [s["ms"] for s in R["seq"]]
    p50 = pct(seq, 50)
    ratio = p50 / raw_p50
    per_pod = (R["rss_conc"] - R["rss_idle"]) / a.pods / MiB
    n = a.pods
    return [
        ("Raw conmon + runc start of the same bundle, p50 / p95 (ms)",
         f"{raw_p50:.0f} / {pct(raw_all, 95):.0f}", "baseline", ""),
        (f"Sequential: pod create -> Running, p50 over {n} pods (ms)", f"{p50:.0f}", "<= 300 ms", verdict(p50 <= 300)),
        ("Sequential: ratio of its p50 to the raw p50", f"{ratio:.1f}x", "<= 4x", verdict(ratio <= 4)),
        ("Sequential: p95 / max (ms)", f"{pct(seq, 95):.0f} / {max(seq):.0f}", "", ""),
        (f"{n} at once: last pod Running after the first create (s)", f"{R['conc_all_s']:.2f}", "<= 10 s",
         verdict(R["conc_all_s"] <= 10)),
        (f"{n} at once: each pod create -> Running, p50 / p95 (ms)",
         f"{pct(R['conc_each_ms'], 50):.0f} / {pct(R['conc_each_ms'], 95):.0f}", "", ""),
        (f"corrald RSS idle -> with {n} pods Running (MiB)", f"{R['rss_idle'] / MiB:.1f} -> {R['rss_conc'] / MiB:.1f}",
         "", ""),
        ("corrald RSS per running pod (MiB)", f"{per_pod:.2f}", "<= 1 MiB", verdict(per_pod <= 1.0)),
        ("conmon RSS per pod, in its own process (MiB)",
         f"{R['conmon_rss'] / max(1, R['conmon_n']) / MiB:.2f}", "", ""),
        ("First pod of the image (layer unpack), create -> Running (ms)", f"{R['warm_ms']:.0f}", "", ""),
    ]


def table_text(rows) -> str:
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]}" for r in rows)


def stage_lines(title: str, st: dict) -> list[str]:
    if not st:
        return [f"{title}: (no file marks found)"]
    parts = [f"{k} {st[k][0]:.0f}/{st[k][1]:.0f}" for k, _ in STAGES]
    bound = f" (nodeName seen by the client {st['bound'][0]:.0f}/{st['bound'][1]:.0f})" if "bound" in st else ""
    return [f"{title}, p50/max ms per stage: " + ", ".join(parts) + bound]


def details(R: dict, a) -> list[str]:
    rb = [x[1] * 1e3 for x in R["raw_before"]]
    ra = [x[1] * 1e3 for x in R["raw_after"]]
    rall = R["raw_before"] + R["raw_after"]
    rc = [x[0] * 1e3 for x in rall]
    seq_api = [s["api_ms"] for s in R["seq"]]
    out = [
        f"raw starts: {len(rb)} before the pods p50 {pct(rb, 50):.0f} ms, {len(ra)} after p50 {pct(ra, 50):.0f} ms; "
        f"from spawning conmon, p50: conmon.pid written {max(0.0, pct([x[2] * 1e3 for x in rall], 50)):.0f} ms, container.pid "
        f"written by `runc create` {pct([x[3] * 1e3 for x in rall], 50):.0f} ms (compare the pods' \"created\" stage), "
        f"container pid read from the sync pipe {pct(rc, 50):.0f} ms",
        "stages (from the mtimes of the files corrald writes on the way; coarse kernel clock, a few ms): "
        + "; ".join(f"{k} = {desc}" for k, desc in STAGES),
    ]
    out += stage_lines(f"sequential, {a.pods} pods", R["seq_stages"])
    out += stage_lines(f"concurrent, {a.pods} pods", R["conc_stages"])
    out.append(f"concurrent: at most {R['conc_overlap']} pods were between IP allocation and `runc start` at the same "
               f"instant (the agent's parallelism; nproc {os.cpu_count()}); the scheduler bound all {a.pods} within "
               f"{R['conc_bound_spread'] * 1e3:.0f} ms")
    out += [
        f"pod create API call (client-observed) p50 {pct(seq_api, 50):.1f} ms; concurrent: all {a.pods} creates "
        f"answered after {R['conc_creates_s'] * 1e3:.0f} ms, first pod Running after {R['conc_first_s'] * 1e3:.0f} ms",
        f"corrald CPU: {R['seq_cpu_s']:.2f} s for the sequential {a.pods} ({R['seq_cpu_s'] / a.pods * 1e3:.0f} ms per pod), "
        f"{R['conc_cpu_s']:.2f} s for the concurrent {a.pods}; {R['idle_cpu_pct']:.1f}% of one core while "
        f"{a.pods} pods just run (sync loop every second per pod)",
        f"corrald RSS (MiB): idle {R['rss_idle'] / MiB:.1f}, {a.pods} sequential pods Running {R['rss_seq'] / MiB:.1f}, "
        f"after deleting them {R['rss_before_conc'] / MiB:.1f}, {a.pods} concurrent Running {R['rss_conc'] / MiB:.1f}, "
        f"after deleting them {R['rss_after'] / MiB:.1f}; per pod from the previous empty state "
        f"{(R['rss_conc'] - R['rss_before_conc']) / a.pods / MiB:.2f}",
        f"conmon: {R['conmon_n']} processes, {R['conmon_rss'] / MiB:.1f} MiB RSS in total",
        f"delete of {a.pods} pods (gracePeriodSeconds {a.grace}; `sleep` as pid 1 ignores SIGTERM, so SIGKILL "
        f"after the grace period) -> all DELETED events: {R['seq_delete_s']:.1f} s and {R['conc_delete_s']:.1f} s",
        f"corrald ready {R['ready_s'] * 1e3:.0f} ms after spawn (agent, bridge, image import)",
    ]
    if R.get("watch_error"):
        out.append(f"the client's watch reconnected at least once ({R['watch_error']})")
    return out


def write_doc(path: Path, cmd: str, R: dict, rows, facts: dict, a, leftovers: str) -> None:
    date = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    md = [SECTION_TITLE, "",
          "Measured by `tools/bench-pods.py` (as root); the ratio is against raw conmon + runc starts "
          "of the same bundle measured in the same run.", "",
          "```", cmd, "```", "",
          f"- Date: {date}",
          f"- Machine: nproc {facts['nproc']}, kernel {facts['kernel']}, {facts['cpu']}, {facts['mem_gib']:.1f} GiB "
          f"RAM; load average at start {facts['load']}, at end {machine_facts()['load']} (other work on this "
          f"shared machine disturbs the figures)",
          f"- Daemon: `{a.binary_rel}` (agent on, runc, hybrid cgroups) in its own network namespace; "
          f"{facts['runc']}, {facts['conmon']}; client: Python {facts['python']} `kubernetes` client, one watch",
          f"- Workload: `{IMAGE}` (already imported), `sleep 3600`, imagePullPolicy Never; {a.pods} pods "
          f"sequentially then {a.pods} at once; {a.raw} raw starts (half before, half after)"
          + (" (**--quick smoke run: reduced counts**)" if a.quick else ""),
          "- Raw baseline: corrald's own config.json for a pod of this image, started as corrald does "
          "(conmon with the same arguments, container pid read from its sync pipe, then `runc start`), "
          "from a plain rootfs copy, joining one network namespace made beforehand (as a pod's container "
          "joins its sandbox's; no overlay mount, no veth)",
          "",
          "| Measurement | Result | Target | |",
          "|---|---:|---|---|"]
    md += [f"| {r[0].strip()} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    md += ["", "Details:", ""] + [f"- {l}" for l in details(R, a)]
    md += [f"- leftovers after the run: {leftovers}"]
    section = "\n".join(md) + "\n"
    benchdoc.replace_section(path, SECTION_TITLE, section)


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------
def inner_main(a) -> int:
    """Runs inside the bench network namespace: measures, cleans up, reports."""
    root = Path(a.inner_root)
    facts = machine_facts()
    R: dict = {}
    rc = 0

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        run_phases(a, root, R)
    except KeyboardInterrupt:
        log("interrupted; cleaning up")
        rc = 130
    except Exception as e:
        log(f"benchmark failed: {e}")
        rc = 1
    finally:
        try:
            found = teardown(root, R)
        except Exception as e:
            found = [f"teardown crashed ({e!r}); the outer process sweeps what it can"]
    leftovers = ("none (checked: runc containers under DATA/runc, conmon processes, mounts under the "
                 "temp dir, pod network namespaces, pod cgroups)" if not found
                 else "found and removed at teardown: " + "; ".join(found))
    if R.get("state_dir_note"):
        leftovers += f"; {R['state_dir_note']}"
    (root / "leftovers.txt").write_text(leftovers + "\n")
    if rc:
        return rc
    rows = build_rows(R, a)
    print()
    print(f"Pod benchmark: {a.cmd}")
    print(f"nproc {facts['nproc']}, kernel {facts['kernel']}, {facts['cpu']}; load average at start "
          f"{facts['load']}, now {machine_facts()['load']}")
    print()
    print(table_text([("Measurement", "Result", "Target", "")] + rows))
    print()
    for l in details(R, a):
        print("  " + l)
    print("  leftovers: " + leftovers)
    if a.doc_path:
        write_doc(Path(a.doc_path), a.cmd, R, rows, facts, a, leftovers)
        log(f"wrote section {SECTION_TITLE!r} to {a.doc_path}")
    return 0


def sweep(root: Path, inner_pid: int | None) -> list[str]:
    """Safety net after the inner run: anything of this run still there (normally nothing) is
    removed and named. Everything is identified by the unique temp dir or the inner pid."""
    left = []
    for exe in ("corrald", "conmon"):
        for pid in pids_mentioning(str(root), exe):
            left.append(f"{exe} pid {pid} (killed)")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    for m in sorted(mounts_under(str(root)), key=len, reverse=True):
        left.append(f"mount {m} (unmounted)")
        subprocess.run(["umount", "-l", m], capture_output=True)
    dirs = [runtime_state_dir(root / "data")]
    if inner_pid is not None:
        raw_ns = f"corral-bench-{inner_pid}-raw"
        if Path(f"/run/netns/{raw_ns}").exists():
            left.append(f"netns {raw_ns} (deleted)")
            subprocess.run(["ip", "netns", "delete", raw_ns], capture_output=True)
        dirs.append(Path(f"/run/corral-bench-{inner_pid}"))
        dirs += list(CGROUP_ROOT.glob(f"*/corral-bench-{inner_pid}"))
    for d in dirs:
        if d.exists():
            left.append(f"{d} (removed)")
            if d.is_relative_to(CGROUP_ROOT):
                for sub in sorted((p for p in d.rglob("*") if p.is_dir()), key=lambda p: len(str(p)), reverse=True):
                    try:
                        sub.rmdir()
                    except OSError:
                        pass
                try:
                    d.rmdir()
                except OSError:
                    pass
            else:
                shutil.rmtree(d, ignore_errors=True)
    return left


def outer_main(a, argv: list[str]) -> int:
    """Makes the network namespace and temp dir, runs the inner part in it, removes both."""
    if os.geteuid() != 0:
        print("bench-pods: must run as root (it creates a network namespace, containers and mounts)", file=sys.stderr)
        return 2
    if not Path(a.binary).exists():
        print(f"corrald not found at {a.binary}: run `swift build -c release --product corrald`", file=sys.stderr)
        return 2
    for tool in ("conmon", "runc", "ip", "nsenter"):
        if not shutil.which(tool):
            print(f"bench-pods: `{tool}` not found", file=sys.stderr)
            return 2
    if not (a.images / "busybox.tar").exists():
        log(f"building the busybox test image into {a.images}")
        subprocess.run([str(REPO / "tools/make-test-images"), "--only", "busybox", str(a.images)], check=True)
    ns = f"corral-bench-{os.getpid()}"
    root = Path(tempfile.mkdtemp(prefix="corral-bench-pods-", dir=a.tmpdir))
    subprocess.run(["ip", "netns", "add", ns], check=True)
    rc = 1
    child = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        log(f"network namespace {ns}, temp dir {root}")
        # nsenter, not `ip netns exec`: only the network namespace changes, /sys stays the host's.
        child = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}", "--", sys.executable, str(Path(__file__).resolve()),
                                  "--inner-root", str(root), *argv])
        rc = child.wait()
    except KeyboardInterrupt:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=180)
        rc = 130
    finally:
        left = sweep(root, child.pid if child is not None else None)
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
        if ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split():
            left.append(f"netns {ns}")
        if mounts_under(str(root)):
            left.append(f"mounts under {root}")
        try:
            inner_report = (root / "leftovers.txt").read_text().strip()
        except OSError:
            inner_report = "(no report from the inner run)"
        if a.keep:
            log(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
            if root.exists():
                left.append(f"temp dir {root}")
        log(f"leftovers inside the run: {inner_report}")
        log("after the run: " + (f"nothing left (bench netns deleted, temp dir {'kept' if a.keep else 'removed'})" if not left
                                 else "LEFT BEHIND: " + ", ".join(left)))
    return rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(REPO / ".build/release/corrald"))
    ap.add_argument("--pods", type=int, default=None, help="pods per phase (default 50; --quick 10)")
    ap.add_argument("--raw", type=int, default=None, help="raw conmon+runc starts (default 30; --quick 6)")
    ap.add_argument("--delete-grace", dest="grace", type=int, default=1,
                    help="gracePeriodSeconds for deletes (0 leaks containers in corrald today)")
    ap.add_argument("--skip-scheduler", action="store_true",
                    help="diagnostic: create pods with spec.nodeName already set (the scheduler is not involved)")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait before each RSS reading")
    ap.add_argument("--images", default=str(REPO / ".cache/test-images"), help="where busybox.tar is (or is built)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 10 pods, 6 raw starts, no doc unless --doc")
    ap.add_argument("--doc", default=None, help="markdown file to update (default docs/performance.md)")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--tmpdir", default=None, help="parent of the temp dir (default: system temp)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (corrald.log) after the run")
    ap.add_argument("--inner-root", default=None, help=argparse.SUPPRESS)
    argv = sys.argv[1:]
    a = ap.parse_args(argv)
    a.images = Path(a.images)
    a.pods = a.pods or (10 if a.quick else 50)
    a.raw = a.raw or (6 if a.quick else 30)
    binary = Path(a.binary).absolute()
    try:
        a.binary_rel = str(binary.relative_to(REPO))
    except ValueError:
        a.binary_rel = str(binary)
    a.binary = binary
    a.doc_path = None
    if not a.no_doc and (a.doc or not a.quick):
        a.doc_path = str(Path(a.doc).absolute()) if a.doc else str(REPO / "docs/performance.md")
    parts = [".venv/bin/python", "tools/bench-pods.py"]
    if a.binary_rel != ".build/release/corrald":
        parts += ["--binary", a.binary_rel]
    if a.quick:
        parts.append("--quick")
    if a.pods != (10 if a.quick else 50):
        parts += ["--pods", str(a.pods)]
    if a.raw != (6 if a.quick else 30):
        parts += ["--raw", str(a.raw)]
    if a.grace != 1:
        parts += ["--delete-grace", str(a.grace)]
    if a.skip_scheduler:
        parts.append("--skip-scheduler")
    a.cmd = " ".join(parts)
    if a.inner_root:
        return inner_main(a)
    return outer_main(a, argv)


if __name__ == "__main__":
    sys.exit(main())
