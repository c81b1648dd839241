#!/usr/bin/env python3
"""VM benchmark for corrald: KubeVirt VirtualMachine create -> VMI Running and
-> first console line, against raw `virsh create` of the same domain XML and
raw QEMU booting the same kernel/initrd.

Command (as root, from the repository root, after
`swift build -c release --product corrald`):

    .venv/bin/python tools/bench-vms.py [--binary .build/release/corrald]
        [--vms 20] [--concurrent 10] [--raw 10] [--qemu 5] [--quick]
        [--no-doc] [--doc docs/performance.md] [--tmpdir DIR] [--keep]

It needs the Python `kubernetes` client (the repository's .venv has it),
libvirtd, virtlogd, virsh, qemu-system-x86_64, nsenter and `ip`. In one run:

  0. takes /run/corral-libvirt.lock (the e2e suite takes it too: libvirtd's
     sockets under /run/libvirt are machine-wide, so only one libvirtd may
     run; it waits for the lock), refuses if some libvirtd already answers,
     creates a network namespace `corral-bench-vms-<pid>` and a temp dir
     (mode 0711: QEMU runs as libvirt-qemu and must reach DATA/vms), starts
     virtlogd and libvirtd inside the namespace with `nsenter --net` and
     re-runs itself in there (corrald and every client run inside);
  1. starts corrald (release build copied to the temp dir) with
     kernelboot.tar in DATA/images/import; one warm-up VM (first use of the
     image) gives the domain XML corrald generated (DATA/vms/UID/domain.xml)
     and its cloud-init ISO, copied for the raw baselines;
  2. raw `virsh create` (transient) of that XML --raw times, half before and
     half after the corrald phases: domain renamed, new <uuid> (and SMBIOS
     uuid), no corral metadata, its own serial log, a copy of the ISO and of
     the kernel/initrd, a tap of its own on corral0 made beforehand (corrald
     makes the VM's tap inside its measured time); timed from spawning virsh
     to its exit, plus the first line on its serial log; destroyed after each;
  3. raw QEMU --qemu times: `qemu-system-x86_64 -machine q35,accel=tcg -m 256
     -kernel K -initrd I -append CMDLINE` (tools/test-images/guestrun.py, no
     NIC, serial on stdio), timed from spawn to the first console line;
  4. sequential: --vms VMs one at a time (kernelBoot of
     localhost/corral-test/kernelboot:latest, imagePullPolicy Never, 256Mi,
     one cloudInitNoCloud volume, pod network + masquerade, the shape of
     tests/e2e/test_vms.py); each: create VM -> the watch event with VMI
     status.phase Running, and -> the first line on the serial log file
     DATA/vms/VMI-UID/serial.log (the file the launcher pod's log serves;
     polled every 5 ms); then the VM is deleted and the run waits for the
     VMI and the launcher pod to be gone and for the node agent to have
     removed the domain and DATA/vms/UID before the next VM (at most one VM
     runs at a time, so TCG guests booting in the background do not slow
     the next measurement);
  5. concurrent: --concurrent VMs created at once -> all Running; then
     corrald's VmRSS with them running against 0 VMs just before -> MiB per
     VM (libvirtd/virtlogd growth and QEMU's RSS as side figures); then as
     many raw `virsh create` at once (own taps and ISO copies) and `virsh
     destroy` at once, the baseline for the burst.

Targets (the issue): Running p50 <= 1.5x raw `virsh create` p50; first
console line within 1 s of raw QEMU's; <= 5 MiB of daemon RSS per VM.

At the end it deletes the VMs, stops corrald (SIGTERM), its dnsmasq,
libvirtd and virtlogd (by pid), checks that no domain of this run is left
(`virsh list --all`, /etc/libvirt/qemu), nor QEMU processes, taps or mounts,
deletes the namespace and the temp dir; the report says what it found. It
prints a table and replaces the section "## VMs" of docs/performance.md
(other sections are kept); --quick prints only, unless --doc is given.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import fcntl
import functools
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid as _uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import benchdoc  # tools/benchdoc.py: the shared docs/performance.md writer

REPO = Path(__file__).resolve().parents[1]
SECTION_TITLE = "## VMs"
IMAGE = "localhost/corral-test/kernelboot:latest"
LOCK = Path("/run/corral-libvirt.lock")
QEMU_RUN = Path("/run/libvirt/qemu")
VIRSH = ["virsh", "-c", "qemu:///system"]
MARKER = "corral-guest: boot started"  # the guest's first userspace line (tools/test-images/README.md)
MiB = 1024 * 1024
KV = ("kubevirt.io", "v1")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); nan for an empty list."""
    if not values:
        return float("nan")
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, field: str) -> int:
    """A kB field of /proc/PID/status, in bytes (0 if the process is gone)."""
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, TypeError):
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pid_from(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pids_of(exe_suffix: str, text: str) -> list[int]:
    """Live processes whose argv[0] ends with exe_suffix and whose command line contains text."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            c = cmdline(int(d.name))
            if c.split(" ", 1)[0].endswith(exe_suffix) and text in c:
                out.append(int(d.name))
    return out


def alive(pid: int | None) -> bool:
    """True if the process exists and is not a zombie."""
    try:
        return bool(pid) and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_and_wait(pid: int | None, timeout: float = 15.0) -> bool:
    """SIGTERM, then SIGKILL after timeout; True if it ended within the timeout."""
    if not alive(pid):
        return True
    try:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.3)
            return False
    except OSError:
        pass
    return True


def mounts_under(prefix: str) -> list[str]:
    return [l.split()[4] for l in Path("/proc/self/mountinfo").read_text().splitlines() if l.split()[4].startswith(prefix)]


def machine_facts() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal:"))

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True).stdout.splitlines()[0].strip()
        except (OSError, IndexError):
            return "?"
    return {"nproc": os.cpu_count(), "kernel": platform.release(), "cpu": cpu, "mem_gib": mem / 1024 ** 3,
            "load": " ".join(open("/proc/loadavg").read().split()[:3]), "python": platform.python_version(),
            "libvirt": version(["libvirtd", "--version"]), "qemu": version(["qemu-system-x86_64", "--version"])}


def runtime_state_dir(data_dir: Path) -> Path:
    """corrald's conmon state dir: /run/corral-<FNV-1a 64 of the data dir> (NodeAgentConfig.runtimeStateDir)."""
    h = 0xCBF29CE484222325
    for b in str(data_dir).encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return Path(f"/run/corral-{h:x}")


def first_line(data: bytes) -> str | None:
    """The first complete non-blank line of console output (escape sequences dropped), else None."""
    import re
    for raw in data.split(b"\n")[:-1]:
        text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw.decode("utf-8", "replace")).strip("\r").strip()
        if text:
            return text
    return None


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


