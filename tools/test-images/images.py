"""What goes into each test image: file trees and image configs.

Pure description (trees of entries); build.py does the I/O and caching.
"""
from __future__ import annotations

from pathlib import Path

from kernel import KernelParts
from oci import DEFAULT_PATH, ImageConfig
from tree import Tree, base_system, busybox_tree

GUEST_DIR = Path(__file__).resolve().parent / "guest"
QEMU_UID = 107  # KubeVirt's qemu user: owner of kernel/initrd/disk files in its images.

REFS = {
    "busybox": "localhost/corral-test/busybox:latest",
    "kernelboot": "localhost/corral-test/kernelboot:latest",
    "containerdisk": "localhost/corral-test/containerdisk:latest",
    "debian-cloud": "localhost/corral-test/debian-cloud:latest",
}
# Paths inside the images (what VMI specs reference).
KERNEL_PATH = "/boot/vmlinuz"
INITRD_PATH = "/boot/initramfs.img"
DISK_PATH = "/disk/disk.qcow2"
# Kernel command line baked into the containerdisk's syslinux.cfg.
DISK_APPEND = "console=tty0 console=ttyS0,115200"


def busybox_image(busybox: Path, applets: list[str]) -> tuple[Tree, ImageConfig]:
    """The busybox container image: busybox + applet links + a minimal /etc."""
    t = busybox_tree(busybox, applets)
    base_system(t)
    return t, ImageConfig(env=[DEFAULT_PATH], cmd=["sh"])


def initramfs_tree(busybox: Path, applets: list[str], kernel: KernelParts) -> Tree:
    """The guest's initramfs: busybox system + init scripts + kernel modules."""
    t = busybox_tree(busybox, applets)
    base_system(t)
    # busybox init reads /etc/inittab; the kernel runs /init from an initramfs.
    t.symlink("init", "/bin/busybox")
    t.chardev("dev/console", 5, 1)
    t.chardev("dev/null", 1, 3, 0o666)
    t.chardev("dev/ttyS0", 4, 64)
    for d in ("run", "mnt", "var/log", "etc/corral"):
        t.dir(d)
    t.file("etc/inittab", source=GUEST_DIR / "inittab")
    t.file("etc/corral/boot", source=GUEST_DIR / "boot", mode=0o755)
    t.file("etc/corral/shutdown", source=GUEST_DIR / "shutdown", mode=0o755)
    t.file("etc/acpi/PWRF/00000080", source=GUEST_DIR / "acpi-power", mode=0o755)
    t.file("usr/share/udhcpc/default.script", source=GUEST_DIR / "udhcpc.script", mode=0o755)
    t.file("etc/hostname", "corral-guest\n")
    t.file("etc/os-release", 'NAME="Corral test guest"\nID=corral-guest\n'
                             f'VERSION_ID="{kernel.version}"\n')
    names = []
    for ko in kernel.modules:
        name = ko.name[:-3]
        names.append(name)
        t.file(f"lib/modules/corral/{name}.ko", source=ko)
    t.file("etc/corral/modules", "".join(n + "\n" for n in names))
    return t


def kernelboot_image(vmlinuz: bytes, initramfs: bytes) -> tuple[Tree, ImageConfig]:
    """KubeVirt kernelBoot container: /boot/vmlinuz + /boot/initramfs.img."""
    t = Tree()
    t.file(KERNEL_PATH, vmlinuz, uid=QEMU_UID, gid=QEMU_UID)
    t.file(INITRD_PATH, initramfs, uid=QEMU_UID, gid=QEMU_UID)
    return t, ImageConfig(env=[DEFAULT_PATH], cmd=["/bin/true"],
                          labels={"io.corral.kernel-path": KERNEL_PATH,
                                  "io.corral.initrd-path": INITRD_PATH})


def containerdisk_image(qcow2: bytes) -> tuple[Tree, ImageConfig]:
    """KubeVirt containerDisk: one qcow2 under /disk/."""
    t = Tree()
    t.file(DISK_PATH, qcow2, uid=QEMU_UID, gid=QEMU_UID)
    return t, ImageConfig(env=[DEFAULT_PATH], cmd=["/bin/true"],
                          labels={"io.corral.disk-path": DISK_PATH})
