"""tools/make-test-images: the archives are valid OCI layouts with the promised
contents, rebuilds are cached and byte-identical, and the VM images boot under
QEMU (TCG) and run their cloud-init user-data.

Stand-alone: `.venv/bin/pytest -v tests/images`. The images go to
$CORRAL_TEST_IMAGES_OUT (default: <tmp>/corral-test-images), so a second run
is a cache hit. Boot tests are named test_slow_boot_* (each < 60 s under TCG);
skip them with `-k "not slow_boot"` or CORRAL_SKIP_BOOT_TESTS=1.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "make-test-images"
sys.path.insert(0, str(REPO / "tools" / "test-images"))
import guestrun  # noqa: E402
import kmods  # noqa: E402
import ocicheck  # noqa: E402

NAMES = ["busybox", "kernelboot", "containerdisk"]
REF = "localhost/corral-test/{}:latest"
BOOT_TIMEOUT = 60
skip_boot = pytest.mark.skipif(os.environ.get("CORRAL_SKIP_BOOT_TESTS") == "1",
                               reason="CORRAL_SKIP_BOOT_TESTS=1")


def run_script(out: Path, env: dict | None = None) -> tuple[str, float]:
    t0 = time.monotonic()
    r = subprocess.run([str(SCRIPT), str(out)], capture_output=True, text=True,
                       env={**os.environ, **(env or {})}, timeout=600)
    assert r.returncode == 0, f"make-test-images failed:\n{r.stdout}\n{r.stderr}"
    return r.stdout, time.monotonic() - t0


@pytest.fixture(scope="session")
def outdir() -> Path:
    out = Path(os.environ.get("CORRAL_TEST_IMAGES_OUT", Path(tempfile.gettempdir()) / "corral-test-images"))
    log, secs = run_script(out)
    print(f"\nmake-test-images ({secs:.1f}s):\n{log}")
    return out


@pytest.fixture(scope="session")
def manifest(outdir: Path) -> dict:
    return json.loads((outdir / ".corral-test-images.json").read_text())


@pytest.fixture(scope="session")
def archives(outdir: Path) -> dict[str, ocicheck.OCIArchive]:
    return {n: ocicheck.read_archive(outdir / f"{n}.tar") for n in NAMES}


def parse_newc(data: bytes) -> dict[str, tuple[int, bytes]]:
    """path -> (mode, body) of a newc cpio archive (independent of the writer)."""
    out, off = {}, 0
    while True:
        assert data[off:off + 6] == b"070701", f"bad cpio magic at {off}"
        f = [int(data[off + 6 + 8 * i: off + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = data[off + 110: off + 110 + namesize - 1].decode()
        off = (off + 110 + namesize + 3) & ~3
        body = data[off: off + size]
        off = (off + size + 3) & ~3
        if name == "TRAILER!!!":
            return out
        out[name] = (mode, body)


def test_manifest_lists_every_image_with_its_digests(outdir, manifest, archives):
    for n in NAMES:
        entry = manifest["images"][n]
        arch = archives[n]
        assert entry["reference"] == REF.format(n)
        assert entry["manifestDigest"] == arch.descriptor["digest"]
        assert entry["configDigest"] == arch.manifest["config"]["digest"]
        assert entry["diffIDs"] == arch.config["rootfs"]["diff_ids"]
        data = (outdir / entry["file"]).read_bytes()
        assert entry["archiveDigest"] == ocicheck.sha256_hex(data)


@pytest.mark.parametrize("name", NAMES)
def test_archive_is_an_oci_layout_named_and_deterministic(archives, name):
    arch = archives[name]  # read_archive already checked digests, sizes and media types
    ann = arch.descriptor["annotations"]
    assert ann["org.opencontainers.image.ref.name"] == REF.format(name)
    assert ann["io.containerd.image.name"] == REF.format(name)
    assert arch.descriptor["platform"] == {"architecture": "amd64", "os": "linux"}
    assert any(e.startswith("PATH=/usr/local/sbin:") for e in arch.config["config"]["Env"])
    members = ocicheck.layer_members(arch)
    assert members, "empty layer"
    for path, m in members.items():
        assert m.mtime == 0, f"{path}: mtime {m.mtime}"
        assert m.uid in (0, 107) and m.gid in (0, 107), f"{path}: owner {m.uid}:{m.gid}"
    for raw in arch.layers:  # entries sorted, parents first
        names = [m.name.rstrip("/") for m in tarfile.open(fileobj=io.BytesIO(raw))]
        assert names == sorted(names, key=str.encode)


def test_skopeo_reads_the_archives(outdir):
    if not shutil.which("skopeo"):
        pytest.skip("skopeo not installed (apt-get install skopeo) - second opinion only")
    for n in NAMES:
        r = subprocess.run(["skopeo", "inspect", f"oci-archive:{outdir / n}.tar"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["Architecture"] == "amd64"


def test_busybox_image_has_applets_users_and_shell(archives, tmp_path):
    arch = archives["busybox"]
    assert arch.config["config"]["Cmd"] == ["sh"]
    members = ocicheck.layer_members(arch)
    applets = subprocess.run(["/bin/busybox", "--list-full"], capture_output=True, text=True).stdout.split()
    assert members["bin/busybox"].isfile() and members["bin/busybox"].mode == 0o755
    for a in set(applets) - {"bin/busybox"}:
        assert members[a].issym() and members[a].linkname == "/bin/busybox", a
    for a in ("bin/sh", "usr/sbin/httpd", "usr/bin/wget", "usr/bin/nc", "bin/sleep", "bin/cat"):
        assert a in members, a
    assert members["tmp"].mode == 0o1777
    passwd = ocicheck.read_file(arch, "etc/passwd").decode()
    assert "root:x:0:0:" in passwd and "nobody:x:65534:65534:" in passwd
    assert b"65534" in ocicheck.read_file(arch, "etc/group")
    assert ocicheck.read_file(arch, "var/www/index.html")
    if os.geteuid() == 0:  # run the image's shell in a chroot (no mounts, no network)
        root = ocicheck.extract_rootfs(arch, tmp_path / "root")
        script = "echo $((6*7)); wget --help 2>&1 | grep -o 'Usage: wget'"
        r = subprocess.run([shutil.which("chroot") or "/usr/sbin/chroot", str(root), "/bin/sh", "-c", script],
                           capture_output=True, text=True, timeout=30, env={"PATH": "/bin:/usr/bin"})
        assert r.stdout.startswith("42\n") and "Usage: wget" in r.stdout, r.stdout + r.stderr


def test_kernelboot_image_has_kernel_and_initramfs(archives):
    arch = archives["kernelboot"]
    kernel = ocicheck.read_file(arch, "boot/vmlinuz")
    assert kernel[0x202:0x206] == b"HdrS", "not a bzImage"
    files = parse_newc(gzip.decompress(ocicheck.read_file(arch, "boot/initramfs.img")))
    for p in ("init", "bin/busybox", "etc/inittab", "etc/corral/boot", "dev/console",
              "usr/share/udhcpc/default.script", "etc/acpi/PWRF/00000080"):
        assert p in files, p
    assert files["init"][1] == b"/bin/busybox"
    order = files["etc/corral/modules"][1].decode().split()
    for needed in ("virtio_pci", "virtio_blk", "virtio_net", "net_failover", "isofs", "sr_mod",
                   "cdrom", "ahci", "sd_mod", "pvpanic_mmio", "button", "evdev"):
        assert needed in order, needed
    for i, m in enumerate(order):  # every module's dependencies load before it
        info = kmods.modinfo(files[f"lib/modules/corral/{m}.ko"][1])
        for dep in filter(None, ",".join(info.get("depends", [])).split(",")):
            assert dep.replace("-", "_") in order[:i], f"{m} loads before its dependency {dep}"


def test_containerdisk_is_a_bootable_qcow2_with_the_same_kernel(archives, tmp_path):
    disk = ocicheck.read_file(archives["containerdisk"], "disk/disk.qcow2")
    assert disk[:4] == b"QFI\xfb"
    (tmp_path / "d.qcow2").write_bytes(disk)
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(tmp_path / "d.qcow2"), str(tmp_path / "d.raw")],
                   check=True)
    raw = (tmp_path / "d.raw").read_bytes()
    assert raw[510:512] == b"\x55\xaa" and b"SYSLINUX" in raw[:512]
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    for name in ("vmlinuz", "initrd.img", "syslinux.cfg"):
        subprocess.run(["mcopy", "-i", str(tmp_path / "d.raw"), f"::/{name}", str(tmp_path / name)],
                       check=True, env=env)
    kb = archives["kernelboot"]
    assert (tmp_path / "vmlinuz").read_bytes() == ocicheck.read_file(kb, "boot/vmlinuz")
    assert (tmp_path / "initrd.img").read_bytes() == ocicheck.read_file(kb, "boot/initramfs.img")
    assert "console=ttyS0" in (tmp_path / "syslinux.cfg").read_text()


def test_rebuild_is_cached_and_a_fresh_build_is_byte_identical(outdir, manifest, tmp_path):
    log, secs = run_script(outdir)
    assert all(f"{n}: up to date" in log for n in NAMES), log
    # From scratch: new OUTDIR and new cache (kernel unpacked again), warm .deb.
    deb_name = manifest["images"]["kernelboot"]["kernel"]["package"]
    # Where make-test-images keeps its .debs (same rule as the script).
    cache = Path("/var/cache/corral-test-images") if os.geteuid() == 0 else \
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "corral" / "test-images"
    cache = Path(os.environ.get("CORRAL_TEST_IMAGES_CACHE") or cache)
    deb = cache / "debs" / deb_name
    assert deb.exists(), deb
    log, secs = run_script(tmp_path / "out", {"CORRAL_TEST_IMAGES_CACHE": str(tmp_path / "cache"),
                                              "CORRAL_KERNEL_DEB": str(deb)})
    print(f"\nfresh build with a warm package cache: {secs:.1f}s")
    assert secs < 120
    for n in NAMES:
        assert (tmp_path / "out" / f"{n}.tar").read_bytes() == (outdir / f"{n}.tar").read_bytes(), n


def _rootfs(archives, name: str, tmp_path: Path) -> Path:
    return ocicheck.extract_rootfs(archives[name], tmp_path / name)


@skip_boot
def test_slow_boot_kernelboot_runs_user_data_dhcp_console_and_acpi_shutdown(archives, tmp_path):
    root = _rootfs(archives, "kernelboot", tmp_path)
    iso = guestrun.make_cidata(tmp_path / "cidata.iso", "#!/bin/sh\necho hello-from-user-data\n",
                               "instance-id: iid-kb\nlocal-hostname: kb-guest\n")
    args = guestrun.kernel_args(root / "boot/vmlinuz", root / "boot/initramfs.img", "console=ttyS0 panic=-1")
    with guestrun.Guest(args + guestrun.cidata_args(iso) + guestrun.net_args(), tmp_path) as g:
        marker = g.wait_for(guestrun.MARKER, BOOT_TIMEOUT)
        out = g.console()
        assert "hello-from-user-data" in out
        assert "corral-guest: hostname set to kb-guest" in out
        assert "corral-guest: eth0 bound 10.0.2.15/24" in out  # slirp's local DHCP
        first = g.first_line_time("[")
        print(f"\nkernelboot under TCG: first kernel line {first:.1f}s, marker {marker:.1f}s")
        g.type("echo typed-$((6*7))\n")  # the serial console is an interactive shell
        g.wait_for("typed-42", 20)
        g.monitor("system_powerdown")  # ACPI power button -> acpid -> poweroff
        assert g.wait_exit(30) == 0
        assert "corral-guest: ACPI power button pressed" in g.console()


@skip_boot
def test_slow_boot_containerdisk_with_sata_cidata_powers_off_cleanly(archives, tmp_path):
    root = _rootfs(archives, "containerdisk", tmp_path)
    iso = guestrun.make_cidata(tmp_path / "cidata.iso",
                               "#!/bin/sh\necho hello-from-user-data\n(sleep 1; poweroff -f) &\n",
                               "instance-id: iid-cd\nlocal-hostname: cd-guest\n")
    args = guestrun.disk_args(root / "disk/disk.qcow2") + guestrun.cidata_args(iso, bus="sata")
    with guestrun.Guest(args, tmp_path) as g:
        marker = g.wait_for(guestrun.MARKER, BOOT_TIMEOUT)
        assert g.wait_exit(30) == 0
        out = g.console()
        assert "hello-from-user-data" in out and "hostname set to cd-guest" in out
        assert "cidata found on /dev/sr0" in out
        print(f"\ncontainerdisk under TCG: first kernel line {g.first_line_time('['):.1f}s, "
              f"marker {marker:.1f}s")


@skip_boot
def test_slow_boot_guest_panic_is_reported_through_pvpanic(archives, tmp_path):
    root = _rootfs(archives, "kernelboot", tmp_path)
    # ConfigDrive flavour of cloud-init data this time (label config-2).
    iso = guestrun.make_cidata(tmp_path / "cidata.iso",
                               "#!/bin/sh\necho crashing-now\necho c >/proc/sysrq-trigger\n",
                               '{"uuid": "iid-panic", "hostname": "panic-guest"}', config_drive=True)
    args = guestrun.kernel_args(root / "boot/vmlinuz", root / "boot/initramfs.img") + \
        guestrun.cidata_args(iso) + ["-device", "pvpanic", "-action", "panic=exit-failure"]
    with guestrun.Guest(args, tmp_path) as g:
        rc = g.wait_exit(BOOT_TIMEOUT)
        out = g.console()
        assert "config-drive found on" in out and "hostname set to panic-guest" in out, out
        assert "crashing-now" in out and "Kernel panic" in out, out
        assert rc == 1, f"QEMU exit status {rc} (want 1: guest-panicked)"
        assert guestrun.MARKER not in out


@pytest.mark.skipif(os.environ.get("CORRAL_TEST_DEBIAN") != "1",
                    reason="opt-in: CORRAL_TEST_DEBIAN=1 (builds with --with-debian, boots for minutes under TCG)")
def test_slow_boot_debian_cloud_runs_cloud_init_user_data(outdir, tmp_path):
    if not (outdir / "debian-cloud.tar").exists():
        r = subprocess.run([str(SCRIPT), "--with-debian", str(outdir)], capture_output=True, text=True,
                           timeout=1800)
        assert r.returncode == 0, r.stdout + r.stderr
    arch = ocicheck.read_archive(outdir / "debian-cloud.tar")
    assert arch.descriptor["annotations"]["org.opencontainers.image.ref.name"] == REF.format("debian-cloud")
    root = ocicheck.extract_rootfs(arch, tmp_path / "debian")
    iso = guestrun.make_cidata(tmp_path / "cidata.iso", "#!/bin/sh\necho hello-from-debian-user-data\n",
                               "instance-id: iid-deb\nlocal-hostname: deb-guest\n")
    args = guestrun.disk_args(root / "disk/disk.qcow2") + guestrun.cidata_args(iso) + guestrun.net_args()
    with guestrun.Guest(args, tmp_path, memory_mib=1024) as g:
        t = g.wait_for("hello-from-debian-user-data", 600)
        g.wait_for("deb-guest login:", 120)
        print(f"\ndebian-cloud under TCG: user-data ran at {t:.0f}s")
        g.monitor("system_powerdown")  # logind handles the power button
        assert g.wait_exit(300) == 0
