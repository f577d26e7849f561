"""npm packages the build pins (Pyodide, Temml): fetched once with ``npm pack``, checked
against the registry's integrity hash, and kept in a folder whose files are verified
(size and time, else SHA-256) every time they are used."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST = "verified.json"  # sha256, size and modification time of every verified file


class FetchFailed(Exception):
    """An npm package the build needs (Pyodide, Temml) could not be fetched."""


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class _Manifest:
    """What each file of the runtime folder was when it was verified; a file whose stamp
    changed is hashed again, and one whose hash changed is damaged."""

    def __init__(self, folder: Path) -> None:
        import json

        self.path = folder / MANIFEST
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.files: dict[str, list[Any]] = dict(data["files"])
        except (OSError, ValueError, KeyError, TypeError):
            self.files = {}
        self.changed = False

    def record(self, path: Path, digest: str | None = None) -> None:
        st = path.stat()
        self.files[path.name] = [digest or file_sha256(path), st.st_size, st.st_mtime_ns]
        self.changed = True

    def intact(self, path: Path) -> bool:
        entry = self.files.get(path.name)
        try:
            st = path.stat()
        except OSError:
            return False
        if not (isinstance(entry, list) and len(entry) == 3):
            return False
        if [st.st_size, st.st_mtime_ns] == entry[1:]:
            return True
        if file_sha256(path) != entry[0]:  # touched: still the same bytes?
            return False
        entry[1:] = [st.st_size, st.st_mtime_ns]
        self.changed = True
        return True

    def save(self) -> None:
        import json

        from .cache import write_atomically

        if self.changed:
            write_atomically(self.path, json.dumps({"files": self.files}, sort_keys=True))
            self.changed = False


def ensure_npm_files(
    folder: Path, package: str, version: str, integrity: str, files: tuple[str, ...]
) -> Path:
    """Return *folder* holding *files* (paths inside the package, without ``package/``) of
    the npm package *package*@*version*, intact; fetch them with ``npm pack`` (checked
    against the registry's *integrity* hash) when missing or damaged."""
    manifest = _Manifest(folder)
    damaged = [name for name in files if not manifest.intact(folder / Path(name).name)]
    if not damaged:
        manifest.save()
        return folder
    if folder.exists():
        log.warning("%s files missing or damaged (%s); fetching again", package, ", ".join(damaged))
    _fetch(folder, package, version, integrity, files)
    return folder


def _fetch(
    folder: Path, package: str, version: str, integrity: str, files: tuple[str, ...]
) -> None:
    import base64
    import secrets
    import subprocess
    import tarfile
    import tempfile

    if shutil.which("npm") is None:
        raise FetchFailed(f"npm is needed once to fetch {package}; install Node.js and npm")
    log.info("fetching %s@%s from npm", package, version)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".fetch-") as tmp:
        proc = subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        tarballs = list(Path(tmp).glob(f"{package}-*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise FetchFailed(f"npm pack {package}@{version} failed: {proc.stderr.strip()}")
        algorithm, _, expected = integrity.partition("-")
        digest = hashlib.new(algorithm, tarballs[0].read_bytes()).digest()
        if base64.b64encode(digest).decode() != expected:
            raise FetchFailed(
                f"the downloaded {package}@{version} does not match the registry's "
                f"integrity hash {integrity[:20]}…; refused"
            )
        staging = Path(tmp) / "out"
        staging.mkdir()
        names = [Path(name).name for name in files]
        with tarfile.open(tarballs[0]) as tar:
            for inside, name in zip(files, names, strict=True):
                extracted = tar.extractfile(tar.getmember(f"package/{inside}"))
                assert extracted is not None
                (staging / name).write_bytes(extracted.read())
        manifest = _Manifest(staging)
        for name in names:
            manifest.record(staging / name)
        manifest.save()
        # Swap the verified folder in; what was made from the old files goes with them.
        old = folder.with_name(f".{folder.name}.old-{secrets.token_hex(4)}")
        if folder.exists():
            os.replace(folder, old)
        os.replace(staging, folder)
        shutil.rmtree(old, ignore_errors=True)
