"""Deterministic OCI image-layout archive writer (stdlib only).

Writes one tar holding an OCI image layout:
  oci-layout, index.json (manifest descriptor annotated with the full
  reference), manifest.json (docker-load compatible), blobs/sha256/<digest>
  for the gzip layers, the config and the manifest.
Same inputs give byte-identical archives: fixed mtimes, sorted entries,
explicit owners, gzip headers without timestamps, canonical JSON.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass

from tree import FIXED_MTIME, Tree

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
CONTAINERD_ANNOTATION = "io.containerd.image.name"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

_TAR_TYPES = {"dir": tarfile.DIRTYPE, "file": tarfile.REGTYPE, "symlink": tarfile.SYMTYPE,
              "chr": tarfile.CHRTYPE}


def canonical_json(obj: object) -> bytes:
    """JSON with sorted keys and no whitespace: stable bytes, stable digest."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256(data: bytes) -> str:
    """Returns "sha256:<hex>" of data."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(tree: Tree) -> bytes:
    """Returns an uncompressed layer tar of tree (sorted, mtime fixed)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for e in tree.sorted():
            ti = tarfile.TarInfo(e.path)
            ti.type = _TAR_TYPES[e.kind]
            ti.mode = e.mode & 0o7777
            ti.uid, ti.gid = e.uid, e.gid
            ti.uname = ti.gname = ""
            ti.mtime = FIXED_MTIME
            if e.kind == "symlink":
                ti.linkname = e.target
            elif e.kind == "chr":
                ti.devmajor, ti.devminor = e.rdev
            if e.kind == "file":
                data = e.read()
                ti.size = len(data)
                tar.addfile(ti, io.BytesIO(data))
            else:
                tar.addfile(ti)
    return buf.getvalue()


@dataclass
class ImageConfig:
    """The runtime part of an image config (config.Env/Entrypoint/Cmd...)."""
    env: list[str]
    cmd: list[str] | None = None
    entrypoint: list[str] | None = None
    working_dir: str = ""
    labels: dict[str, str] | None = None


@dataclass
class BuiltImage:
    """What was written: the archive bytes plus its digests, for the manifest."""
    reference: str
    archive: bytes
    manifest_digest: str
    config_digest: str
    layer_digests: list[str]
    diff_ids: list[str]


def build_image(reference: str, layers: list[Tree], cfg: ImageConfig, compresslevel: int = 6) -> BuiltImage:
    """Builds the OCI layout archive for reference (e.g. localhost/x/y:latest)."""
    blobs: dict[str, bytes] = {}
    descriptors, diff_ids = [], []
    for t in layers:
        raw = layer_tar(t)
        gz = gzip.compress(raw, compresslevel=compresslevel, mtime=0)
        d = sha256(gz)
        blobs[d] = gz
        diff_ids.append(sha256(raw))
        descriptors.append({"mediaType": MT_LAYER_GZIP, "digest": d, "size": len(gz)})

    runtime: dict[str, object] = {"Env": cfg.env}
    if cfg.cmd is not None:
        runtime["Cmd"] = cfg.cmd
    if cfg.entrypoint is not None:
        runtime["Entrypoint"] = cfg.entrypoint
    if cfg.working_dir:
        runtime["WorkingDir"] = cfg.working_dir
    if cfg.labels:
        runtime["Labels"] = cfg.labels
    config = canonical_json({
        "architecture": "amd64", "os": "linux",
        "created": "1970-01-01T00:00:00Z",
        "config": runtime,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "1970-01-01T00:00:00Z",
                     "created_by": "corral tools/make-test-images"} for _ in layers],
    })
    config_digest = sha256(config)
    blobs[config_digest] = config

    manifest = canonical_json({
        "schemaVersion": 2, "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": config_digest, "size": len(config)},
        "layers": descriptors,
        "annotations": {REF_ANNOTATION: reference},
    })
    manifest_digest = sha256(manifest)
    blobs[manifest_digest] = manifest

    index = canonical_json({
        "schemaVersion": 2, "mediaType": MT_INDEX,
        "manifests": [{
            "mediaType": MT_MANIFEST, "digest": manifest_digest, "size": len(manifest),
            "platform": {"architecture": "amd64", "os": "linux"},
            "annotations": {REF_ANNOTATION: reference, CONTAINERD_ANNOTATION: reference},
        }],
    })
    docker_manifest = canonical_json([{
        "Config": "blobs/sha256/" + config_digest[7:],
        "RepoTags": [reference],
        "Layers": ["blobs/sha256/" + d["digest"][7:] for d in descriptors],
    }])

    files = {"oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"}),
             "index.json": index, "manifest.json": docker_manifest}
    for d, b in blobs.items():
        files["blobs/sha256/" + d[7:]] = b
    return BuiltImage(reference, _outer_tar(files), manifest_digest, config_digest,
                      [d["digest"] for d in descriptors], diff_ids)


def _outer_tar(files: dict[str, bytes]) -> bytes:
    tree = Tree()
    for path, data in files.items():
        tree.file(path, data)
    return layer_tar(tree)