# --------------------------------------------------------------------------
# corrald, the API client, and what the watches see
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
        import http.client
        import ssl
        with open(self.log_path, "ab") as fh:
            t0 = time.monotonic()
            self.proc = subprocess.Popen([str(self.binary), "--data-dir", str(self.data_dir), "--listen", f"127.0.0.1:{self.port}"],
                                         stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        pki, last = self.data_dir / "pki", "no attempt"
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

    def stop(self, timeout: float = 30.0) -> bool:
        """SIGTERM by pid, SIGKILL after `timeout`; True if it exited on SIGTERM."""
        p = self.proc
        if p is None or p.poll() is not None:
            return True
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
            return False

    def rss(self) -> int:
        return proc_status(self.pid, "VmRSS")

    def log_tail(self, n: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"


def kube_apis(kubeconfig: Path):
    """(CoreV1Api, CustomObjectsApi) for the daemon (no proxy; a pool big enough for the threads)."""
    for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        os.environ.pop(k, None)
    from kubernetes import client, config
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    cfg.connection_pool_maxsize = 64
    api = client.ApiClient(cfg)
    return client.CoreV1Api(api), client.CustomObjectsApi(api)


def vm_body(name: str, ns: str) -> dict:
    """tests/e2e/test_vms.py's kernelBoot VM: 256Mi, one cloudInitNoCloud volume, pod network + masquerade."""
    domain = {"cpu": {"cores": 1}, "memory": {"guest": "256Mi"},
              "devices": {"disks": [{"name": "cloudinit", "disk": {"bus": "virtio"}}],
                          "interfaces": [{"name": "default", "masquerade": {}}], "rng": {}},
              "firmware": {"kernelBoot": {"kernelArgs": "console=ttyS0",
                                          "container": {"image": IMAGE, "imagePullPolicy": "Never",
                                                        "kernelPath": "/boot/vmlinuz", "initrdPath": "/boot/initramfs.img"}}}}
    return {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
            "metadata": {"name": name, "namespace": ns, "labels": {"bench": "vms"}},
            "spec": {"runStrategy": "Always",
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"domain": domain, "networks": [{"name": "default", "pod": {}}],
                                           "terminationGracePeriodSeconds": 0,
                                           "volumes": [{"name": "cloudinit",
                                                        "cloudInitNoCloud": {"userData": "#!/bin/sh\necho bench\n"}}]}}}}


class Events:
    """First time (time.monotonic) each thing was seen by the client's watches, per VM name:
    vmi (VMI exists), running (VMI phase Running), failed, vmi_gone; pod (launcher pod exists),
    bound (its nodeName), pod_gone; plus the VMI's and the launcher pod's uid and the pod's name."""

    def __init__(self):
        self.cv = threading.Condition()
        self.t: dict[tuple[str, str], float] = {}
        self.info: dict[tuple[str, str], str] = {}

    def stamp(self, kind: str, name: str, now: float, **info: str) -> None:
        with self.cv:
            self.t.setdefault((kind, name), now)
            for k, v in info.items():
                self.info[(k, name)] = v
            self.cv.notify_all()

    def at(self, kind: str, name: str) -> float | None:
        with self.cv:
            return self.t.get((kind, name))

    def get(self, key: str, name: str) -> str | None:
        with self.cv:
            return self.info.get((key, name))

    def wait(self, kind: str, names, timeout: float, fail_kind: str | None = None) -> list[str]:
        """Waits until every name has `kind`; returns the names still missing (empty: all there)."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                left = [n for n in names if (kind, n) not in self.t]
                failed = [n for n in left if fail_kind and (fail_kind, n) in self.t]
                if not left or failed or time.monotonic() >= deadline:
                    return left
                self.cv.wait(min(0.5, max(0.0, deadline - time.monotonic())))

    def on_vmi(self, typ: str, obj: dict, now: float) -> None:
        md, st = obj.get("metadata") or {}, obj.get("status") or {}
        name = md.get("name", "")
        if typ == "DELETED":
            self.stamp("vmi_gone", name, now)
            return
        self.stamp("vmi", name, now, vmi_uid=md.get("uid", ""))
        if not md.get("deletionTimestamp"):
            if st.get("phase") == "Running":
                self.stamp("running", name, now)
            elif st.get("phase") in ("Failed", "Succeeded"):
                self.stamp("failed", name, now)

    def on_pod(self, typ: str, obj: dict, now: float) -> None:
        md = obj.get("metadata") or {}
        labels = md.get("labels") or {}
        if labels.get("kubevirt.io") != "virt-launcher":
            return
        name = labels.get("vm.kubevirt.io/name", "")
        if typ == "DELETED":
            self.stamp("pod_gone", name, now)
            return
        self.stamp("pod", name, now, pod_uid=md.get("uid", ""), pod_name=md.get("name", ""))
        if (obj.get("spec") or {}).get("nodeName"):
            self.stamp("bound", name, now)


class Stream(threading.Thread):
    """One watch (list + watch from its resourceVersion, reconnecting) feeding a handler."""

    def __init__(self, lister, handler):
        super().__init__(daemon=True)
        self.lister, self.handler = lister, handler
        self.rv = json.loads(lister(_preload_content=False).data)["metadata"]["resourceVersion"]
        self.error: str | None = None
        self._resp = None
        self._stopping = False

    def run(self):
        while not self._stopping:
            try:
                resp = self.lister(watch=True, resource_version=self.rv, timeout_seconds=3600, _preload_content=False)
                self._resp, buf = resp, b""
                while not self._stopping:
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    now = time.monotonic()
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        if line.strip():
                            ev = json.loads(line)
                            obj = ev.get("object") or {}
                            self.rv = (obj.get("metadata") or {}).get("resourceVersion") or self.rv
                            self.handler(ev.get("type", ""), obj, now)
            except Exception as e:  # reconnect from the last resourceVersion
                if self._stopping:
                    return
                self.error = repr(e)
                time.sleep(0.2)

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


# --------------------------------------------------------------------------
# Raw baselines: `virsh create` of corrald's domain XML, and plain QEMU
# --------------------------------------------------------------------------
class RawRuns:
    """Copies of the warm-up VM's domain XML started with `virsh create`, and its kernel/initrd under raw QEMU."""

    def __init__(self, work: Path, xml_text: str, bridge: str):
        self.work = work
        work.mkdir(mode=0o711)
        self.prefix = f"corral-bench-raw-{os.getpid()}-"
        self.off = time.time() - time.monotonic()
        self.tree = ET.fromstring(xml_text)
        md = self.tree.find("metadata")
        if md is not None:  # corrald finds its domains by this metadata: a raw copy must not look like one
            self.tree.remove(md)
        copied: dict[str, str] = {}

        def copy(src: str) -> str:
            if src not in copied:
                dst = work / f"{len(copied)}-{Path(src).name}"
                shutil.copyfile(src, dst)
                dst.chmod(0o644)
                copied[src] = str(dst)
            return copied[src]
        osel = self.tree.find("os")
        self.kernel = copy(osel.find("kernel").text)
        self.initrd = copy(osel.find("initrd").text)
        osel.find("kernel").text, osel.find("initrd").text = self.kernel, self.initrd
        self.cmdline = osel.findtext("cmdline") or ""
        # Disk images: one copy per slot (QEMU locks an image against a second writer).
        self.disks = [(src, copy(src.get("file"))) for src in self.tree.iter("source") if src.get("file")]
        # Taps of our own on the same bridge, made before the timed runs (corrald makes one per VM
        # inside its time); one per domain running at the same time (a tap has one user).
        self.bridge = bridge
        self.qemu_uid = subprocess.run(["id", "-u", "libvirt-qemu"], capture_output=True, text=True).stdout.strip() or "0"
        self.taps: list[str] = []
        self.tap(0)
        self.started: list[str] = []

    def tap(self, slot: int) -> str:
        while len(self.taps) <= slot:
            name = f"cbr{os.getpid():x}-{len(self.taps)}"[:15]
            self.taps.append(name)
            for cmd in (["ip", "tuntap", "add", "dev", name, "mode", "tap", "user", self.qemu_uid],
                        ["ip", "link", "set", name, "master", self.bridge], ["ip", "link", "set", name, "up"]):
                subprocess.run(cmd, check=True, capture_output=True)
        return self.taps[slot]

    def write_xml(self, name: str, slot: int, serial: Path) -> Path:
        """The copy's XML: own name, uuid (and SMBIOS uuid), serial log, tap and MAC."""
        new = str(_uuid.uuid4())
        self.tree.find("name").text = name
        if self.tree.find("uuid") is not None:
            self.tree.find("uuid").text = new
        for e in self.tree.iter("entry"):
            if e.get("name") == "uuid":
                e.text = new
        for lg in self.tree.iter("log"):
            lg.set("file", str(serial))
        for src, base in self.disks:
            path = base if slot == 0 else f"{base}.{slot}"
            if not Path(path).exists():
                shutil.copyfile(base, path)
                Path(path).chmod(0o644)
            src.set("file", path)
        for iface in self.tree.iter("interface"):
            t = iface.find("target")
            if t is not None:
                t.set("dev", self.tap(slot))
            m = iface.find("mac")
            if m is not None:
                m.set("address", "52:54:00:fe:%02x:%02x" % (os.getpid() & 0xff, slot))
        path = self.work / f"{name}.xml"
        path.write_text(ET.tostring(self.tree, encoding="unicode"))
        self.started.append(name)
        return path

    def virsh_one(self, i: int, marker: bool = False) -> dict:
        """`virsh create` of copy i: seconds to virsh's exit, to QEMU's pid file, to the first serial
        line; then `virsh destroy` (timed too)."""
        name = f"{self.prefix}{i}"
        serial = self.work / f"serial-{i}.log"
        path = self.write_xml(name, 0, serial)
        t0 = time.monotonic()
        r = subprocess.run(VIRSH + ["create", str(path)], capture_output=True, text=True)
        t1 = time.monotonic()
        if r.returncode != 0:
            raise RuntimeError(f"virsh create {name}: {r.stderr.strip()}")
        try:
            qemu_s = (QEMU_RUN / f"{name}.pid").stat().st_mtime - self.off - t0
        except OSError:
            qemu_s = float("nan")
        out = {"create_s": t1 - t0, "qemu_s": qemu_s}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data = read_bytes(serial)
            now = time.monotonic()
            if "line_s" not in out and (l := first_line(data)) is not None:
                out["line_s"], out["line"] = now - t0, l
            if marker and "marker_s" not in out and MARKER.encode() in data:
                out["marker_s"] = now - t0
            if "line_s" in out and (not marker or "marker_s" in out):
                break
            time.sleep(0.005)
        t2 = time.monotonic()
        d = subprocess.run(VIRSH + ["destroy", name], capture_output=True, text=True)
        out["destroy_s"] = time.monotonic() - t2
        if d.returncode != 0:
            raise RuntimeError(f"virsh destroy {name}: {d.stderr.strip()}")
        if "line_s" not in out:
            raise RuntimeError(f"raw domain {name}: no console line in 60 s")
        return out

    def virsh_burst(self, n: int, first: int) -> dict:
        """n `virsh create` started at once (one thread each): seconds until the last returned, each
        one's time; then all destroyed at once, timed the same way."""
        names = [f"{self.prefix}{first + k}" for k in range(n)]
        paths = [self.write_xml(nm, k, self.work / f"serial-{first + k}.log") for k, nm in enumerate(names)]

        def burst(cmds: list[list[str]]) -> tuple[float, list[float]]:
            done: list[float] = [0.0] * len(cmds)
            errs: list[str] = []
            barrier = threading.Barrier(len(cmds) + 1)

            def one(k):
                barrier.wait()
                r = subprocess.run(cmds[k], capture_output=True, text=True)
                done[k] = time.monotonic()
                if r.returncode != 0:
                    errs.append(r.stderr.strip())
            ts = [threading.Thread(target=one, args=(k,)) for k in range(len(cmds))]
            for t in ts:
                t.start()
            barrier.wait()
            t0 = time.monotonic()
            for t in ts:
                t.join()
            if errs:
                raise RuntimeError(f"raw burst: {errs[0]}")
            return max(done) - t0, [x - t0 for x in done]
        all_s, each = burst([VIRSH + ["create", str(p)] for p in paths])
        time.sleep(1)
        destroy_s, _ = burst([VIRSH + ["destroy", nm] for nm in names])
        return {"all_s": all_s, "each_s": each, "destroy_all_s": destroy_s}

    def qemu_one(self, i: int, marker: bool = False) -> dict:
        """Raw QEMU (tools/test-images/guestrun.py) on the same kernel/initrd/cmdline: seconds to the first console line."""
        sys.path.insert(0, str(REPO / "tools" / "test-images"))
        import guestrun
        work = self.work / f"qemu-{i}"
        work.mkdir()
        args = guestrun.kernel_args(Path(self.kernel), Path(self.initrd), self.cmdline)
        with guestrun.Guest(args, work, memory_mib=256) as g:
            deadline = time.monotonic() + 60
            while g.first_line_time() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            t = g.first_line_time()
            if t is None:
                raise RuntimeError(f"raw QEMU: no console line in 60 s:\n{g.console()[-500:]}")
            out = {"line_s": t, "line": next(l for _, l in g.lines if l.strip()).strip()}
            if marker:
                out["marker_s"] = g.wait_for(MARKER, 60)
        return out

    def close(self) -> list[str]:
        """Destroys raw domains still running and removes the tap; returns what had to be forced."""
        forced = []
        listed = subprocess.run(VIRSH + ["list", "--all", "--name"], capture_output=True, text=True).stdout.split()
        for name in listed:
            if name.startswith(self.prefix):
                forced.append(f"raw domain {name}")
                subprocess.run(VIRSH + ["destroy", name], capture_output=True)
                subprocess.run(VIRSH + ["undefine", name], capture_output=True)
        for tap in self.taps:
            subprocess.run(["ip", "link", "delete", tap], capture_output=True)
        return forced


