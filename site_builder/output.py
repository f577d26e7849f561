"""Where the build writes: the site's files, collected in memory, then a staging folder
swapped in whole (or renamed into place file by file); and the guard that keeps a build from
replacing a folder that is not its own."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import hashlib
import os
import re
import secrets
import shutil
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import SiteConfig
    from .errors import Collector

MARKER = ".site-builder"  # in every output folder a build made; see guard_output()
MARKER_TEXT = b"This folder is made by site-builder and replaced whole by each full build.\n"


class FileConflict(Exception):
    """Two sources want to write the same output path."""

    def __init__(self, path: str, first: str, second: str):
        super().__init__(f"file conflict: {path} is written by both {first} and {second}")
        self.path, self.first, self.second = path, first, second


class WriteFailed(Exception):
    """The file system refused a write (disk full, read-only, permissions)."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"cannot write {path}: {reason}")
        self.path, self.reason = path, reason


def guard_output(
    root: Path, output: Path, protected: dict[str, Path], foreign: bool = True, shown: str = ""
) -> str | None:
    """Why a build must not replace *output*, or None when it may.

    A full build replaces the output folder whole, so it must never be the project, hold
    it, overlap one of the *protected* folders (sources, caches, .git), or be a folder of
    someone else's: a non-empty folder without the MARKER file every build writes. A
    symlinked output folder is honoured: the site lands in its target, which is checked.
    With *foreign* false, a non-empty folder without the marker is accepted (a cache).
    *shown* is the folder as the author wrote it, for the message.
    """
    shown = shown or str(output)
    real = output.resolve()
    project = root.resolve()
    if real == project or project.is_relative_to(real):
        return f"'{shown}' is the project folder or contains it"
    for name, folder in protected.items():
        folder = folder.resolve()
        if real == folder or real.is_relative_to(folder) or folder.is_relative_to(real):
            return f"'{shown}' overlaps {name}"
    if real.exists() or real.is_symlink():
        if not real.is_dir():
            return f"'{shown}' is not a folder"
        if foreign and not (real / MARKER).is_file() and any(real.iterdir()):
            return (
                f"'{shown}' is a folder this tool did not make (it holds files and no "
                f"{MARKER} marker)"
            )
    return None


def process_alive(pid: int) -> bool:
    """Is process *pid* still there (a zombie counts)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def leftovers(folder: Path, pattern: str) -> list[Path]:
    """What killed processes left in *folder* (names ``<pattern><pid>-...``): a running
    process's files are its own."""
    found = []
    for stale in folder.glob(pattern + "*"):
        pid = re.match(r"\d+", stale.name[len(pattern) :])
        if pid and not process_alive(int(pid[0])):
            found.append(stale)
    return found


def remove_leftovers(folder: Path, pattern: str) -> None:
    """Remove what killed processes left in *folder* (see ``leftovers``)."""
    for stale in leftovers(folder, pattern):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)


