"""EFI firmware (OVMF) end to end: KubeVirt's `firmware.bootloader.efi` boots the
kernelBoot test guest (Debian kernel + busybox initramfs, loaded by OVMF through
fw_cfg) under UEFI on real QEMU (TCG here). The guest's user-data reports what it
sees; the launcher pod's log (the serial console) must show it. Deleting the VM
must leave nothing behind: no libvirt domain, no EFI variable store, no VM dir.

A BIOS kernelBoot VM runs the same script as a control (it must say efi=no).

Secure boot: Debian 12's OVMF (edk2 2022.11) loads a kernel given through
fw_cfg even when it does not verify against the enrolled (Microsoft) keys, by
falling back to its legacy bzImage loader, so the Debian kernel boots with secure
boot on and locks itself down ("secureboot: Secure boot enabled" in dmesg). The
test asserts exactly that; a newer OVMF that refuses such kernels will fail it
on purpose, so the behaviour change gets noticed."""
from __future__ import annotations

import json
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import unique
from test_vms import launcher_pod, vm_manifest, wait_for

BOOT = 300  # TCG + OVMF on two shared cores: generous
VIRSH = ["virsh", "-c", "qemu:///system"]
LIBVIRT_NVRAM_DIR = Path("/var/lib/libvirt/qemu/nvram")

# Prints what the guest booted under; /sys is already mounted by the test guest's init,
# mounted here again only if not.
REPORT = """#!/bin/sh
[ -d /sys/firmware ] || mount -t sysfs sysfs /sys
if [ -d /sys/firmware/efi ]; then echo efi=yes; else echo efi=no; fi
echo "sb=$(dmesg | grep -o 'Secure boot [a-z]*' | head -n 1)"
echo corral-test: firmware report done
"""

FIRMWARE = {
    "bios": None,
    "efi": {"bootloader": {"efi": {"secureBoot": False}}},
    "secureboot": {"bootloader": {"efi": {"secureBoot": True}}},
}


def manifest(name: str, ns: str, firmware: str) -> dict:
    vm = vm_manifest(name, ns, kernel_boot=True, user_data=REPORT)
    domain = vm["spec"]["template"]["spec"]["domain"]
    if FIRMWARE[firmware]:
        domain["firmware"].update(FIRMWARE[firmware])
    if firmware == "secureboot":
        domain["features"] = {"smm": {"enabled": True}}  # KubeVirt requires SMM for secure boot
    return vm


def virsh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*VIRSH, *args], capture_output=True, text=True, timeout=60)


def domain_names() -> list[str]:
    return virsh("list", "--all", "--name").stdout.split()


def running_vmi(node, ns: str, name: str) -> dict | None:
    if node.kubectl("get", "vmi", name, "-n", ns, check=False).returncode != 0:
        return None
    vmi = node.kubectl_json("get", "vmi", name, "-n", ns)
    return vmi if vmi.get("status", {}).get("phase") == "Running" else None


def console(node, ns: str, pod: str) -> str:
    return node.kubectl("logs", pod, "-n", ns, check=False).stdout


@pytest.mark.parametrize("firmware", ["bios", "efi", "secureboot"])
def test_kernelboot_guest_under_firmware_then_nothing_left(node, ns, firmware):
    name = unique("efi")
    started = time.monotonic()
    node.kubectl("apply", "-f", "-", input=json.dumps(manifest(name, ns, firmware)))
    vmi = wait_for(lambda: running_vmi(node, ns, name), BOOT, "VMI Running")
    running_after = time.monotonic() - started
    conds = {c["type"]: c["status"] for c in vmi["status"]["conditions"]}
    assert conds.get("Ready") == "True", vmi["status"]

    uid = vmi["metadata"]["uid"]
    vm_dir = node.data_dir / "vms" / uid
    domain = (vm_dir / "domain-name").read_text().strip()
    assert domain in domain_names()
    xml = ET.fromstring(virsh("dumpxml", domain).stdout)
    loader, nvram = xml.find("os/loader"), xml.find("os/nvram")
    if firmware == "bios":
        assert loader is None and nvram is None
    else:
        secure = firmware == "secureboot"
        assert loader is not None and loader.get("type") == "pflash" and loader.get("readonly") == "yes"
        assert loader.get("secure") == ("yes" if secure else "no")
        assert loader.text == ("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd" if secure else "/usr/share/OVMF/OVMF_CODE_4M.fd")
        assert (xml.find("features/smm") is not None and xml.find("features/smm").get("state") == "on") == secure
        # The variable store is per VM, inside the VM dir, copied from the matching template.
        assert nvram is not None and nvram.text == str(vm_dir / "nvram.fd"), ET.tostring(nvram)
        assert nvram.get("template") == ("/usr/share/OVMF/OVMF_VARS_4M.ms.fd" if secure else "/usr/share/OVMF/OVMF_VARS_4M.fd")
        assert (vm_dir / "nvram.fd").is_file()

    pod = launcher_pod(node, ns, name)["metadata"]["name"]
    out = wait_for(lambda: (lambda s: s if "corral-test: firmware report done" in s else None)(console(node, ns, pod)),
                   BOOT, "firmware report on the console")
    reported_after = time.monotonic() - started
    lines = [l.strip() for l in out.replace("\r", "\n").splitlines()]
    assert ("efi=no" if firmware == "bios" else "efi=yes") in lines, out[-3000:]
    if firmware == "secureboot":
        assert "sb=Secure boot enabled" in lines, out[-3000:]
        assert "EFI stub: UEFI Secure Boot is enabled." in out, out[-3000:]  # after OVMF's screen-clearing escapes
    elif firmware == "efi":
        assert "sb=Secure boot disabled" in lines, out[-3000:]
    print(f"\n{firmware}: VMI Running after {running_after:.1f}s, firmware report on the console after {reported_after:.1f}s")

    node.kubectl("delete", "vm", name, "-n", ns, "--wait=true", "--timeout=120s", timeout=150)
    wait_for(lambda: launcher_pod(node, ns, name) is None, 90, "launcher pod gone")
    wait_for(lambda: domain not in domain_names(), 90, f"domain {domain} undefined")
    wait_for(lambda: not vm_dir.exists(), 90, f"VM dir {vm_dir} removed")
    # Nothing in libvirt's own default store either (where it would go without a per-VM path).
    leftovers = sorted(p.name for p in LIBVIRT_NVRAM_DIR.glob(f"{domain}*")) if LIBVIRT_NVRAM_DIR.exists() else []
    assert leftovers == []