# --------------------------------------------------------------------------
# VMs through corrald
# --------------------------------------------------------------------------
STAGES = [  # (label, what happened between the previous mark and this one)
    ("vmi", "create VM -> VMI seen by the client's watch (VM controller)"),
    ("pod", "-> launcher pod seen (launcher controller)"),
    ("bound", "-> its nodeName seen (scheduler)"),
    ("ip", "-> node agent picked it up and allocated the IP (pods/POD-UID/ip)"),
    ("disks", "-> image resolved, cloud-init ISO written (vms/UID/cloudinit.iso)"),
    ("xml", "-> tap + DHCP lease + domain XML written (vms/UID/domain.xml)"),
    ("qemu", "-> libvirt define + start spawned QEMU (/run/libvirt/qemu/NAME.pid)"),
    ("running", "-> QEMU ready and resumed, state read, VMI status written, Running seen by the client"),
    ("console", "-> first line on the serial log (guest kernel)"),
]


class Bench:
    """Creates, times and deletes VMs in the bench namespace."""

    def __init__(self, data: Path, ns: str, core, custom, ev: Events):
        self.data, self.ns, self.core, self.custom, self.ev = data, ns, core, custom, ev
        self.off = time.time() - time.monotonic()
        self.domains: dict[str, str] = {}  # VM name -> libvirt domain name
        self.qemu_pids: dict[str, int] = {}

    def vm_dir(self, name: str) -> Path | None:
        uid = self.ev.get("vmi_uid", name)
        return self.data / "vms" / uid if uid else None

    def create(self, name: str) -> tuple[float, float]:
        t0 = time.monotonic()
        self.custom.create_namespaced_custom_object(*KV, self.ns, "virtualmachines", vm_body(name, self.ns), _preload_content=False)
        return t0, time.monotonic()

    def wait_running(self, names: list[str], timeout: float) -> None:
        left = self.ev.wait("running", names, timeout, fail_kind="failed")
        if left:
            raise RuntimeError(f"{len(left)} VMs not Running after {timeout:.0f} s (e.g. {left[0]}); "
                               f"failed: {[n for n in left if self.ev.at('failed', n)]}; {self.why(left[0])}")

    def why(self, name: str) -> str:
        """The warnings recorded for a VM (its events) and the state of libvirt's machine-wide sockets."""
        objs = {name, self.ev.get("pod_name", name)}
        try:
            items = json.loads(self.core.list_namespaced_event(self.ns, _preload_content=False).data)["items"]
            warn = sorted({f"{e.get('reason')}: {e.get('message')}" for e in items
                           if e.get("type") == "Warning" and (e.get("involvedObject") or {}).get("name") in objs
                           and e.get("reason") != "SoftwareEmulation"})
        except Exception as e:
            warn = [f"(events unreadable: {e!r})"]
        socks = [p for p in ("/run/libvirt/libvirt-sock", "/run/libvirt/virtlogd-sock") if not Path(p).exists()]
        return (f"warnings: {warn or 'none'}" + (f"; MISSING {socks} (removed by a process outside "
                f"{LOCK}: another libvirtd/virtlogd exiting unlinks these machine-wide sockets)" if socks else ""))

    def marks(self, name: str, t0: float) -> dict[str, float]:
        """Monotonic time of each stage's end (read while the VM runs: its files go with it)."""
        vdir = self.vm_dir(name)
        m = {"create": t0}
        for k in ("vmi", "pod", "bound"):
            m[k] = self.ev.at(k, name) or float("nan")
        try:
            dom = ET.fromstring((vdir / "domain.xml").read_text()).findtext("name")
            self.domains[name] = dom
            self.qemu_pids[name] = pid_from(QEMU_RUN / f"{dom}.pid") or 0
        except (OSError, ET.ParseError, TypeError):
            dom = None
        files = {"ip": self.data / "pods" / (self.ev.get("pod_uid", name) or "-") / "ip",
                 "disks": vdir / "cloudinit.iso", "xml": vdir / "domain.xml", "qemu": QEMU_RUN / f"{dom}.pid"}
        for k, f in files.items():
            try:
                m[k] = f.stat().st_mtime - self.off
            except OSError:
                m[k] = float("nan")
        m["running"] = self.ev.at("running", name)
        return m

    def wait_console(self, names: list[str], t0s: dict[str, float], timeout: float, marker_for=()) -> dict[str, dict]:
        """Polls each VM's serial log (every 5 ms) for its first line (and MARKER for names in marker_for)."""
        out: dict[str, dict] = {n: {} for n in names}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = False
            for n in names:
                o = out[n]
                if "line_s" in o and (n not in marker_for or "marker_s" in o):
                    continue
                pending = True
                d = self.vm_dir(n)
                data = read_bytes(d / "serial.log") if d else b""
                now = time.monotonic()
                if "line_s" not in o and (l := first_line(data)) is not None:
                    o["line_s"], o["line"] = now - t0s[n], l
                if n in marker_for and "marker_s" not in o and MARKER.encode() in data:
                    o["marker_s"] = now - t0s[n]
            if not pending:
                return out
            time.sleep(0.005)
        raise RuntimeError(f"no console line within {timeout:.0f} s for {[n for n in names if 'line_s' not in out[n]]}")

    def one(self, name: str, marker: bool = False) -> dict:
        """One VM: create -> Running -> first console line; returns its record (the VM keeps running)."""
        t0, t1 = self.create(name)
        self.wait_running([name], 120)
        rec = {"name": name, "api_ms": (t1 - t0) * 1e3, "running_ms": (self.ev.at("running", name) - t0) * 1e3,
               "marks": self.marks(name, t0)}
        c = self.wait_console([name], {name: t0}, 60, marker_for=[name] if marker else ())[name]
        rec["console_ms"], rec["line"] = c["line_s"] * 1e3, c["line"]
        if "marker_s" in c:
            rec["marker_ms"] = c["marker_s"] * 1e3
        return rec

    def api_log_has(self, name: str, text: str) -> bool:
        """Whether the launcher pod's log (the API's view of the serial console) contains text."""
        pod = self.ev.get("pod_name", name)
        try:
            return bool(pod) and text in self.core.read_namespaced_pod_log(pod, self.ns)
        except Exception:
            return False

    def delete(self, names: list[str], timeout: float = 120) -> tuple[float, float]:
        """Deletes the VMs (in parallel); waits until their VMIs and launcher pods are gone from the API,
        then until the node agent removed their files (domain destroyed). Returns both times (s)."""
        t0 = time.monotonic()
        errs: list[str] = []

        def one(n):
            try:
                self.custom.delete_namespaced_custom_object(*KV, self.ns, "virtualmachines", n, _preload_content=False)
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
        for kind in ("vmi_gone", "pod_gone"):
            left = self.ev.wait(kind, names, max(1.0, t0 + timeout - time.monotonic()))
            if left:
                raise RuntimeError(f"{len(left)} VMs not gone ({kind}) {timeout:.0f} s after the delete: {left[:3]}")
        api_s = time.monotonic() - t0
        # The node agent tears the domain down after the objects are gone: wait for its files to go too.
        dirs = [d for n in names for d in (self.vm_dir(n), self.data / "pods" / (self.ev.get("pod_uid", n) or "-"))]
        while any(d is not None and d.exists() for d in dirs):
            if time.monotonic() > t0 + timeout:
                raise RuntimeError(f"VM files still there {timeout:.0f} s after the delete: {[str(d) for d in dirs if d and d.exists()][:3]}")
            time.sleep(0.01)
        return api_s, time.monotonic() - t0


