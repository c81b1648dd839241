#!/usr/bin/env python3
"""Builds the Corral test images (OCI archives) into OUTDIR; called by
tools/make-test-images, which first makes sure the Debian tools and the
kernel .deb are there.

Each image is rebuilt only when its inputs (these scripts, the busybox
binary, the kernel package) changed; OUTDIR/.corral-test-images.json records
the inputs digest and the resulting digests of every image.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import bootdisk
import cpio
import images
import kernel
import oci
import tree

HERE = Path(__file__).resolve().parent
MANIFEST = ".corral-test-images.json"


def log(msg: str) -> None:
    print(f"make-test-images: {msg}", flush=True)


def file_sha256(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def is_static_elf(p: Path) -> bool:
    """True if p is an ELF executable without a PT_INTERP (dynamic loader) header."""
    import struct
    data = p.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 2:
        return False
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    return all(struct.unpack_from("<I", data, phoff + i * phentsize)[0] != 3 for i in range(phnum))


# Files next to the builder that do not shape the images (test helpers, docs).
NOT_INPUTS = {"guestrun.py", "ocicheck.py", "README.md", "debian-cloud.sh"}


def script_inputs() -> list[Path]:
    """Every file of this builder: a change to any of them rebuilds all images."""
    return sorted(p for p in HERE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.name not in NOT_INPUTS)


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class Builder:
    """Builds images on demand, reusing results whose inputs are unchanged."""

    def __init__(self, out: Path, cache: Path, busybox: Path, kernel_deb: Path | None,
                 extra_input: str = "", debian_disk: Path | None = None):
        self.out, self.cache, self.busybox, self.kernel_deb = out, cache, busybox, kernel_deb
        self.extra_input, self.debian_disk = extra_input, debian_disk
        mpath = out / MANIFEST
        self.old = json.loads(mpath.read_text()).get("images", {}) if mpath.exists() else {}
        self.new: dict[str, dict] = {}
        self.applets = subprocess.run([str(busybox), "--list-full"], check=True,
                                      capture_output=True, text=True).stdout.split()
        self._kernel: kernel.KernelParts | None = None
        self._initramfs: bytes | None = None
        self.base_inputs = [str(p.relative_to(HERE)) for p in script_inputs()] + script_inputs() + [busybox]

    def kernel(self) -> kernel.KernelParts:
        if self._kernel is None:
            if self.kernel_deb is None:
                raise SystemExit("make-test-images: no kernel package given (--kernel-deb)")
            self._kernel = kernel.prepare(self.kernel_deb, self.cache, log)
        return self._kernel

    def initramfs(self) -> bytes:
        if self._initramfs is None:
            k = self.kernel()
            self._initramfs = cpio.newc_gz(images.initramfs_tree(self.busybox, self.applets, k))
            log(f"initramfs: {len(self._initramfs) / 1e6:.1f} MB, kernel {k.version}, "
                f"{len(k.modules)} modules")
        return self._initramfs

    def up_to_date(self, name: str, inputs: str) -> bool:
        old = self.old.get(name)
        path = self.out / f"{name}.tar"
        if not old or old.get("inputs") != inputs or not path.exists():
            return False
        if path.stat().st_size != old.get("archiveSize") or file_sha256(path) != old.get("archiveDigest"):
            return False
        self.new[name] = old
        return True

    def inputs(self, name: str) -> str:
        """Digest of everything image name is made from."""
        extra: list = [self.extra_input]
        if name in ("kernelboot", "containerdisk") and self.kernel_deb:
            extra += [self.kernel_deb.name, str(self.kernel_deb.stat().st_size)]
        return "sha256:" + tree.digest_inputs(self.base_inputs + [name] + extra)

    def build(self, name: str) -> None:
        inputs = self.inputs(name)
        if self.up_to_date(name, inputs):
            log(f"{name}: up to date ({self.new[name]['manifestDigest']})")
            return
        t0 = time.monotonic()
        layout: dict[str, str] = {}
        if name == "busybox":
            t, cfg = images.busybox_image(self.busybox, self.applets)
            layout = {"shell": "/bin/sh", "busybox": "/bin/busybox", "www": "/var/www/index.html"}
        elif name == "kernelboot":
            t, cfg = images.kernelboot_image(self.kernel().vmlinuz.read_bytes(), self.initramfs())
            layout = {"kernelPath": images.KERNEL_PATH, "initrdPath": images.INITRD_PATH}
        elif name == "containerdisk":
            qcow2 = bootdisk.make_qcow2(self.kernel().vmlinuz.read_bytes(), self.initramfs(),
                                        images.DISK_APPEND)
            t, cfg = images.containerdisk_image(qcow2)
            layout = {"disk": images.DISK_PATH, "kernelArgs": images.DISK_APPEND}
        elif name == "debian-cloud" and self.debian_disk:
            t, cfg = images.containerdisk_image(self.debian_disk.read_bytes())
            layout = {"disk": images.DISK_PATH}
        else:
            raise SystemExit(f"make-test-images: cannot build image {name}")
        img = oci.build_image(images.REFS[name], [t], cfg, compresslevel=1 if name == "debian-cloud" else 6)
        path = self.out / f"{name}.tar"
        write_atomic(path, img.archive)
        self.new[name] = {
            "file": path.name, "reference": img.reference, "inputs": inputs,
            "manifestDigest": img.manifest_digest, "configDigest": img.config_digest,
            "layers": img.layer_digests, "diffIDs": img.diff_ids,
            "archiveDigest": oci.sha256(img.archive), "archiveSize": len(img.archive),
            "layout": layout,
        }
        if name in ("kernelboot", "containerdisk"):
            self.new[name]["kernel"] = {"package": self.kernel_deb.name, "version": self.kernel().version}
        log(f"{name}: wrote {path} ({len(img.archive) / 1e6:.1f} MB, {img.manifest_digest}) "
            f"in {time.monotonic() - t0:.1f}s")

    def write_manifest(self) -> None:
        merged = {**{k: v for k, v in self.old.items() if (self.out / v.get("file", "")).exists()},
                  **self.new}
        doc = {"version": 1, "generator": "tools/make-test-images", "images": merged}
        write_atomic(self.out / MANIFEST, (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode())


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--busybox", required=True, type=Path)
    ap.add_argument("--kernel-deb", type=Path)
    ap.add_argument("--images", default="busybox,kernelboot,containerdisk")
    ap.add_argument("--extra-input", default="", help="more input identity (debian-cloud)")
    ap.add_argument("--debian-disk", type=Path, help="qcow2 made by debian-cloud.sh")
    ap.add_argument("--check", action="store_true", help="exit 0 if all up to date, 3 if not")
    a = ap.parse_args(argv)
    if not is_static_elf(a.busybox):
        log(f"ERROR: {a.busybox} is not a static binary: install busybox-static (not busybox)")
        return 1
    a.out.mkdir(parents=True, exist_ok=True)
    a.cache.mkdir(parents=True, exist_ok=True)
    b = Builder(a.out.resolve(), a.cache.resolve(), a.busybox, a.kernel_deb, a.extra_input, a.debian_disk)
    names = list(filter(None, a.images.split(",")))
    if a.check:
        stale = [n for n in names if not b.up_to_date(n, b.inputs(n))]
        log(f"{', '.join(names)}: " + (f"stale: {', '.join(stale)}" if stale else "up to date"))
        return 3 if stale else 0
    try:
        for name in names:
            b.build(name)
    except (kernel.KernelError, kernel.kmods.KmodError, bootdisk.BootDiskError) as e:
        log(f"ERROR: {e}")
        return 1
    finally:
        b.write_manifest()
    log(f"manifest: {a.out / MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
