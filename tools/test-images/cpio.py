"""Deterministic cpio "newc" writer for initramfs images.

The kernel's initramfs unpacker reads newc (magic 070701). Writing it here
rather than with cpio(1) lets us set owners, device nodes and mtimes
without root and without touching files on disk.
"""
from __future__ import annotations

import gzip
import io
import stat

from tree import FIXED_MTIME, Tree

_KIND_BITS = {"dir": stat.S_IFDIR, "file": stat.S_IFREG, "symlink": stat.S_IFLNK, "chr": stat.S_IFCHR}


def _pad(n: int) -> bytes:
    return b"\0" * ((4 - n % 4) % 4)


def _header(ino: int, mode: int, uid: int, gid: int, nlink: int, size: int,
            rdev: tuple[int, int], name: bytes) -> bytes:
    fields = [ino, mode, uid, gid, nlink, FIXED_MTIME, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields) + name + b"\0"
    return hdr + _pad(len(hdr))


def newc(tree: Tree) -> bytes:
    """Returns the uncompressed newc archive of tree (entries in sorted order)."""
    out = io.BytesIO()
    for ino, e in enumerate(tree.sorted(), start=1):
        if e.kind == "symlink":
            body = e.target.encode()
        elif e.kind == "file":
            body = e.read()
        else:
            body = b""
        mode = _KIND_BITS[e.kind] | (e.mode & 0o7777)
        nlink = 2 if e.kind == "dir" else 1
        out.write(_header(ino, mode, e.uid, e.gid, nlink, len(body), e.rdev, e.path.encode()))
        out.write(body)
        out.write(_pad(len(body)))
    out.write(_header(0, 0, 0, 0, 1, 0, (0, 0), b"TRAILER!!!"))
    return out.getvalue()


def newc_gz(tree: Tree) -> bytes:
    """Returns the gzip-compressed newc archive (fixed gzip header mtime)."""
    return gzip.compress(newc(tree), compresslevel=9, mtime=0)