def stage_durations(m: dict[str, float]) -> dict[str, float]:
    prev, out = "create", {}
    for k, _ in STAGES:
        if k in m:
            out[k] = (m[k] - m[prev]) * 1e3
            prev = k
    return out


def summarize_stages(recs: list[dict]) -> dict[str, tuple[float, float]]:
    """Per stage: (p50, max) in ms over the VMs."""
    durs = []
    for r in recs:
        m = dict(r["marks"], console=r["marks"]["create"] + r["console_ms"] / 1e3)
        durs.append(stage_durations(m))
    return {k: (pct([d[k] for d in durs if k in d], 50), max((d[k] for d in durs if k in d), default=float("nan")))
            for k, _ in STAGES}


# --------------------------------------------------------------------------
# The run (inside the bench network namespace)
# --------------------------------------------------------------------------
def rss_of(pid: int | None) -> int:
    return proc_status(pid, "VmRSS") if pid else 0


def run_phases(a, root: Path, R: dict) -> None:
    """Every measurement; fills R. The caller's teardown cleans up whatever happens."""
    data = root / "data"
    imp = data / "images" / "import"
    imp.mkdir(parents=True)
    shutil.copy(a.images / "kernelboot.tar", imp / "kernelboot.tar")
    binary = root / "corrald"
    shutil.copy2(a.binary, binary)  # a rebuild of .build during the run must not disturb it
    d = Daemon(binary, data)
    R["_daemon"] = d
    R["ready_s"] = d.start()
    log(f"corrald pid {d.pid} ready in {R['ready_s'] * 1e3:.0f} ms on 127.0.0.1:{d.port}")
    core, custom = kube_apis(data / "kubeconfig.yaml")
    ns = f"bench-vms-{os.getpid()}"
    core.create_namespace({"metadata": {"name": ns}}, _preload_content=False)
    R["_ns"] = ns
    ev = Events()
    R["_streams"] = [Stream(functools.partial(custom.list_namespaced_custom_object, *KV, ns, "virtualmachineinstances"), ev.on_vmi),
                     Stream(functools.partial(core.list_namespaced_pod, ns), ev.on_pod)]
    for s in R["_streams"]:
        s.start()
    b = Bench(data, ns, core, custom, ev)
    R["_bench"] = b
    libvirtd, virtlogd = pid_from(root / "virt" / "libvirtd.pid"), pid_from(root / "virt" / "virtlogd.pid")
    time.sleep(a.settle)
    R["rss_idle"] = d.rss()

    # 1. warm-up VM: first use of the image; its domain XML for the raw baselines.
    w = b.one("bench-w")
    R["warm"] = w
    vdir = b.vm_dir("bench-w")
    xml_text = (vdir / "domain.xml").read_text()
    R["api_log_ok"] = b.api_log_has("bench-w", w["line"])
    bridge = "corral0"
    for iface in ET.fromstring(xml_text).iter("interface"):
        src = iface.find("source")
        bridge = src.get("bridge", bridge) if src is not None else bridge
    raw = RawRuns(root / "raw", xml_text, bridge)  # copies the ISO and kernel/initrd: before the delete removes them
    R["_raw"] = raw
    b.delete(["bench-w"])
    R["cmdline"] = raw.cmdline
    log(f"warm-up VM Running in {w['running_ms']:.0f} ms, first console line at {w['console_ms']:.0f} ms; XML copied")

    # 2./3. raw baselines, first half (one uncounted warm-up run of each).
    half = max(1, a.raw // 2)
    raw.virsh_one(0)
    R["virsh_before"] = [raw.virsh_one(i, marker=i <= 2) for i in range(1, half + 1)]
    log(f"raw virsh create x{half}: p50 {pct([x['create_s'] for x in R['virsh_before']], 50) * 1e3:.0f} ms")
    raw.qemu_one(0)
    R["qemu"] = [raw.qemu_one(i, marker=i <= 3) for i in range(1, a.qemu + 1)]
    log(f"raw QEMU x{a.qemu}: first console line p50 {pct([x['line_s'] for x in R['qemu']], 50) * 1e3:.0f} ms")

    # 4. sequential: one VM at a time, deleted before the next.
    seq = []
    cpu0 = cpu_seconds(d.pid)
    for i in range(a.vms):
        name = f"bench-s-{i}"
        rec = b.one(name, marker=i < 3)
        if i == 0:
            R["api_log_ok"] = R["api_log_ok"] and b.api_log_has(name, rec["line"])
        rec["delete_s"] = b.delete([name])
        seq.append(rec)
    R["seq_cpu_s"] = cpu_seconds(d.pid) - cpu0
    R["seq"] = seq
    log(f"sequential x{a.vms}: Running p50 {pct([s['running_ms'] for s in seq], 50):.0f} ms, "
        f"console p50 {pct([s['console_ms'] for s in seq], 50):.0f} ms")

    # 5. concurrent: N VMs created at once.
    time.sleep(a.settle)
    R["rss_before_conc"], R["libvirt_before"] = d.rss(), rss_of(libvirtd) + rss_of(virtlogd)
    names = [f"bench-c-{i}" for i in range(a.concurrent)]
    res: dict[str, tuple[float, float]] = {}
    errs: list[str] = []
    barrier = threading.Barrier(len(names) + 1)

    def one(n):
        try:
            barrier.wait()
            res[n] = b.create(n)
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
    b.wait_running(names, 180)
    R["conc_cpu_s"] = cpu_seconds(d.pid) - cpu0
    R["conc_all_s"] = max(ev.at("running", n) for n in names) - start
    R["conc_first_s"] = min(ev.at("running", n) for n in names) - start
    R["conc_creates_s"] = max(res[n][1] for n in names) - start
    R["conc_each_ms"] = [(ev.at("running", n) - res[n][0]) * 1e3 for n in names]
    R["conc_marks"] = [{"marks": b.marks(n, res[n][0]), "console_ms": float("nan")} for n in names]
    con = b.wait_console(names, {n: res[n][0] for n in names}, 120)
    R["conc_console_ms"] = [con[n]["line_s"] * 1e3 for n in names]
    for r, n in zip(R["conc_marks"], names):
        r["console_ms"] = con[n]["line_s"] * 1e3
    log(f"concurrent x{a.concurrent}: all Running {R['conc_all_s']:.2f} s after the first create")
    time.sleep(a.settle)
    R["rss_conc"], R["libvirt_conc"] = d.rss(), rss_of(libvirtd) + rss_of(virtlogd)
    R["qemu_rss"] = [rss_of(b.qemu_pids.get(n)) for n in names]
    cpu0, tc = cpu_seconds(d.pid), time.monotonic()
    time.sleep(3)
    R["idle_cpu_pct"] = (cpu_seconds(d.pid) - cpu0) / (time.monotonic() - tc) * 100
    R["conc_delete_s"] = b.delete(names)
    time.sleep(1)
    R["rss_after"] = d.rss()
    log(f"corrald RSS with 0 VMs {R['rss_before_conc'] / MiB:.1f} MiB, with {a.concurrent} running "
        f"{R['rss_conc'] / MiB:.1f} MiB; deleted them in {R['conc_delete_s'][1]:.1f} s")

    # The same number of raw `virsh create` at once (and destroyed at once), as the baseline for the burst.
    R["virsh_burst"] = raw.virsh_burst(a.concurrent, first=100)
    log(f"raw virsh create x{a.concurrent} at once: last returned after {R['virsh_burst']['all_s']:.2f} s")

    # 2. raw virsh create, second half.
    R["virsh_after"] = [raw.virsh_one(i) for i in range(half + 1, a.raw + 1)]
    log(f"raw virsh create x{a.raw - half}: p50 {pct([x['create_s'] for x in R['virsh_after']], 50) * 1e3:.0f} ms")
    R["watch_errors"] = [s.error for s in R["_streams"] if s.error]


def our_domains(R: dict) -> list[str]:
    """Domains libvirtd lists (running or defined) that this run made."""
    names = subprocess.run(VIRSH + ["list", "--all", "--name"], capture_output=True, text=True).stdout.split()
    ns, raw = R.get("_ns"), R.get("_raw")
    return [n for n in names if (ns and n.startswith(ns + "_")) or (raw and n.startswith(raw.prefix))]


def teardown(root: Path, R: dict) -> tuple[list[str], list[str]]:
    """Deletes what is left, stops corrald and its dnsmasq; returns (leftovers found and removed, notes)."""
    found, notes = [], []
    d: Daemon | None = R.get("_daemon")
    data = root / "data"
    b: Bench | None = R.get("_bench")
    if d is not None and d.proc is not None and d.proc.poll() is None and b is not None:
        try:
            items = json.loads(b.custom.list_namespaced_custom_object(*KV, b.ns, "virtualmachines", _preload_content=False).data)["items"]
            if items:
                found.append(f"{len(items)} bench VMs still in the API at teardown (deleted)")
                b.delete([v["metadata"]["name"] for v in items], timeout=90)
        except Exception as e:
            found.append(f"VM cleanup through the API failed: {e!r}")
    for s in R.get("_streams", []):
        s.stop()
    if d is not None and not d.stop():
        found.append(f"corrald pid {d.pid} ignored SIGTERM for 30 s (SIGKILL)")
    dns = pid_from(data / "vms" / ".dhcp" / "dnsmasq.pid")
    if alive(dns) and str(data) in cmdline(dns):
        notes.append(f"corrald's dnsmasq (pid {dns}) kept running after corrald exited; stopped by its pid file")
        kill_and_wait(dns, 5)
    if R.get("_raw"):
        found.extend(R["_raw"].close())
    for n in our_domains(R):
        found.append(f"domain {n}")
        subprocess.run(VIRSH + ["destroy", n], capture_output=True)
        subprocess.run(VIRSH + ["undefine", "--nvram", n], capture_output=True)
    left = our_domains(R)
    if left:
        found.append(f"domains still listed after destroy/undefine: {left}")
    total = len(subprocess.run(VIRSH + ["list", "--all", "--name"], capture_output=True, text=True).stdout.split())
    R["virsh_list_note"] = f"`virsh list --all` after the run: {total} domains, {len(left)} of this run"
    for pid in pids_of("qemu-system-x86_64", str(root)) + pids_of("qemu-system-x86_64", R.get("_ns") or "\0"):
        found.append(f"QEMU pid {pid}")
        kill_and_wait(pid, 5)
    for m in sorted(mounts_under(str(root)), key=len, reverse=True):
        found.append(f"mount {m}")
        subprocess.run(["umount", "-l", m], capture_output=True)
    for p in sorted(data.glob("vms/*-*")) + sorted(data.glob("pods/*")):
        found.append(f"record {p.relative_to(data)}")
    state = runtime_state_dir(data)
    if state.exists():
        files = [str(p.relative_to(state)) for p in state.rglob("*") if not p.is_dir()]
        notes.append(f"corrald left {state} ({len(files)} files) after SIGTERM; removed")
        shutil.rmtree(state, ignore_errors=True)
    return found, notes


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def figures(R: dict, a) -> dict:
    virsh = R["virsh_before"] + R["virsh_after"]
    f = {"raw": [x["create_s"] * 1e3 for x in virsh], "seq": [s["running_ms"] for s in R["seq"]],
         "con": [s["console_ms"] for s in R["seq"]], "qemu": [x["line_s"] * 1e3 for x in R["qemu"]],
         "virsh_con": [x["line_s"] * 1e3 for x in virsh]}
    f["ratio"] = pct(f["seq"], 50) / pct(f["raw"], 50)
    f["con_gap_s"] = (pct(f["con"], 50) - pct(f["qemu"], 50)) / 1e3
    f["per_vm"] = (R["rss_conc"] - R["rss_before_conc"]) / a.concurrent / MiB
    f["libvirt_per_vm"] = (R["libvirt_conc"] - R["libvirt_before"]) / a.concurrent / MiB
    return f


def build_rows(R: dict, a) -> list[tuple[str, str, str, str]]:
    f = figures(R, a)
    n, c = a.vms, a.concurrent
    qrss = [x for x in R["qemu_rss"] if x]
    return [
        ("Raw `virsh create` of the same domain XML, p50 / p95 (ms)", f"{pct(f['raw'], 50):.0f} / {pct(f['raw'], 95):.0f}", "baseline", ""),
        (f"VM create -> VMI Running, sequential, p50 over {n} VMs (ms)", f"{pct(f['seq'], 50):.0f}", "", ""),
        ("ratio to raw `virsh create` (p50 / raw p50)", f"{f['ratio']:.2f}x", "<= 1.5x", verdict(f["ratio"] <= 1.5)),
        ("p95 / max (ms)", f"{pct(f['seq'], 95):.0f} / {max(f['seq']):.0f}", "", ""),
        ("Raw QEMU, same kernel/initrd: spawn -> first console line, p50 (ms)", f"{pct(f['qemu'], 50):.0f}", "baseline", ""),
        (f"VM create -> first console line, p50 over {n} VMs (ms)", f"{pct(f['con'], 50):.0f}", "", ""),
        ("later than raw QEMU by (p50 - raw p50, s)", f"{f['con_gap_s']:.2f}", "<= 1 s", verdict(f["con_gap_s"] <= 1.0)),
        ("Raw `virsh create` -> first console line, p50 (ms)", f"{pct(f['virsh_con'], 50):.0f}", "", ""),
        (f"{c} VMs created at once: last one Running after (s)", f"{R['conc_all_s']:.2f}", "", ""),
        (f"{c} raw `virsh create` at once: last one returned after (s)", f"{R['virsh_burst']['all_s']:.2f}", "baseline", ""),
        ("ratio (corrald all Running / raw all returned)", f"{R['conc_all_s'] / R['virsh_burst']['all_s']:.2f}x", "", ""),
        (f"{c} at once: each create -> Running, p50 / max (ms)",
         f"{pct(R['conc_each_ms'], 50):.0f} / {max(R['conc_each_ms']):.0f}", "", ""),
        (f"corrald RSS, 0 VMs -> {c} VMs running (MiB)", f"{R['rss_before_conc'] / MiB:.1f} -> {R['rss_conc'] / MiB:.1f}", "", ""),
        ("corrald RSS per running VM (MiB)", f"{f['per_vm']:.2f}", "<= 5 MiB", verdict(f["per_vm"] <= 5.0)),
        ("libvirtd + virtlogd RSS per running VM (MiB)", f"{f['libvirt_per_vm']:.2f}", "", ""),
        ("QEMU RSS per VM, its own process (MiB)", f"{sum(qrss) / max(1, len(qrss)) / MiB:.1f}", "", ""),
        ("First VM of the image: create -> Running / first console line (ms)",
         f"{R['warm']['running_ms']:.0f} / {R['warm']['console_ms']:.0f}", "", ""),
    ]


def table_text(rows) -> str:
    w = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:<{w[2]}}  {r[3]}" for r in rows)


