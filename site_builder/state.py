"""The storage of what the last successful build knew (plan.py decides what to redo).

Kept in SQLite in the cache folder (``build-state.sqlite3``), one row per source file,
output file and page, so that a build after an edit reads and writes only the rows of what
changed and of what links to it. A full build writes a new database beside the old one
and swaps it in; an incremental build changes it in one transaction. A database that is
missing, damaged, or made by another version or with other settings is ignored, and the
build starts from scratch.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import Diagnostic
from .links import Scan, pack
from .output import remove_leftovers

STATE_VERSION = 5
FILE = "build-state.sqlite3"
SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE sources (rel TEXT PRIMARY KEY, listing BLOB, slug TEXT, outputs BLOB NOT NULL);
CREATE INDEX sources_slug ON sources (slug);
CREATE TABLE files (path TEXT PRIMARY KEY, owner TEXT NOT NULL, mtime INTEGER, size INTEGER);
CREATE TABLE scans (page TEXT PRIMARY KEY, scan TEXT NOT NULL);
CREATE TABLE links (target TEXT NOT NULL, page TEXT NOT NULL);
CREATE INDEX links_target ON links (target);
CREATE INDEX links_page ON links (page);
"""
CHUNK = 500  # parameters per query, well under SQLite's limit


class StateDamaged(Exception):
    """The saved state could not be read back: the build must start from scratch."""


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a failure of SQLite to read the database into StateDamaged."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StateDamaged(f"{type(exc).__name__}: {exc}") from exc

    return wrapper


def _unpickle(data: bytes) -> Any:
    """A value this module pickled; anything unpickling can raise means damage."""
    try:
        return pickle.loads(data)  # our own file
    except Exception as exc:
        raise StateDamaged(f"a damaged row ({type(exc).__name__}: {exc})") from exc


