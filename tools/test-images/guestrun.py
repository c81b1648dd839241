"""Boot a test guest under raw QEMU (TCG) and watch its serial console.

Used by tests/images/test_make_test_images.py and handy by hand:
  python3 tools/test-images/guestrun.py OUTDIR/kernelboot.tar   (boots, prints the console)

Only `-netdev user,restrict=on` networking is used: slirp answers DHCP
itself and restrict=on keeps the guest from reaching anything outside.
QEMU runs in its own session and is always ended by its PID.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MARKER = "corral-guest: user-data done"


def make_cidata(path: Path, user_data: str, meta_data: str, config_drive: bool = False) -> Path:
    """Writes a cloud-init ISO: NoCloud (label cidata: user-data, meta-data) or,
    with config_drive, ConfigDrive (label config-2: openstack/latest/user_data,
    meta_data.json)."""
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        if config_drive:
            (root / "openstack/latest").mkdir(parents=True)
            (root / "openstack/latest/user_data").write_text(user_data)
            (root / "openstack/latest/meta_data.json").write_text(meta_data)
        else:
            (root / "user-data").write_text(user_data)
            (root / "meta-data").write_text(meta_data)
        subprocess.run(["genisoimage", "-quiet", "-output", str(path),
                        "-volid", "config-2" if config_drive else "cidata",
                        "-joliet", "-rock", str(root)], check=True)
    return path


class Guest:
    """A running QEMU whose serial console is read line by line with timestamps."""

    def __init__(self, args: list[str], workdir: Path, memory_mib: int = 256):
        self.monitor_path = workdir / "monitor.sock"
        cmd = ["qemu-system-x86_64", "-machine", "q35,accel=tcg", "-m", str(memory_mib), "-smp", "1",
               "-display", "none", "-serial", "stdio", "-no-reboot",
               "-monitor", f"unix:{self.monitor_path},server=on,wait=off"] + args
        if "-netdev" not in args:
            cmd += ["-nic", "none"]  # no default (unrestricted) slirp NIC
        self.lines: list[tuple[float, str]] = []
        self._partial = b""
        self._cond = threading.Condition()
        self.start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            with self._cond:
                if not chunk:
                    if self._partial:
                        self.lines.append((time.monotonic() - self.start, self._partial.decode("utf-8", "replace")))
                    self._partial = b""
                    self._cond.notify_all()
                    return
                self._partial += chunk
                while b"\n" in self._partial:
                    line, self._partial = self._partial.split(b"\n", 1)
                    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line.decode("utf-8", "replace")).strip("\r")
                    self.lines.append((time.monotonic() - self.start, text))
                self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> float:
        """Seconds from QEMU start to the first line containing pattern; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, line in self.lines:
                    if pattern in line:
                        return t
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise TimeoutError(f"{pattern!r} not seen on the console:\n{self.console()}")
                self._cond.wait(min(left, 0.5))

    def first_line_time(self, prefix: str = "") -> float | None:
        """Seconds to the first console line starting with prefix (any line if empty)."""
        for t, line in self.lines:
            if line.strip() and line.startswith(prefix):
                return t
        return None

    def type(self, text: str) -> None:
        """Types text on the serial console."""
        assert self.proc.stdin
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def monitor(self, command: str) -> None:
        """Sends one HMP command (e.g. system_powerdown) to the QEMU monitor."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.monitor_path))
            s.sendall(command.encode() + b"\n")
            time.sleep(0.2)

    def wait_exit(self, timeout: float) -> int:
        """QEMU's exit status; raises TimeoutError if it is still running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"QEMU still running after {timeout}s:\n{self.console()}") from None

    def console(self) -> str:
        """The console output so far."""
        with self._cond:
            return "\n".join(line for _, line in self.lines)

    def stop(self) -> None:
        """Ends QEMU (by PID) if it is still running."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._reader.join(2)

    def __enter__(self) -> "Guest":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def kernel_args(vmlinuz: Path, initrd: Path, append: str = "console=ttyS0") -> list[str]:
    """QEMU arguments for direct kernel boot (what KubeVirt's kernelBoot does)."""
    return ["-kernel", str(vmlinuz), "-initrd", str(initrd), "-append", append]


def disk_args(qcow2: Path) -> list[str]:
    """QEMU arguments booting a qcow2 through SeaBIOS (writes go to a snapshot)."""
    return ["-drive", f"file={qcow2},if=virtio,format=qcow2,snapshot=on"]


def cidata_args(iso: Path, bus: str = "virtio") -> list[str]:
    """QEMU arguments attaching the cidata ISO (virtio disk or SATA CD-ROM)."""
    if bus == "sata":
        return ["-drive", f"file={iso},if=none,id=cidata,media=cdrom,readonly=on,format=raw",
                "-device", "ide-cd,drive=cidata,bus=ide.2"]
    return ["-drive", f"file={iso},if=virtio,media=cdrom,readonly=on,format=raw"]


def net_args() -> list[str]:
    """A virtio NIC on slirp with restrict=on (DHCP answered locally, no outside access).

    romfile= drops the iPXE option ROM, which costs seconds under TCG.
    """
    return ["-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0,romfile="]


if __name__ == "__main__":
    import ocicheck
    arch = Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as d:
        files = ocicheck.extract_rootfs(ocicheck.read_archive(arch), Path(d) / "root")
        iso = make_cidata(Path(d) / "cidata.iso", "#!/bin/sh\necho hello-from-user-data\npoweroff -f\n",
                          "instance-id: manual\nlocal-hostname: manual\n")
        boot = (disk_args(files / "disk/disk.qcow2") if (files / "disk").exists()
                else kernel_args(files / "boot/vmlinuz", files / "boot/initramfs.img"))
        with Guest(boot + cidata_args(iso) + net_args(), Path(d)) as g:
            g.wait_exit(120)
            print(g.console())