def stage_line(title: str, st: dict) -> str:
    return f"{title}, p50/max ms per stage: " + ", ".join(f"{k} {st[k][0]:.0f}/{st[k][1]:.0f}" for k, _ in STAGES)


def details(R: dict, a) -> list[str]:
    f = figures(R, a)
    vb, va = [x["create_s"] * 1e3 for x in R["virsh_before"]], [x["create_s"] * 1e3 for x in R["virsh_after"]]
    virsh = R["virsh_before"] + R["virsh_after"]
    seq = R["seq"]
    mk = lambda xs: f"{pct(xs, 50) / 1e3:.2f} s" if xs else "n/a"
    out = [
        f"raw `virsh create`: {len(vb)} before the VMs p50 {pct(vb, 50):.0f} ms, {len(va)} after p50 {pct(va, 50):.0f} ms "
        f"(each after one uncounted warm-up); QEMU's pid file written {pct([x['qemu_s'] * 1e3 for x in virsh], 50):.0f} ms "
        "after spawning virsh (p50); the copy has its own name, uuid, serial log, ISO/kernel/initrd copies and a tap "
        "made beforehand on the same bridge",
        f"console: the first line is the guest kernel's (\"{seq[0]['line'][:60]}\"; raw QEMU: \"{R['qemu'][0]['line'][:60]}\"), "
        f"read from the serial log file DATA/vms/VMI-UID/serial.log (virtlogd writes it; the launcher pod's log serves "
        f"the same file: {'checked, the API log shows the same line' if R['api_log_ok'] else 'NOT seen in the API log'}), "
        "polled every 5 ms; raw QEMU (tools/test-images/guestrun.py: q35, TCG, 256 MiB, 1 vCPU, no NIC, serial on a pipe) "
        f"with the VM's kernel command line `{R['cmdline']}`",
        f"first console line, p50: raw QEMU {pct(f['qemu'], 50):.0f} ms (min/max {min(f['qemu']):.0f}/{max(f['qemu']):.0f}), "
        f"raw `virsh create` {pct(f['virsh_con'], 50):.0f} ms, corrald {pct(f['con'], 50):.0f} ms "
        f"(min/max {min(f['con']):.0f}/{max(f['con']):.0f}); guest userspace (\"{MARKER}\"), p50: raw QEMU "
        f"{mk([x['marker_s'] * 1e3 for x in R['qemu'] if 'marker_s' in x])}, raw virsh "
        f"{mk([x['marker_s'] * 1e3 for x in virsh if 'marker_s' in x])}, corrald "
        f"{mk([s['marker_ms'] for s in seq if 'marker_ms' in s])}",
        "stages (watch events seen by the client, and mtimes of the files corrald and libvirt write on the way): "
        + "; ".join(f"{k} {desc}" for k, desc in STAGES),
        stage_line(f"sequential, {a.vms} VMs", summarize_stages(seq)),
        stage_line(f"{a.concurrent} at once", summarize_stages(R["conc_marks"])),
        stage_line("first VM of the image (warm-up)", summarize_stages([R["warm"]])).replace("p50/max", "p50=max"),
        f"VM create API call p50 {pct([s['api_ms'] for s in seq], 50):.1f} ms; {a.concurrent} at once: all creates "
        f"answered after {R['conc_creates_s'] * 1e3:.0f} ms, first VM Running after {R['conc_first_s'] * 1e3:.0f} ms, "
        f"first console lines p50/max {pct(R['conc_console_ms'], 50):.0f}/{max(R['conc_console_ms']):.0f} ms",
        f"raw `virsh destroy` p50 {pct([x['destroy_s'] * 1e3 for x in virsh], 50):.0f} ms; {a.concurrent} raw "
        f"`virsh destroy` at once: last returned after {R['virsh_burst']['destroy_all_s']:.2f} s; {a.concurrent} raw "
        f"`virsh create` at once, each p50 {pct(R['virsh_burst']['each_s'], 50) * 1e3:.0f} ms",
        f"delete VM -> VMI and launcher pod gone from the API / -> domain and files gone on the node: sequential p50 "
        f"{pct([s['delete_s'][0] for s in seq], 50) * 1e3:.0f} / {pct([s['delete_s'][1] for s in seq], 50) * 1e3:.0f} ms; "
        f"{a.concurrent} at once {R['conc_delete_s'][0]:.1f} / {R['conc_delete_s'][1]:.1f} s",
        f"corrald CPU: {R['seq_cpu_s']:.2f} s for the sequential {a.vms} ({R['seq_cpu_s'] / a.vms * 1e3:.0f} ms per VM, "
        f"create to delete), {R['conc_cpu_s']:.2f} s until {a.concurrent} concurrent were Running; "
        f"{R['idle_cpu_pct']:.1f}% of one core while {a.concurrent} VMs just run",
        f"corrald RSS (MiB): idle after start {R['rss_idle'] / MiB:.1f}, 0 VMs before the concurrent phase "
        f"{R['rss_before_conc'] / MiB:.1f}, {a.concurrent} running {R['rss_conc'] / MiB:.1f}, after deleting them "
        f"{R['rss_after'] / MiB:.1f}; from idle after start, per VM {(R['rss_conc'] - R['rss_idle']) / a.concurrent / MiB:.2f}",
        f"libvirtd + virtlogd RSS (MiB): {R['libvirt_before'] / MiB:.1f} -> {R['libvirt_conc'] / MiB:.1f} with "
        f"{a.concurrent} VMs; QEMU {sum(R['qemu_rss']) / MiB:.0f} MiB in total for {a.concurrent} guests of 256 MiB "
        "(KubeVirt's ~220 MiB per VM is its virt-launcher pod: launcher + libvirtd + virtlogd, QEMU not counted)",
        f"corrald ready {R['ready_s'] * 1e3:.0f} ms after spawn (agent, bridge, libvirt connection, image import)",
    ]
    if R.get("watch_errors"):
        out.append(f"a watch reconnected at least once ({R['watch_errors'][0]})")
    return out


