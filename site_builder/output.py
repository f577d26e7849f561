"""Where the build writes: a staging folder swapped in whole, or memory for tests."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write a cache file whole or not at all: a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class FileConflict(Exception):
    """Two sources want to write the same output path."""

    def __init__(self, path: str, first: str, second: str):
        super().__init__(f"file conflict: {path} is written by both {first} and {second}")
        self.path, self.first, self.second = path, first, second


class Output:
    """Collect the site's files by relative path; refuse two writers for one path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | Path] = {}
        self.owners: dict[str, str] = {}
        self.linkable: set[str] = set()

    def write(self, path: str, data: bytes | str | Path, owner: str, link: bool = False) -> None:
        """Record a file (bytes, text, or a file to copy); *owner* names its source.

        *link* allows a hard link instead of a copy, for files nobody edits in place (the
        downloaded runtime); an author's file is always copied, so editing it later cannot
        change a published site.
        """
        path = path.lstrip("/")
        if path in self.owners and self.owners[path] != owner:
            raise FileConflict(path, self.owners[path], owner)
        self.owners[path] = owner
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data
        if link:
            self.linkable.add(path)

    def read(self, path: str) -> bytes:
        data = self.files[path]
        return data.read_bytes() if isinstance(data, Path) else data

    def hashed(self, path: str, data: bytes, owner: str) -> str:
        """Write *data* under a content-hashed name; return that name."""
        stem, dot, ext = path.rpartition(".")
        digest = hashlib.sha256(data).hexdigest()[:10]
        name = f"{stem}.{digest}.{ext}" if dot else f"{path}.{digest}"
        self.write(name, data, owner)
        return name

    def commit_changes(self, target: Path, removed: set[str]) -> None:
        """Replace only these files in *target* and delete *removed* (an incremental build).

        Everything is written to a staging folder first and then renamed into place, so a
        failure while writing leaves the site as it was; only the renames themselves (a few,
        each atomic) are not one step.
        """
        staging = self._fresh_staging(target)
        try:
            self._write_all(staging)
            for rel in sorted(self.files):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / rel, target / rel)
            for rel in sorted(removed - set(self.files)):
                path = target / rel
                path.unlink(missing_ok=True)
                for parent in path.parents:  # drop folders the removal emptied
                    if parent == target or any(parent.iterdir()):
                        break
                    parent.rmdir()
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _fresh_staging(self, target: Path) -> Path:
        parent = target.parent
        parent.mkdir(parents=True, exist_ok=True)
        # Leftovers of a build that was killed: never part of the site, safe to remove.
        for stale in parent.glob(f".{target.name}.staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return parent / f".{target.name}.staging-{os.getpid()}"

    def _write_all(self, folder: Path) -> None:
        for rel in sorted(self.files):
            dest = folder / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            data = self.files[rel]
            if isinstance(data, Path):
                try:
                    if rel not in self.linkable:
                        raise OSError
                    os.link(data, dest)  # the large runtime files: no copy when we can
                except OSError:
                    shutil.copyfile(data, dest)
            else:
                dest.write_bytes(data)

    def commit(self, target: Path) -> None:
        """Write everything to a staging folder beside *target*, then swap it in."""
        staging = self._fresh_staging(target)
        old = target.parent / f".{target.name}.old-{os.getpid()}"
        try:
            self._write_all(staging)
            # The swap: two renames; the previous site survives until the new one is complete.
            if target.exists():
                os.replace(target, old)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
