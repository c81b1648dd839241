"""A BIOS-bootable qcow2 disk holding a kernel + initramfs, made without
root, loop devices or mounts: a partitionless FAT filesystem ("superfloppy")
made by mkfs.vfat, filled with mtools, made bootable by `syslinux --install`
(the mtools flavour works on an image file), then `qemu-img convert`.

SeaBIOS loads sector 0 (syslinux's FAT boot sector) like any MBR, so no
partition table is needed. Output is deterministic: fixed volume id, and
SOURCE_DATE_EPOCH for every timestamp mtools writes.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

EPOCH = "946684800"  # 2000-01-01: FAT cannot store dates before 1980.


class BootDiskError(Exception):
    """A tool needed for the boot disk failed."""


def syslinux_cfg(append: str) -> str:
    """Returns the syslinux.cfg that boots /vmlinuz with /initrd.img at once."""
    return ("SERIAL 0 115200\n"
            "DEFAULT corral\n"
            "PROMPT 0\n"
            "TIMEOUT 0\n"
            "LABEL corral\n"
            "  LINUX /vmlinuz\n"
            "  INITRD /initrd.img\n"
            f"  APPEND {append}\n")


def _run(cmd: list[str], env: dict[str, str]) -> None:
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise BootDiskError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stdout.strip()}")


def make_qcow2(kernel: bytes, initrd: bytes, append: str, size_mib: int = 64) -> bytes:
    """Returns the bytes of a qcow2 image that boots kernel+initrd under SeaBIOS."""
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, MTOOLS_SKIP_CHECK="1", LC_ALL="C")
    env.pop("MTOOLSRC", None)
    with tempfile.TemporaryDirectory(prefix="corral-bootdisk.") as tmp:
        d = Path(tmp)
        files = {"vmlinuz": kernel, "initrd.img": initrd, "syslinux.cfg": syslinux_cfg(append).encode()}
        for name, data in files.items():
            (d / name).write_bytes(data)
            os.utime(d / name, (int(EPOCH), int(EPOCH)))
        raw = d / "disk.raw"
        with raw.open("wb") as f:
            f.truncate(size_mib << 20)
        _run(["mkfs.vfat", "-i", "c0a1c0a1", str(raw)], env)
        _run(["mlabel", "-i", str(raw), "::CORRALBOOT"], env)
        _run(["mcopy", "-m", "-i", str(raw)] + [str(d / n) for n in sorted(files)] + ["::/"], env)
        _run(["syslinux", "--install", str(raw)], env)
        out = d / "disk.qcow2"
        _run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(out)], env)
        return out.read_bytes()