def write_doc(path: Path, R: dict, rows, facts: dict, a, leftovers: str) -> None:
    date = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    md = [SECTION_TITLE, "",
          "Measured by `tools/bench-vms.py` (as root); the ratios are against raw `virsh create` of the domain XML "
          "corrald generated and raw QEMU booting the same kernel/initrd, measured in the same run.", "",
          "```", a.cmd, "```", "",
          f"- Date: {date}",
          f"- Machine: nproc {facts['nproc']}, kernel {facts['kernel']}, {facts['cpu']}, {facts['mem_gib']:.1f} GiB RAM; "
          f"load average at start {facts['load']}, at end {machine_facts()['load']} (other work on this shared machine "
          "disturbs the figures); guests run under TCG (software emulation: /dev/kvm here is a nested PVM variant)",
          f"- Daemon: `{a.binary_rel}` (agent on) in its own network namespace with libvirtd and virtlogd; "
          f"{facts['libvirt']}, {facts['qemu']}; client: Python {facts['python']} `kubernetes` client, one watch on "
          "VMIs and one on pods",
          f"- Workload: kernelBoot VM from `{IMAGE}` (imagePullPolicy Never), 1 vCPU, 256Mi, one cloudInitNoCloud "
          f"volume, pod network + masquerade (the shape of tests/e2e/test_vms.py); {a.vms} VMs one at a time, each "
          f"deleted (VMI and launcher pod gone, domain destroyed, VM files removed) before the next; then {a.concurrent} at once; {a.raw} raw `virsh create` "
          f"(half before, half after) and {a.qemu} raw QEMU boots"
          + (" (**--quick smoke run: reduced counts**)" if a.quick else ""),
          "", "| Measurement | Result | Target | |", "|---|---:|---|---|"]
    md += [f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows]
    md += ["", "Details:", ""] + [f"- {l}" for l in details(R, a)] + [f"- leftovers after the run: {leftovers}"]
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
    (root / "names.json").write_text(json.dumps({"ns": f"bench-vms-{os.getpid()}", "raw": f"corral-bench-raw-{os.getpid()}-"}))

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
        d = R.get("_daemon")
        if d is not None:
            log("corrald log tail:\n" + d.log_tail(15))
        rc = 1
    finally:
        try:
            found, notes = teardown(root, R)
        except Exception as e:
            found, notes = [f"teardown crashed ({e!r}); the outer process sweeps what it can"], []
    leftovers = ("none (checked: bench VMs in the API, domains of this run in `virsh list --all`, QEMU processes, "
                 "mounts under the temp dir, VM and pod records in DATA)" if not found
                 else "found and removed at teardown: " + "; ".join(found))
    if R.get("virsh_list_note"):
        leftovers += f"; {R['virsh_list_note']}"
    if notes:
        leftovers += "; " + "; ".join(notes)
    (root / "leftovers.txt").write_text(leftovers + "\n")
    # Raw figures for a closer look (kept with --keep).
    (root / "results.json").write_text(json.dumps({k: v for k, v in R.items() if not k.startswith("_")}, indent=1, default=str))
    if rc:
        return rc
    rows = build_rows(R, a)
    print()
    print(f"VM benchmark: {a.cmd}")
    print(f"nproc {facts['nproc']}, kernel {facts['kernel']}, {facts['cpu']}; load average at start {facts['load']}, "
          f"now {machine_facts()['load']}")
    print()
    print(table_text([("Measurement", "Result", "Target", "")] + rows))
    print()
    for line in details(R, a):
        print("  " + line)
    print("  leftovers: " + leftovers)
    if a.doc_path:
        write_doc(Path(a.doc_path), R, rows, facts, a, leftovers)
        log(f"wrote section {SECTION_TITLE!r} to {a.doc_path}")
    return 0