@functools.cache
def _renameat2() -> Any:
    """libc's renameat2, or None where there is none. From the process's own symbols (the
    C library is loaded already): ctypes.util.find_library would run ldconfig each time."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    return function


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux's renameat2 with RENAME_EXCHANGE): a
    reader, or a process killed at any moment, sees one or the other, never neither.
    False where the system can't (then the caller renames twice)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # this file system can't
        return False
    raise OSError(code, os.strerror(code), str(b))


def restore_interrupted_swap(target: Path) -> None:
    """A build killed between the two renames of a swap (where `exchange` is not there)
    left no *target* and the previous site under ``.NAME.old-PID-…``: put it back."""
    if target.exists() or target.is_symlink():
        return
    gone = [p for p in leftovers(target.parent, f".{target.name}.old-") if p.is_dir()]
    if gone:
        os.replace(max(gone, key=lambda p: p.stat().st_mtime), target)


class SiteFiles:
    """The files a build writes, by path in the site; refuses two writers for one path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes | Path] = {}
        self.owners: dict[str, str] = {}
        # A full build's staging folder, made ahead (prepare) with the folders being made
        # in it meanwhile, and those made.
        self._staging: tuple[Path, Path, threading.Thread, set[str]] | None = None

    def prepare(self, target: Path, folders: list[str]) -> None:
        """Start the staging folder of a full build into *target* now, making *folders*
        in it from a thread while the pages are rendered: making a folder waits on the
        disk (more so in a large one), not on Python. commit() goes on from there."""
        target = target.resolve()
        made: set[str] = set()
        try:
            staging = self._fresh_staging(target)
            staging.mkdir()
        except (OSError, WriteFailed):
            return  # commit() tries again, and says why it cannot

        def make() -> None:
            with contextlib.suppress(OSError):  # commit() makes what is missing, or says why
                for folder in sorted(folders):
                    os.makedirs(os.path.join(staging, folder), exist_ok=True)
                    made.add(folder.strip("/"))

        thread = threading.Thread(target=make, daemon=True)
        thread.start()
        self._staging = (target, staging, thread, made)
        _prepared.add(self)

    def discard(self) -> None:
        """Remove the staging folder prepare() started, when the build ends without it."""
        if self._staging is not None:
            _, staging, thread, _ = self._staging
            thread.join()
            shutil.rmtree(staging, ignore_errors=True)
            self._staging = None
        _prepared.discard(self)

    def write(self, path: str, data: bytes | str | Path, owner: str) -> None:
        """Record a file (bytes, text, or a file to copy); *owner* names its source.

        Files are always copied, never linked: editing a source or a cache later cannot
        change a published site, and editing the site cannot damage a cache.
        """
        path = path.lstrip("/")
        if path in self.owners and self.owners[path] != owner:
            raise FileConflict(path, self.owners[path], owner)
        self.owners[path] = owner
        self.files[path] = data.encode("utf-8") if isinstance(data, str) else data

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
        target = target.resolve()
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
        except OSError as exc:
            raise _write_failed(exc, staging, target) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _fresh_staging(self, target: Path) -> Path:
        parent = target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _write_failed(exc, parent, target) from exc
        restore_interrupted_swap(target)
        remove_leftovers(parent, f".{target.name}.staging-")
        remove_leftovers(parent, f".{target.name}.old-")
        return parent / f".{target.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"

    def _write_all(self, folder: Path, made: set[str] | None = None) -> None:
        """Every file under *folder*: the folders first (but those *made* already), then
        the files from a few threads (writing waits on the disk, not on Python)."""
        from concurrent.futures import ThreadPoolExecutor

        for parent in sorted({os.path.dirname(rel) for rel in self.files} - (made or set())):
            (folder / parent).mkdir(parents=True, exist_ok=True)

        def write(rel: str) -> None:
            dest = folder / rel
            data = self.files[rel]
            try:
                if isinstance(data, Path):
                    shutil.copyfile(data, dest)
                else:
                    with open(dest, "wb") as f:
                        f.write(data)
            except OSError as exc:  # name the file being written, not the one copied
                raise OSError(exc.errno, exc.strerror, str(dest)) from exc

        with ThreadPoolExecutor(4) as pool:
            for _ in pool.map(write, sorted(self.files)):
                pass

    def commit(self, target: Path) -> None:
        """Write everything to a staging folder beside *target*, then swap it in."""
        target = target.resolve()  # a symlinked output folder: the site goes to its target
        made: set[str] = set()
        if self._staging is not None and self._staging[0] == target:
            _, staging, thread, made = self._staging
            thread.join()
            self._staging = None
            _prepared.discard(self)
        else:
            self.discard()
            staging = self._fresh_staging(target)
        old = target.parent / f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            self._write_all(staging, made)
            # The swap: one exchange, or two renames (the previous site survives until the
            # new one is complete, and a build killed between them puts it back next time).
            if target.exists() and exchange(staging, target):
                os.replace(staging, old)  # the previous site, removed below
            else:
                if target.exists():
                    os.replace(target, old)
                try:
                    os.replace(staging, target)
                except OSError:
                    if old.exists() and not target.exists():
                        os.replace(old, target)  # put the previous site back
                    raise
        except OSError as exc:
            raise _write_failed(exc, staging, target) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)


# The SiteFiles whose staging folder was started (prepare) and is not yet committed.
_prepared: weakref.WeakSet[SiteFiles] = weakref.WeakSet()


def discard_prepared() -> None:
    """Remove every staging folder started and not committed (the build failed)."""
    for files in list(_prepared):
        files.discard()


def _write_failed(exc: OSError, staging: Path, target: Path) -> WriteFailed:
    """Name the file the way the author knows it: inside the output folder."""
    name = os.fsdecode(exc.filename) if exc.filename is not None else str(target)
    for folder in (staging, target):
        if name.startswith(str(folder) + os.sep):
            name = str(target / name[len(str(folder)) + 1 :])
    return WriteFailed(name, exc.strerror or str(exc))


GUARD_HINTS = {
    "output_dir": "set output_dir to a folder of its own, such as _site, or empty this one",
    "cache_dir": "set cache_dir to a folder of its own, such as .site-cache",
}


def guard_folders(config: SiteConfig) -> list[tuple[str, str]]:
    """(setting, problem) for a folder setting a build must not write to."""
    root = config.root
    sources = {
        f"{name} ({getattr(config, name)})": config.path(name)
        for name in ("content_dir", "templates_dir", "static_dir")
    }
    sources[".git"] = root / ".git"
    sources[".cache (the runtime download)"] = root / ".cache"
    for entry in config.passthrough:
        sources[f"passthrough ({entry})"] = root / entry.strip("/")
    output, cache = config.path("output_dir"), config.path("cache_dir")
    if output.resolve() == (cache / "preview" / "site").resolve():  # a preview: ours
        return []
    if problem := guard_output(
        root, output, {**sources, "cache_dir": cache}, shown=config.output_dir
    ):
        return [("output_dir", f"output_dir: {problem}; a build would replace it")]
    sources["output_dir"] = output
    if problem := guard_output(root, cache, sources, foreign=False, shown=config.cache_dir):
        return [("cache_dir", f"cache_dir: {problem}; a build would write into it")]
    return []


def write_site(
    config: SiteConfig, files: SiteFiles, incremental: bool, removed: set[str], problems: Collector
) -> Path:
    """Swap the new site in whole, or replace just what changed; return the folder."""
    output = config.path("output_dir")
    try:
        if incremental:
            files.commit_changes(output, removed=removed)
        else:
            files.commit(output)
    except WriteFailed as exc:
        from .errors import rel

        problems.error(rel(Path(exc.path), config.root), 0, str(exc))
        problems.raise_if_errors()
    return output.resolve()
