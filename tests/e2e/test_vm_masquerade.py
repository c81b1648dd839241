"""KubeVirt's masquerade binding, end to end: the guest gets 10.0.2.2/24 by DHCP
(router 10.0.2.1) from a dnsmasq inside the VM's own network namespace, pods
reach it at the launcher pod's IP (DNAT, only the listed `ports`), and its own
traffic leaves as the launcher pod's IP (masquerade). A `bridge: {}` VM still
takes the pod IP itself. Deleting the VM removes every device, the namespace,
the node-side rules and the dnsmasq; kill -9 of corrald keeps the guest reachable."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from conftest import BUSYBOX, unique
from test_vms import launcher_pod, vm_manifest, wait_for

PORT, CLOSED_PORT = 8080, 8081  # the guest serves both; only PORT is listed in `ports`


def names(uid: str) -> dict:
    """The plumbing corrald derives from the VMI UID (MasqueradeNames)."""
    h = 0x811C9DC5
    for b in uid.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    x = f"{h:08x}"
    return {"netns": f"corral-vm-{uid}", "links": [f"tap{x}", f"k6t{x}", f"vmp{x}", f"vmg{x}"], "table": f"corral_vm_{x}"}


def links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return {l.split(":")[1].strip().split("@")[0] for l in out.splitlines()}


def netns_list() -> set[str]:
    return {l.split()[0] for l in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.splitlines() if l.strip()}


def node_tables() -> str:
    return subprocess.run(["nft", "list", "tables"], capture_output=True, text=True).stdout


def dnsmasq_pids(pid_file: Path) -> list[int]:
    """Running dnsmasq processes serving this VM (found by their pid-file argument)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            args = (d / "cmdline").read_bytes().split(b"\0")
            state = (d / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if args and args[0].endswith(b"dnsmasq") and f"--pid-file={pid_file}".encode() in args and state != "Z":
            found.append(int(d.name))
    return found


def user_data(tag: str, marker: str, pod_ip: str) -> str:
    return f"""#!/bin/sh
i=0
while [ $i -lt 20 ] && ! ip -4 addr show dev eth0 | grep -q inet; do i=$((i+1)); sleep 1; done
echo "{tag} addr: $(ip -4 addr show dev eth0 | grep -o 'inet [0-9./]*')"
# The test image's udhcpc script skips the DHCP router when any route exists (busybox
# `ip route show default` lists every route); the masquerade guest needs it for off-subnet peers.
ip route | grep -q '^default' || ip route add default via $(ip route | grep -o 'src [0-9.]*' | head -1 | sed 's/src //; s/[0-9]*$/1/')
mkdir -p /www && echo {marker} > /www/index.html
httpd -p {PORT} -h /www && httpd -p {CLOSED_PORT} -h /www && echo "{tag} httpd up"
i=0
while [ $i -lt 60 ]; do
	if out=$(timeout 5 wget -q -O - http://{pod_ip}:{PORT}/index.html 2>&1); then echo "{tag} reached pod: $out"; break; fi
	i=$((i+1)); sleep 1
done
"""


def apply_vm(node, ns, name, ud, iface):
    m = vm_manifest(name, ns, kernel_boot=True, user_data=ud)
    m["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"] = [iface]
    node.kubectl("apply", "-f", "-", input=json.dumps(m))


def running_vmi(node, ns, name, timeout=240):
    return wait_for(lambda: (lambda v: v if v.get("status", {}).get("phase") == "Running" and v["status"].get("interfaces") else None)(
        node.kubectl_json("get", "vmi", name, "-n", ns) if node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode == 0 else {}),
        timeout, f"VMI {name} Running with an interface")


def fetch(node, ns, pod, url):
    return node.kubectl("exec", pod, "-n", ns, "--", "timeout", "5", "wget", "-q", "-O", "-", url, check=False, timeout=30)


def fetch_until(node, ns, pod, url, marker, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        p = fetch(node, ns, pod, url)
        if marker in p.stdout:
            return
        assert time.monotonic() < deadline, f"{url} never answered {marker}: {p.stdout!r} {p.stderr!r}"
        time.sleep(2)


def web_pod(node, ns, marker) -> str:
    # -vv: httpd logs every client's address on stderr (= the pod log).
    node.kubectl("run", "web", "-n", ns, f"--image={BUSYBOX}", "--image-pull-policy=Never", "--restart=Never", "--command", "--",
                 "sh", "-c", f"echo {marker} > /tmp/index.html; exec httpd -f -vv -p {PORT} -h /tmp")
    return node.wait_pod("web", ns)["status"]["podIP"]


def test_masquerade_nat_ports_and_cleanup_and_bridge_keeps_pod_ip(node, ns):
    pod_marker, masq_marker, bridge_marker = unique("pod-hi"), unique("masq-hi"), unique("bridge-hi")
    pod_ip = web_pod(node, ns, pod_marker)
    masq, bridged = unique("masq"), unique("bridged")
    apply_vm(node, ns, masq, user_data("masqvm", masq_marker, pod_ip),
             {"name": "default", "masquerade": {}, "ports": [{"name": "http", "port": PORT}]})
    apply_vm(node, ns, bridged, user_data("bridgevm", bridge_marker, pod_ip), {"name": "default", "bridge": {}})

    vmi = running_vmi(node, ns, masq)
    uid = vmi["metadata"]["uid"]
    launcher = launcher_pod(node, ns, masq)
    launcher_ip = launcher["status"]["podIP"]
    iface = vmi["status"]["interfaces"][0]
    assert iface["ipAddress"] == launcher_ip and launcher_ip.startswith("10.42."), (iface, launcher["status"])
    n = names(uid)
    pid_file = node.data_dir / "vms" / uid / "masquerade" / "dnsmasq.pid"

    # The plumbing: VM netns, node-side links, the untracked-bridge table, one dnsmasq inside the VM netns.
    assert n["netns"] in netns_list()
    assert set(n["links"]) <= links(), (n, links())
    assert n["table"] in node_tables()
    dns = dnsmasq_pids(pid_file)
    assert len(dns) == 1, dns
    assert os.stat(f"/proc/{dns[0]}/ns/net").st_ino == os.stat(f"/run/netns/{n['netns']}").st_ino

    # Pod -> VM at the launcher IP (the listed port), retried while the guest boots.
    fetch_until(node, ns, "web", f"http://{launcher_ip}:{PORT}/", masq_marker)
    # An unlisted port is not forwarded: the launcher side answers it (refused), not the guest.
    closed = fetch(node, ns, "web", f"http://{launcher_ip}:{CLOSED_PORT}/")
    assert masq_marker not in closed.stdout, closed

    # The guest's own report: 10.0.2.2/24 by DHCP with router 10.0.2.1, and the pod reached.
    log = wait_for(lambda: (lambda out: out if "masqvm reached pod" in out else None)(
        node.kubectl("logs", launcher["metadata"]["name"], "-n", ns, check=False).stdout), 240, "the masquerade VM's report")
    assert "eth0 bound 10.0.2.2/24 router 10.0.2.1" in log, log[-3000:]
    assert "masqvm addr: inet 10.0.2.2/24" in log, log[-3000:]
    assert f"masqvm reached pod: {pod_marker}" in log, log[-3000:]
    # The pod saw the VM's connection come from the launcher pod's IP, never from 10.0.2.2.
    web_log = node.kubectl("logs", "web", "-n", ns).stdout
    assert f"{launcher_ip}]:" in web_log or f"{launcher_ip}:" in web_log, web_log[-2000:]
    assert "10.0.2.2" not in web_log, web_log[-2000:]

    # The bridge binding is unchanged: the guest takes the launcher pod's IP itself.
    bvmi = running_vmi(node, ns, bridged)
    blauncher = launcher_pod(node, ns, bridged)
    bip = blauncher["status"]["podIP"]
    assert bvmi["status"]["interfaces"][0]["ipAddress"] == bip
    fetch_until(node, ns, "web", f"http://{bip}:{PORT}/", bridge_marker)
    blog = wait_for(lambda: (lambda out: out if "bridgevm reached pod" in out else None)(
        node.kubectl("logs", blauncher["metadata"]["name"], "-n", ns, check=False).stdout), 240, "the bridge VM's report")
    assert f"eth0 bound {bip}/16" in blog, blog[-3000:]
    assert f"corral-vm-{bvmi['metadata']['uid']}" not in netns_list()

    # Delete: nothing of the masquerade VM is left.
    node.kubectl("delete", "vm", masq, bridged, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: launcher_pod(node, ns, masq) is None, 60, "launcher pod gone")
    wait_for(lambda: not dnsmasq_pids(pid_file), 30, "dnsmasq gone")
    wait_for(lambda: n["netns"] not in netns_list(), 30, "VM netns gone")
    assert not set(n["links"]) & links(), (n, links())
    assert n["table"] not in node_tables()
    node.kubectl("delete", "pod", "web", "-n", ns, "--grace-period=1", "--wait=false")


def test_masquerade_vm_stays_reachable_across_kill9(node_factory):
    node = node_factory()
    ns = unique("masqadopt")
    node.kubectl("create", "namespace", ns)
    pod_marker, vm_marker = unique("pod-hi"), unique("vm-hi")
    pod_ip = web_pod(node, ns, pod_marker)
    web_uid = node.kubectl_json("get", "pod", "web", "-n", ns)["metadata"]["uid"]
    name = unique("masq")
    apply_vm(node, ns, name, user_data("masqvm", vm_marker, pod_ip), {"name": "default", "masquerade": {}})
    vmi = running_vmi(node, ns, name)
    uid, ip = vmi["metadata"]["uid"], vmi["status"]["interfaces"][0]["ipAddress"]
    fetch_until(node, ns, "web", f"http://{ip}:{PORT}/", vm_marker)
    pid_file = node.data_dir / "vms" / uid / "masquerade" / "dnsmasq.pid"
    qemu = int(open(f"/run/libvirt/qemu/{ns}_{name}.pid").read().strip())
    old = dnsmasq_pids(pid_file)
    assert len(old) == 1, old

    # kill -9 the daemon, and its VM's dnsmasq too: the restarted agent must re-adopt the guest
    # without touching its plumbing, and start a new dnsmasq.
    node.kill9()
    os.kill(old[0], 9)
    wait_for(lambda: not dnsmasq_pids(pid_file), 10, "old dnsmasq gone")
    # The NAT lives in the kernel, not in corrald: the web pod still reaches the guest (from its netns; no API now).
    out = subprocess.run(["ip", "netns", "exec", f"corral-pod-{web_uid}", "timeout", "10", "wget", "-q", "-O", "-", f"http://{ip}:{PORT}/"],
                         capture_output=True, text=True)
    assert vm_marker in out.stdout, out
    node.start(timeout=120)
    new = wait_for(lambda: dnsmasq_pids(pid_file), 60, "dnsmasq restarted on re-adoption")
    assert new != old
    assert os.stat(f"/proc/{new[0]}/ns/net").st_ino == os.stat(f"/run/netns/{names(uid)['netns']}").st_ino
    assert int(open(f"/run/libvirt/qemu/{ns}_{name}.pid").read().strip()) == qemu, "QEMU was restarted instead of re-adopted"
    assert node.kubectl_json("get", "vmi", name, "-n", ns)["status"]["phase"] == "Running"
    fetch_until(node, ns, "web", f"http://{ip}:{PORT}/", vm_marker, timeout=60)

    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=90s", timeout=120)
    wait_for(lambda: not dnsmasq_pids(pid_file) and names(uid)["netns"] not in netns_list(), 60, "masquerade plumbing removed")
    assert not set(names(uid)["links"]) & links()