def take_lock(timeout: float):
    """Holds /run/corral-libvirt.lock (shared with tools/e2e.sh) until the returned file is closed;
    a blocking flock, so we queue with the other waiters instead of polling."""
    fh = open(LOCK, "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fh
    except BlockingIOError:
        log(f"waiting for {LOCK} (another e2e run or benchmark uses libvirt)")

    def expired(signum, frame):
        raise TimeoutError(f"{LOCK} still held after {timeout:.0f} s")
    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(max(1, int(timeout)))
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)
        return fh
    except TimeoutError:
        fh.close()
        raise
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def start_libvirt(ns: str, virt: Path) -> None:
    """virtlogd and libvirtd inside the namespace (nsenter --net: /sys stays the host's), pid files in `virt`."""
    for daemon in ("virtlogd", "libvirtd"):
        r = subprocess.run(["nsenter", f"--net=/run/netns/{ns}", daemon, "-d", "-p", str(virt / f"{daemon}.pid")],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError(f"{daemon} failed to start: {r.stderr.strip()}")
    for _ in range(100):
        if subprocess.run(VIRSH + ["version"], capture_output=True, timeout=10).returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("libvirtd does not answer on qemu:///system after 20 s")


def sweep(root: Path, keep_logs: bool = False) -> list[str]:
    """After the inner run: stops libvirtd and virtlogd, removes anything of this run still there."""
    left = []
    try:
        names = json.loads((root / "names.json").read_text())
    except (OSError, ValueError):
        names = {}
    for pid in pids_of("qemu-system-x86_64", str(root)) + pids_of("corrald", str(root)):
        left.append(f"pid {pid} {cmdline(pid)[:40]} (killed)")
        kill_and_wait(pid, 5)
    for daemon in ("libvirtd", "virtlogd"):
        pid = pid_from(root / "virt" / f"{daemon}.pid")
        if pid and not kill_and_wait(pid, 15):
            left.append(f"{daemon} pid {pid} needed SIGKILL")
    prefixes = tuple(p for p in (names.get("ns", "") + "_", names.get("raw")) if p and p != "_")
    for d, what in ((Path("/etc/libvirt/qemu"), "persistent domain definition"), (Path("/run/libvirt/qemu"), "libvirt runtime file")):
        for p in d.glob("*") if prefixes else []:
            if p.name.startswith(prefixes):
                left.append(f"{what} {p} (removed)")
                p.unlink(missing_ok=True) if p.is_file() else shutil.rmtree(p, ignore_errors=True)
    logs = [p for p in Path("/var/log/libvirt/qemu").glob("*.log") if prefixes and p.name.startswith(prefixes)]
    if keep_logs and logs:
        (root / "qemu-logs").mkdir(exist_ok=True)
    for p in logs:  # libvirt's per-domain QEMU logs: ours, by name (kept in the temp dir with --keep)
        shutil.move(str(p), root / "qemu-logs" / p.name) if keep_logs else p.unlink(missing_ok=True)
    for m in sorted(mounts_under(str(root)), key=len, reverse=True):
        left.append(f"mount {m} (unmounted)")
        subprocess.run(["umount", "-l", m], capture_output=True)
    return left


def outer_main(a, argv: list[str]) -> int:
    """Lock, namespace, temp dir, libvirt; runs the inner part in the namespace; removes all of it."""
    if os.geteuid() != 0:
        print("bench-vms: must run as root (network namespace, libvirtd, VMs)", file=sys.stderr)
        return 2
    if not Path(a.binary).exists():
        print(f"corrald not found at {a.binary}: run `swift build -c release --product corrald`", file=sys.stderr)
        return 2
    for tool in ("virsh", "libvirtd", "virtlogd", "qemu-system-x86_64", "nsenter", "ip"):
        if not shutil.which(tool):
            print(f"bench-vms: `{tool}` not found (tools/bootstrap.sh installs it)", file=sys.stderr)
            return 2
    if not (a.images / "kernelboot.tar").exists():
        log(f"building the kernelboot test image into {a.images}")
        subprocess.run([str(REPO / "tools/make-test-images"), "--only", "kernelboot", str(a.images)], check=True)
    try:
        lock = take_lock(a.lock_timeout)
    except TimeoutError as e:
        print(f"bench-vms: {e}", file=sys.stderr)
        return 1
    if subprocess.run(VIRSH + ["version"], capture_output=True, timeout=10).returncode == 0:
        print("bench-vms: another libvirtd already answers on qemu:///system; stop it first", file=sys.stderr)
        return 1
    ns = f"corral-bench-vms-{os.getpid()}"
    root = Path(tempfile.mkdtemp(prefix="corral-bench-vms-", dir=a.tmpdir))
    root.chmod(0o711)  # QEMU runs as libvirt-qemu and must walk to DATA/vms
    (root / "virt").mkdir()
    rc, child = 1, None
    t_start = time.monotonic()

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True)
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        log(f"network namespace {ns}, temp dir {root}")
        start_libvirt(ns, root / "virt")
        child = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}", "--", sys.executable, str(Path(__file__).resolve()),
                                  "--inner-root", str(root), *argv])
        rc = child.wait()
    except KeyboardInterrupt:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=180)
        rc = 130
    except Exception as e:
        log(f"bench-vms: {e}")
        rc = 1
    finally:
        left = sweep(root, keep_logs=a.keep)
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
        if ns in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split():
            left.append(f"netns {ns}")
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
        lock.close()
        log(f"leftovers inside the run: {inner_report}")
        log("after the run: " + ("nothing left (libvirtd, virtlogd stopped; bench netns deleted; temp dir "
                                 f"{'kept' if a.keep else 'removed'})" if not left else "LEFT BEHIND: " + ", ".join(left)))
        log(f"total time {time.monotonic() - t_start:.0f} s")
    return rc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=str(REPO / ".build/release/corrald"))
    ap.add_argument("--vms", type=int, default=None, help="sequential VMs (default 20; --quick 4)")
    ap.add_argument("--concurrent", type=int, default=None, help="VMs created at once (default 10; --quick 3)")
    ap.add_argument("--raw", type=int, default=None, help="raw `virsh create` runs (default 10; --quick 4)")
    ap.add_argument("--qemu", type=int, default=None, help="raw QEMU boots (default 5; --quick 2)")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait before each RSS reading")
    ap.add_argument("--images", default=str(REPO / ".cache/test-images"), help="where kernelboot.tar is (or is built)")
    ap.add_argument("--lock-timeout", type=float, default=1800, help="seconds to wait for /run/corral-libvirt.lock")
    ap.add_argument("--quick", action="store_true", help="smoke run with small counts; no doc unless --doc")
    ap.add_argument("--doc", default=None, help="markdown file to update (default docs/performance.md)")
    ap.add_argument("--no-doc", action="store_true")
    ap.add_argument("--tmpdir", default=None, help="parent of the temp dir (default: system temp; must be o+x)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (corrald.log) after the run")
    ap.add_argument("--inner-root", default=None, help=argparse.SUPPRESS)
    argv = sys.argv[1:]
    a = ap.parse_args(argv)
    defaults = {"vms": (20, 4), "concurrent": (10, 3), "raw": (10, 4), "qemu": (5, 2)}
    for k, (full, quick) in defaults.items():
        if getattr(a, k) is None:
            setattr(a, k, quick if a.quick else full)
    a.images = Path(a.images)
    binary = Path(a.binary).absolute()
    try:
        a.binary_rel = str(binary.relative_to(REPO))
    except ValueError:
        a.binary_rel = str(binary)
    a.binary = binary
    a.doc_path = None
    if not a.no_doc and (a.doc or not a.quick):
        a.doc_path = str(Path(a.doc).absolute()) if a.doc else str(REPO / "docs/performance.md")
    parts = [".venv/bin/python", "tools/bench-vms.py"]
    if a.binary_rel != ".build/release/corrald":
        parts += ["--binary", a.binary_rel]
    if a.quick:
        parts.append("--quick")
    for k, (full, quick) in defaults.items():
        if getattr(a, k) != (quick if a.quick else full):
            parts += [f"--{k}", str(getattr(a, k))]
    a.cmd = " ".join(parts)
    if a.inner_root:
        return inner_main(a)
    return outer_main(a, argv)


if __name__ == "__main__":
    sys.exit(main())
