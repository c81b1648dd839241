"""A malicious image layer (path traversal, escaping symlink) is refused when
the node unpacks it, with an event naming the entry, and nothing is written
outside the image store."""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import time
import uuid
from pathlib import Path

from conftest import unique


def _blob(files: dict, data: bytes) -> dict:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    files[f"blobs/sha256/{digest[7:]}"] = data
    return {"digest": digest, "size": len(data)}


def evil_archive(path: Path, ref: str, token: str):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        def add_file(name, body=b"x"):
            ti = tarfile.TarInfo(name)
            ti.size = len(body)
            t.addfile(ti, io.BytesIO(body))
        add_file("ok.txt")
        add_file(f"../../../../../../tmp/{token}-dotdot")
        ln = tarfile.TarInfo("evil")
        ln.type = tarfile.SYMTYPE
        ln.linkname = "/tmp"
        t.addfile(ln)
        add_file(f"evil/{token}-through-symlink")
    layer_tar = raw.getvalue()
    layer = gzip.compress(layer_tar, mtime=0)
    files: dict[str, bytes] = {}
    ldesc = _blob(files, layer) | {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/ok.txt"]},
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer_tar).hexdigest()]}}).encode()
    cdesc = _blob(files, config) | {"mediaType": "application/vnd.oci.image.config.v1+json"}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cdesc, "layers": [ldesc]}).encode()
    mdesc = _blob(files, manifest) | {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                      "annotations": {"org.opencontainers.image.ref.name": ref}}
    files["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [mdesc]}).encode()
    with tarfile.open(path, "w") as out:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            out.addfile(ti, io.BytesIO(data))


def test_malicious_layer_is_refused_and_writes_nothing_outside(node, ns):
    token = "corral-escape-" + uuid.uuid4().hex[:8]
    ref = f"localhost/corral-test/evil-{token}:1"
    tmp = node.data_dir / "images" / "import" / f"{token}.tar.part"
    evil_archive(tmp, ref, token)
    tmp.rename(tmp.with_suffix(""))  # appear atomically as .tar
    node.kubectl("run", "evil", "-n", ns, f"--image={ref}", "--image-pull-policy=Never", "--restart=Never")
    deadline = time.monotonic() + 60
    msgs = []
    while time.monotonic() < deadline:
        msgs = [e["message"] for e in node.events(ns, "evil") if e["type"] == "Warning"]
        refused = [m for m in msgs if "Failed to pull image" in m and token in m.split(ref)[-1]]
        if refused:
            break
        time.sleep(0.5)
    # The refusal names the offending entry (the image name also holds the token, so look past it).
    assert refused, msgs
    pod = node.kubectl_json("get", "pod", "evil", "-n", ns)
    assert pod["status"]["phase"] == "Pending"
    # Nothing escaped: not in /tmp, not anywhere under the test's base directory outside the store.
    assert not list(Path("/tmp").glob(f"{token}*"))
    store = node.data_dir / "images"
    for p in node.data_dir.parent.rglob(f"{token}*"):
        assert store in p.parents, f"written outside the store: {p}"


def test_corral_image_import_and_ls(node):
    import os
    import subprocess
    from conftest import IMAGES_DIR
    corral = Path(os.environ["CORRALD"]).with_name("corral")
    p = subprocess.run([str(corral), "image", "import", "--data-dir", str(node.data_dir), str(IMAGES_DIR / "kernelboot.tar")],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    assert "imported kernelboot.tar" in p.stdout
    ls = subprocess.run([str(corral), "image", "ls", "--data-dir", str(node.data_dir)], capture_output=True, text=True, timeout=30).stdout
    assert "localhost/corral-test/kernelboot:latest" in ls and "localhost/corral-test/busybox:latest" in ls, ls

    # rm: refused while a container uses the image, done once nothing does.
    rm = subprocess.run([str(corral), "image", "rm", "--data-dir", str(node.data_dir), "localhost/corral-test/kernelboot:latest"],
                        capture_output=True, text=True, timeout=60)
    assert rm.returncode == 0 and "removed localhost/corral-test/kernelboot:latest" in rm.stdout, rm.stderr
    ls = subprocess.run([str(corral), "image", "ls", "--data-dir", str(node.data_dir)], capture_output=True, text=True, timeout=30).stdout
    assert "kernelboot" not in ls, ls
    p = subprocess.run([str(corral), "image", "import", "--data-dir", str(node.data_dir), str(IMAGES_DIR / "kernelboot.tar")],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
