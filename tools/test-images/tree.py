"""An in-memory file tree (paths, modes, owners, contents) shared by the
tar-layer and cpio writers, so both archives come from one description and
are deterministic: fixed mtime, sorted entries, explicit owners."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

FIXED_MTIME = 0  # 1970-01-01: every entry gets this mtime, so digests are stable.


@dataclass
class Entry:
    """One filesystem object. path is relative, without a leading slash."""
    path: str
    kind: str  # "dir" | "file" | "symlink" | "chr"
    mode: int
    uid: int = 0
    gid: int = 0
    data: bytes | None = None  # file contents held in memory
    source: Path | None = None  # or: file contents read from this host path
    target: str = ""  # symlink target
    rdev: tuple[int, int] = (0, 0)  # (major, minor) for "chr"

    def read(self) -> bytes:
        """Returns the file's contents."""
        if self.data is not None:
            return self.data
        if self.source is not None:
            return self.source.read_bytes()
        return b""

    def size(self) -> int:
        """Returns the file's size without reading a large source into memory."""
        if self.data is not None:
            return len(self.data)
        if self.source is not None:
            return self.source.stat().st_size
        return 0


@dataclass
class Tree:
    """A set of entries keyed by path; parent directories are added on demand."""
    entries: dict[str, Entry] = field(default_factory=dict)

    def _parents(self, path: str) -> None:
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            p = "/".join(parts[:i])
            if p not in self.entries:
                self.entries[p] = Entry(p, "dir", 0o755)

    def add(self, e: Entry) -> None:
        """Adds (or replaces) an entry and any missing parent directories."""
        e.path = e.path.strip("/")
        self._parents(e.path)
        self.entries[e.path] = e

    def dir(self, path: str, mode: int = 0o755, uid: int = 0, gid: int = 0) -> None:
        """Adds a directory."""
        self.add(Entry(path, "dir", mode, uid, gid))

    def file(self, path: str, data: bytes | str | None = None, mode: int = 0o644,
             source: Path | None = None, uid: int = 0, gid: int = 0) -> None:
        """Adds a regular file from bytes/str or from a host file."""
        if isinstance(data, str):
            data = data.encode()
        self.add(Entry(path, "file", mode, uid, gid, data=data, source=source))

    def symlink(self, path: str, target: str) -> None:
        """Adds a symbolic link."""
        self.add(Entry(path, "symlink", 0o777, target=target))

    def chardev(self, path: str, major: int, minor: int, mode: int = 0o600) -> None:
        """Adds a character device node (only meaningful in an initramfs)."""
        self.add(Entry(path, "chr", mode, rdev=(major, minor)))

    def sorted(self) -> list[Entry]:
        """Entries in byte order of their paths (parents before children)."""
        return [self.entries[k] for k in sorted(self.entries, key=lambda p: p.encode())]


def busybox_tree(busybox: Path, applets: list[str]) -> Tree:
    """A tree holding /bin/busybox and one symlink per applet.

    applets are the lines of `busybox --list-full` (e.g. "usr/bin/wget").
    Links are absolute (/bin/busybox), as in Alpine's images.
    """
    t = Tree()
    t.file("bin/busybox", source=busybox, mode=0o755)
    for a in sorted(set(applets)):
        a = a.strip().strip("/")
        if a and a != "bin/busybox":
            t.symlink(a, "/bin/busybox")
    return t


def base_system(t: Tree) -> None:
    """Adds the minimal /etc, /tmp, /root and /var/www a busybox system needs."""
    t.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                         "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    t.file("etc/group", "root:x:0:\nnogroup:x:65534:\n")
    t.file("etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
    t.file("etc/nsswitch.conf", "hosts: files dns\n")
    t.dir("tmp", 0o1777)
    t.dir("root", 0o700)
    t.dir("proc")
    t.dir("sys")
    t.dir("dev")
    t.dir("var/www")
    t.file("var/www/index.html", "<html><body>corral-test busybox</body></html>\n")


def digest_inputs(parts: list[bytes | str | Path]) -> str:
    """A sha256 over build inputs (bytes, strings, or files by content)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, Path):
            with p.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()
