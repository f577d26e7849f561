"""Cache entries that can't lie: each carries its key and a checksum of its bytes.

Every build cache (cell results, highlighted code, compiled templates) stores one file per
entry in this format::

    site-builder-cache 1 <key> <sha256 of the payload> <payload length>\\n<payload>

An entry whose header, length or checksum does not match is treated as missing (and
removed), so a truncated, zeroed or hand-edited file is recomputed, never used. Reading
an entry touches its modification time; after a full build, ``prune`` removes every entry
that build did not touch, which keeps the caches as large as one build needs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from pathlib import Path

MAGIC = b"site-builder-cache 1 "


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write a file whole or not at all: a reader never sees half of it, and two writers
    never share a temporary file. The folder is made when the first write finds it missing
    (not checked before every write: a build writes thousands of cache entries)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        try:
            tmp.write_bytes(payload)
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def entry_path(folder: Path, key: str, suffix: str) -> Path:
    """Where the entry for *key* (a hex digest) lives under *folder*."""
    return folder / key[:2] / f"{key}{suffix}"


def write_entry(path: Path, key: str, payload: bytes) -> None:
    """Store *payload* for *key*, with what is needed to detect damage later."""
    digest = hashlib.sha256(payload).hexdigest()
    header = MAGIC + f"{key} {digest} {len(payload)}\n".encode()
    with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
        write_atomically(path, header + payload)


def read_entry(path: Path, key: str) -> bytes | None:
    """The payload stored for *key*, or None when missing, foreign or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head, newline, payload = data.partition(b"\n")
    fields = head[len(MAGIC) :].split(b" ") if head.startswith(MAGIC) else []
    if (
        not newline
        or len(fields) != 3
        or fields[0] != key.encode()
        or fields[2] != str(len(payload)).encode()
        or fields[1] != hashlib.sha256(payload).hexdigest().encode()
    ):
        with contextlib.suppress(OSError):
            path.unlink()  # damaged or foreign: never used again
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # used by this build: kept by prune()
    return payload


def prune(folder: Path, since: float) -> int:
    """Remove entries under *folder* not written or read since *since* (a time.time());
    return how many were removed. Only files in this module's layout are considered."""
    removed = 0
    if not folder.is_dir():
        return 0
    for sub in folder.iterdir():
        if not (sub.is_dir() and len(sub.name) == 2):
            continue
        for path in sub.iterdir():
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < since:
                    path.unlink()
                    removed += 1
        with contextlib.suppress(OSError):
            sub.rmdir()  # only when empty
    return removed


def now(folder: Path) -> float:
    """The time a build starts, on the cache's own file system clock: prune() compares
    entries' modification times with it, which a coarser clock would make unreliable."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / ".build-started"
    stamp.touch()  # sets the modification time to now, whether or not the file existed
    return stamp.stat().st_mtime
