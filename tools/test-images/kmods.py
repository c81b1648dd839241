"""Kernel module dependency resolution without depmod/kmod.

Debian's linux-image package ships no modules.dep (depmod makes it at install
time), and we never install the kernel on the host. So we read each module's
ELF `.modinfo` section ourselves: its `depends=a,b` entry names the modules
that must be loaded first.
"""
from __future__ import annotations

import struct
from pathlib import Path


class KmodError(Exception):
    """A module could not be found or parsed."""


def modinfo(data: bytes) -> dict[str, list[str]]:
    """Returns the key -> values map of an ELF64 module's .modinfo section."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise KmodError("not a little-endian ELF64 kernel module")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)

    def section(i: int) -> tuple[int, int, int]:
        base = shoff + i * shentsize
        name, = struct.unpack_from("<I", data, base)
        off, size = struct.unpack_from("<QQ", data, base + 0x18)
        return name, off, size

    _, stroff, _ = section(shstrndx)
    info: dict[str, list[str]] = {}
    for i in range(shnum):
        name_off, off, size = section(i)
        end = data.index(b"\0", stroff + name_off)
        if data[stroff + name_off:end] != b".modinfo":
            continue
        for entry in data[off:off + size].split(b"\0"):
            if b"=" in entry:
                k, v = entry.decode("utf-8", "replace").split("=", 1)
                info.setdefault(k, []).append(v)
    return info


def canonical(name: str) -> str:
    """Module names treat '-' and '_' alike; the kernel reports '_'."""
    return name.replace("-", "_")


def index_modules(moddir: Path) -> dict[str, Path]:
    """Maps canonical module name -> .ko path for every module under moddir."""
    found: dict[str, Path] = {}
    for p in sorted(moddir.rglob("*.ko")):
        found[canonical(p.name[:-3])] = p
    return found


def builtin_names(moddir: Path) -> set[str]:
    """Names of modules compiled into the kernel (listed in modules.builtin)."""
    f = moddir / "modules.builtin"
    if not f.exists():
        return set()
    return {canonical(Path(line.strip()).name[:-3])
            for line in f.read_text().splitlines() if line.strip().endswith(".ko")}


def closure(wanted: list[str], index: dict[str, Path], builtin: set[str]) -> list[str]:
    """Returns wanted modules plus dependencies, dependencies first (load order).

    Built-in modules are dropped; a name that is neither a module nor built in
    is an error, so a kernel upgrade that renames a driver fails loudly.
    """
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, chain: tuple[str, ...]) -> None:
        name = canonical(name)
        if name in builtin or state.get(name) == "done":
            return
        if name not in index:
            raise KmodError(f"kernel module {name!r} not found (needed by {' <- '.join(chain) or 'request'})")
        if state.get(name) == "visiting":
            raise KmodError(f"dependency cycle at {name}")
        state[name] = "visiting"
        info = modinfo(index[name].read_bytes())
        for deps in info.get("depends", []):
            for dep in filter(None, deps.split(",")):
                visit(dep, (name,) + chain)
        state[name] = "done"
        order.append(name)

    for w in wanted:
        visit(w, ())
    return order
