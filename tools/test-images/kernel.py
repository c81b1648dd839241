"""Kernel and modules taken from a Debian linux-image .deb, never installed.

The .deb is unpacked (dpkg-deb -x) into a temporary directory once; the
kernel, the wanted modules and their dependencies are copied into a small
cache directory keyed by the package file name and the module list, so
later builds skip the 400 MB unpack.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import kmods

# Drivers the test guest needs on q35/i440fx under QEMU/libvirt/KubeVirt:
# virtio (pci, blk, net, scsi, console, rng, balloon), SATA/IDE CD-ROM and
# disks (cloud-init ISO on a sata bus), ISO9660 and FAT (cidata), e1000(e)
# NICs, pvpanic (guest panic -> libvirt "crashed"), ACPI power button + evdev
# (graceful shutdown via acpid). crc providers first: crc_t10dif and
# crc64_rocksoft look them up through the crypto API at load time.
WANTED_MODULES = [
    "crct10dif_generic", "crc64_rocksoft_generic",
    "virtio_pci", "virtio_blk", "virtio_net", "virtio_scsi", "virtio_console",
    "virtio_rng", "virtio_balloon",
    "ahci", "ata_piix", "sd_mod", "sr_mod", "isofs",
    "vfat", "nls_cp437", "nls_iso8859_1", "nls_utf8",
    "e1000", "e1000e",
    "pvpanic_mmio", "pvpanic_pci",
    "button", "evdev",
]


@dataclass
class KernelParts:
    """A kernel image and an ordered list of module files to load."""
    version: str
    vmlinuz: Path
    modules: list[Path]  # in load order (dependencies first)


class KernelError(Exception):
    """The kernel package could not be unpacked or lacks something."""


def _select(root: Path) -> tuple[str, Path, Path, list[str]]:
    boot = sorted((root / "boot").glob("vmlinuz-*"))
    if len(boot) != 1:
        raise KernelError(f"expected one /boot/vmlinuz-* in the package, found {len(boot)}")
    version = boot[0].name[len("vmlinuz-"):]
    moddir = root / "lib" / "modules" / version
    index = kmods.index_modules(moddir)
    order = kmods.closure(WANTED_MODULES, index, kmods.builtin_names(moddir))
    return version, boot[0], moddir, order


def prepare(deb: Path, cache: Path, log=print) -> KernelParts:
    """Returns the kernel and modules from deb, unpacking into cache if needed."""
    key = {"deb": deb.name, "size": deb.stat().st_size, "wanted": WANTED_MODULES}
    dest = cache / "kernel" / deb.name.removesuffix(".deb")
    stamp = dest / "corral-kernel.json"
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("key") == key:
            return KernelParts(info["version"], dest / "vmlinuz",
                               [dest / "modules" / f"{m}.ko" for m in info["order"]])
    log(f"unpacking {deb.name} (kernel + {len(WANTED_MODULES)} wanted modules)")
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "modules").mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="corral-kernel.", dir=cache) as tmp:
        r = subprocess.run(["dpkg-deb", "-x", str(deb), tmp], stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise KernelError(f"dpkg-deb -x {deb} failed: {r.stderr.strip()}")
        version, vmlinuz, moddir, order = _select(Path(tmp))
        shutil.copyfile(vmlinuz, dest / "vmlinuz")
        index = kmods.index_modules(moddir)
        for m in order:
            shutil.copyfile(index[m], dest / "modules" / f"{m}.ko")
    stamp.write_text(json.dumps({"key": key, "version": version, "order": order}, indent=1) + "\n")
    return KernelParts(version, dest / "vmlinuz", [dest / "modules" / f"{m}.ko" for m in order])
