"""Writes one benchmark's section of docs/performance.md: the section from its
"## " title to the next "## " heading is replaced (or appended when missing);
every other section is kept. The file is replaced atomically."""
from __future__ import annotations

import os
from pathlib import Path

HEADER = ("# Performance\n\nLatest benchmark figures for Corral, each with the command that "
          "produced it. Benchmarks print ratios against a raw baseline measured in the same run "
          "(raw SQLite commit, raw `runc run`, raw `virsh create`).\n")


def replace_section(path: Path, title: str, section: str) -> None:
    text = path.read_text() if path.exists() else HEADER
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == title), None)
    if start is None:
        text = text + ("" if text.endswith("\n") else "\n") + "\n" + section
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
