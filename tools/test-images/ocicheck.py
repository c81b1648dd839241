"""Independent structural check of an OCI image-layout archive.

Reads the tar, checks every blob against its sha256 name and every
descriptor's size, the media types of index/manifest/config/layers, and that
config.rootfs.diff_ids are the digests of the uncompressed layers. Written
apart from oci.py (the writer) so the tests do not trust the writer.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


class OCIValidationError(Exception):
    """The archive is not a valid OCI image layout."""


@dataclass
class OCIArchive:
    """A validated archive: parsed documents and uncompressed layer tars."""
    members: dict[str, tarfile.TarInfo]
    index: dict
    descriptor: dict  # the manifest descriptor in index.json
    manifest: dict
    config: dict
    layers: list[bytes]  # uncompressed layer tars, in order


def sha256_hex(data: bytes) -> str:
    """Returns "sha256:<hex>" of data."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _check(cond: bool, msg: str) -> None:
    if not cond:
        raise OCIValidationError(msg)


def _blob(files: dict[str, bytes], desc: dict, what: str) -> bytes:
    digest = desc.get("digest", "")
    _check(digest.startswith("sha256:"), f"{what}: digest {digest!r} is not sha256")
    data = files.get("blobs/sha256/" + digest[7:])
    _check(data is not None, f"{what}: blob {digest} missing")
    _check(len(data) == desc.get("size"), f"{what}: size {len(data)} != descriptor {desc.get('size')}")
    return data


def read_archive(path: Path) -> OCIArchive:
    """Reads and validates the archive at path; raises OCIValidationError."""
    files: dict[str, bytes] = {}
    members: dict[str, tarfile.TarInfo] = {}
    with tarfile.open(path) as tar:
        for m in tar:
            name = m.name.removeprefix("./").rstrip("/")
            members[name] = m
            if m.isfile():
                files[name] = tar.extractfile(m).read()
    for name, data in files.items():
        if name.startswith("blobs/sha256/"):
            _check(hashlib.sha256(data).hexdigest() == name.rsplit("/", 1)[1],
                   f"blob {name} does not match its digest")
    _check(json.loads(files.get("oci-layout", b"{}")).get("imageLayoutVersion") == "1.0.0",
           "oci-layout missing or wrong imageLayoutVersion")
    index = json.loads(files.get("index.json", b"{}"))
    _check(index.get("schemaVersion") == 2, "index.json schemaVersion != 2")
    _check(index.get("mediaType", MT_INDEX) == MT_INDEX, "index.json mediaType")
    _check(len(index.get("manifests", [])) == 1, "index.json should hold exactly one manifest")
    desc = index["manifests"][0]
    _check(desc.get("mediaType") == MT_MANIFEST, "manifest descriptor mediaType")
    manifest = json.loads(_blob(files, desc, "manifest"))
    _check(manifest.get("schemaVersion") == 2, "manifest schemaVersion")
    _check(manifest.get("mediaType") == MT_MANIFEST, "manifest mediaType")
    _check(manifest["config"].get("mediaType") == MT_CONFIG, "config mediaType")
    config = json.loads(_blob(files, manifest["config"], "config"))
    _check(config.get("architecture") == "amd64" and config.get("os") == "linux", "config platform")
    _check(config.get("rootfs", {}).get("type") == "layers", "config rootfs.type")
    layers, diff_ids = [], []
    for i, ld in enumerate(manifest.get("layers", [])):
        _check(ld.get("mediaType") == MT_LAYER_GZIP, f"layer {i} mediaType {ld.get('mediaType')}")
        raw = gzip.decompress(_blob(files, ld, f"layer {i}"))
        layers.append(raw)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    _check(config["rootfs"].get("diff_ids") == diff_ids, "config rootfs.diff_ids do not match the layers")
    return OCIArchive(members, index, desc, manifest, config, layers)


def layer_members(arch: OCIArchive) -> dict[str, tarfile.TarInfo]:
    """Path -> tar header of every entry of every layer (later layers win)."""
    out: dict[str, tarfile.TarInfo] = {}
    for raw in arch.layers:
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            for m in tar:
                out[m.name.removeprefix("./").rstrip("/")] = m
    return out


def read_file(arch: OCIArchive, path: str) -> bytes:
    """Contents of a regular file in the image (last layer holding it)."""
    for raw in reversed(arch.layers):
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            for m in tar:
                if m.name.removeprefix("./") == path.lstrip("/") and m.isfile():
                    return tar.extractfile(m).read()
    raise KeyError(path)


def extract_rootfs(arch: OCIArchive, dest: Path) -> Path:
    """Unpacks the layers into dest (no device nodes; owners not applied)."""
    dest.mkdir(parents=True, exist_ok=True)
    for raw in arch.layers:
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            for m in tar:
                _check(not m.name.startswith("/") and ".." not in m.name.split("/"),
                       f"unsafe path {m.name!r} in layer")
                if m.issym():
                    p = dest / m.name
                    p.parent.mkdir(parents=True, exist_ok=True)
                    if p.is_symlink() or p.exists():
                        p.unlink()
                    p.symlink_to(m.linkname)
                elif m.isdir():
                    (dest / m.name).mkdir(parents=True, exist_ok=True)
                elif m.isfile():
                    p = dest / m.name
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_bytes(tar.extractfile(m).read())
                    p.chmod(m.mode & 0o777)
    return dest
