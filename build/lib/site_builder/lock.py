"""One build at a time per project: an advisory file lock in the cache folder.

``site-builder build`` and every rebuild of ``site-builder serve`` hold it while they read
the saved state and write the site, so two builds never interleave their writes. The lock
is released by the operating system when its process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

LOCK_NAME = "build.lock"


class Busy(Exception):
    """Another build of this project holds the lock (and we were told not to wait)."""


def _holder(handle: int) -> str:
    try:
        return os.pread(handle, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""


@contextlib.contextmanager
def build_lock(
    cache_dir: Path,
    wait: bool = True,
    waiting: Callable[[str], None] | None = None,
    poll: float = 0.05,
) -> Iterator[None]:
    """Hold the project's build lock. When another build holds it: wait (telling
    *waiting* once, with that build's pid), or raise Busy when *wait* is false."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle = os.open(cache_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if not wait:
                raise Busy(holder) from None
            if waiting:
                waiting(holder)
            while True:  # polled rather than blocking, so Ctrl-C is honoured at once
                time.sleep(poll)
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    continue
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