def discard(folder: Path) -> None:
    """Remove the saved state (and any journal SQLite left beside it)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        (folder / f"{FILE}{suffix}").unlink(missing_ok=True)


@dataclass
class Kept:
    """What the last build kept of one source file."""

    listing: tuple[Any, ...] | None  # plan.Listing, packed; None: skipped (a draft)
    slug: str | None
    outputs: list[str]  # files this source wrote


@dataclass
class Summary:
    """The small part of the state every build reads: enough to see that nothing changed."""

    key: str
    stamps: dict[str, tuple[Any, ...]]  # by source path
    warnings: dict[str, list[Diagnostic]]  # by source path, only sources that had some
    articles: int  # how many articles the site has
    pages: int  # how many HTML pages
    site_outputs: list[str]  # the files of the index, tag pages, feed, sitemap...
    # By source path, for sources whose Python imported installed distributions: those
    # distributions and their versions (a source is built again when one changes).
    deps: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Changes:
    """What a build adds to and removes from the state (a full build: everything)."""

    summary: Summary
    sources: dict[str, Kept] = field(default_factory=dict)
    gone_sources: set[str] = field(default_factory=set)
    # path -> (source that wrote it, modification time and size after writing)
    files: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    gone_files: set[str] = field(default_factory=set)
    scans: dict[str, Scan] = field(default_factory=dict)
    gone_pages: set[str] = field(default_factory=set)


def _chunks(items: Iterable[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class State:
    """The last written build, read a row at a time."""

    def __init__(self, db: sqlite3.Connection, summary: Summary) -> None:
        self.db = db
        self.summary = summary

    @classmethod
    def open(cls, folder: Path, key: str) -> State | None:
        """The state of the last build if it is intact and was made with the same *key*."""
        path = folder / FILE
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
        except sqlite3.Error:
            return None
        try:
            rows = dict(db.execute("SELECT name, value FROM meta"))
            packed = rows["summary"]
            if rows.get("checksum") != hashlib.sha256(packed).hexdigest():
                raise ValueError("damaged")
            summary = pickle.loads(packed)  # checked above
            if rows.get("version") != str(STATE_VERSION) or not isinstance(summary, Summary):
                raise ValueError("another version")
        except Exception:  # damaged or foreign: never trusted
            db.close()
            return None
        if summary.key != key:
            db.close()
            return None
        return cls(db, summary)

    def close(self) -> None:
        self.db.close()

    def _select(self, sql: str, keys: Iterable[str]) -> Iterator[tuple[Any, ...]]:
        for batch in _chunks(keys):
            marks = ",".join("?" * len(batch))
            yield from self.db.execute(sql.format(marks), batch)

    @_guarded
    def kept(self, rels: Iterable[str]) -> dict[str, Kept]:
        found = {}
        for rel, packed, slug, outputs in self._select(
            "SELECT rel, listing, slug, outputs FROM sources WHERE rel IN ({})", rels
        ):
            found[rel] = Kept(
                _unpickle(packed) if packed is not None else None,
                slug,
                _unpickle(outputs),
            )
        return found

    @_guarded
    def slugs(self, slugs: Iterable[str]) -> dict[str, str]:
        """slug -> source file, for those of *slugs* some source had."""
        return dict(self._select("SELECT slug, rel FROM sources WHERE slug IN ({})", slugs))

    @_guarded
    def listings(self) -> list[tuple[str, tuple[Any, ...]]]:
        rows = self.db.execute("SELECT rel, listing FROM sources WHERE listing IS NOT NULL")
        return [(rel, _unpickle(packed)) for rel, packed in rows]

    @_guarded
    def owners(self, paths: Iterable[str]) -> dict[str, str]:
        return dict(self._select("SELECT path, owner FROM files WHERE path IN ({})", paths))

    @_guarded
    def referrers(self, targets: Iterable[str]) -> set[str]:
        """Pages with a link into any of *targets*."""
        return {
            page
            for (page,) in self._select(
                "SELECT DISTINCT page FROM links WHERE target IN ({})", targets
            )
        }

    @_guarded
    def damaged_outputs(self, output: Path) -> dict[str, str]:
        """Files this state says the site has that are missing or changed since they were
        written (by modification time and size): path -> the source that wrote them.
        (Runs on every build: one stat per file, relative to the open output folder.)"""
        damaged = {}
        try:
            folder = os.open(output, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            return dict(self.db.execute("SELECT path, owner FROM files"))
        stat = os.stat
        try:
            for path, owner, mtime, size in self.db.execute(
                "SELECT path, owner, mtime, size FROM files"
            ):
                try:
                    st = stat(path, dir_fd=folder)
                except OSError:
                    damaged[path] = owner
                    continue
                if st.st_mtime_ns != mtime or st.st_size != size:
                    damaged[path] = owner
        finally:
            os.close(folder)
        return damaged

    def files(self, added: Mapping[str, str], removed: set[str]) -> Overlay[str]:
        """Every file of the site as it will be: path -> source that wrote it."""
        return Overlay(
            added,
            removed,
            lambda p: self._one("SELECT owner FROM files WHERE path = ?", p),
            lambda: self._column("SELECT path FROM files"),
        )

    def scans(self, added: Mapping[str, Scan | str], removed: set[str]) -> Overlay[Scan | str]:
        """Every page's links and ids as they will be."""
        return Overlay(
            added,
            removed,
            lambda p: self._one("SELECT scan FROM scans WHERE page = ?", p),
            lambda: self._column("SELECT page FROM scans"),
        )

    @_guarded
    def _column(self, sql: str) -> list[str]:
        return [value for (value,) in self.db.execute(sql)]

    @_guarded
    def _one(self, sql: str, key: str) -> Any:
        row = self.db.execute(sql, (key,)).fetchone()
        return row[0] if row else None

    @_guarded
    def apply(self, changes: Changes) -> None:
        """Write one build's changes in a single transaction."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
            _apply(self.db, changes)
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise


V = TypeVar("V")


class Overlay(Mapping[str, V]):
    """A table of the last build seen through this build's additions and removals."""

    def __init__(
        self,
        added: Mapping[str, V],
        removed: set[str],
        lookup: Callable[[str], V | None],
        every: Callable[[], Iterable[str]],
    ) -> None:
        self.added, self.removed, self.lookup, self.every = added, removed, lookup, every

    def __getitem__(self, key: str) -> V:
        if key in self.added:
            return self.added[key]
        value = None if key in self.removed else self.lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        yield from self.added
        for key in self.every():
            if key not in self.added and key not in self.removed:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _apply(db: sqlite3.Connection, c: Changes) -> None:
    def delete(table: str, column: str, keys: Iterable[str]) -> None:
        for batch in _chunks(keys):
            db.execute(
                f"DELETE FROM {table} WHERE {column} IN ({','.join('?' * len(batch))})",
                batch,
            )

    summary = pickle.dumps(c.summary, protocol=pickle.HIGHEST_PROTOCOL)
    db.executemany(
        "INSERT OR REPLACE INTO meta VALUES (?, ?)",
        [
            ("version", str(STATE_VERSION)),
            ("summary", summary),
            ("checksum", hashlib.sha256(summary).hexdigest()),
        ],
    )
    delete("sources", "rel", c.gone_sources)
    db.executemany(
        "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
        [
            (
                rel,
                pickle.dumps(k.listing) if k.listing is not None else None,
                k.slug,
                pickle.dumps(k.outputs),
            )
            for rel, k in c.sources.items()
        ],
    )
    delete("files", "path", c.gone_files)
    db.executemany(
        "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)",
        [(path, *record) for path, record in c.files.items()],
    )
    pages = c.gone_pages | set(c.scans)
    delete("scans", "page", c.gone_pages)
    delete("links", "page", pages)
    db.executemany(
        "INSERT OR REPLACE INTO scans VALUES (?, ?)",
        [(page, pack(scan)) for page, scan in c.scans.items()],
    )
    links: list[tuple[str, str]] = []
    for page, scan in c.scans.items():
        links.extend((target, page) for target in sorted({link.file for link in scan.links}))
    db.executemany("INSERT INTO links VALUES (?, ?)", links)


def create(folder: Path, changes: Changes) -> None:
    """Write the state of a full build: a new database, swapped in whole."""
    folder.mkdir(parents=True, exist_ok=True)
    remove_leftovers(folder, f"{FILE}.")  # temporary databases of builds that were killed
    tmp = folder / f"{FILE}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    db = sqlite3.connect(tmp, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = OFF")  # a new file: if this fails, it is discarded
        db.executescript(SCHEMA)
        db.execute("BEGIN")
        _apply(db, changes)
        db.execute("COMMIT")
    finally:
        db.close()
    discard(folder)  # a journal left by a killed build belongs to the old database
    os.replace(tmp, folder / FILE)
