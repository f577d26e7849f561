"""The Pyodide runtime: fetched once from npm, pinned here and nowhere else."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

PYODIDE_VERSION = "314.0.7"
# The files a page loads; the npm package's other files (types, maps, consoles) are not shipped.
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
CDN_URL = f"https://cdn.jsdelivr.net/npm/pyodide@{PYODIDE_VERSION}/"


class RuntimeMissing(Exception):
    """Pyodide could not be fetched."""


def runtime_dir(cache_root: Path) -> Path:
    return cache_root / f"pyodide-{PYODIDE_VERSION}"


def ensure_runtime(cache_root: Path) -> Path:
    """Return a folder with the pinned Pyodide files, running ``npm pack`` if needed."""
    import subprocess
    import tarfile
    import tempfile

    folder = runtime_dir(cache_root)
    if all((folder / name).is_file() for name in RUNTIME_FILES):
        return folder
    if shutil.which("npm") is None:
        raise RuntimeMissing("npm is needed once to fetch Pyodide; install Node.js and npm")
    log.info("fetching pyodide@%s from npm", PYODIDE_VERSION)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        tarballs = list(Path(tmp).glob("pyodide-*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise RuntimeMissing(
                f"npm pack pyodide@{PYODIDE_VERSION} failed: {proc.stderr.strip()}"
            )
        staging = Path(tmp) / "out"
        staging.mkdir()
        with tarfile.open(tarballs[0]) as tar:
            for name in RUNTIME_FILES:
                member = tar.getmember(f"package/{name}")
                extracted = tar.extractfile(member)
                assert extracted is not None
                (staging / name).write_bytes(extracted.read())
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(staging, folder)
    return folder


SNAPSHOT_SCRIPT = Path(__file__).with_name("snapshot.mjs")


def ensure_snapshot(folder: Path) -> Path:
    """Return a memory snapshot of the runtime with CPython started, making it once (Node)."""
    import subprocess

    tag = hashlib.sha256(SNAPSHOT_SCRIPT.read_bytes()).hexdigest()[:10]
    path = folder / f"snapshot-{tag}.bin"
    if path.is_file():
        return path
    if shutil.which("node") is None:
        raise RuntimeMissing("Node.js is needed to make the runtime snapshot")
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    proc = subprocess.run(
        ["node", str(SNAPSHOT_SCRIPT), str(folder.resolve()), str(tmp)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeMissing(f"making the runtime snapshot failed: {proc.stderr.strip()[-500:]}")
    tmp.replace(path)
    return path


def sri(path: Path) -> str:
    """Subresource Integrity value (sha384) of a file."""
    import base64

    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def integrity(folder: Path) -> dict[str, str]:
    """The SRI value of every runtime file, hashed once per file version (13.5 MB in all)
    and kept beside them, so a CDN-mode build does not hash them again each time."""
    import json

    from .output import write_atomically

    stamps = {}
    for name in RUNTIME_FILES:
        st = os.stat(folder / name)
        stamps[name] = [st.st_mtime_ns, st.st_size]
    record = folder / "integrity.json"
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        if saved["stamps"] == stamps and set(saved["sri"]) == set(RUNTIME_FILES):
            return dict(saved["sri"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or damaged: hash again
    values = {name: sri(folder / name) for name in RUNTIME_FILES}
    write_atomically(record, json.dumps({"stamps": stamps, "sri": values}, sort_keys=True))
    return values
