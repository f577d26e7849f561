"""What the last successful build knew, so the next one redoes only what changed.

Kept in SQLite in the cache folder (``build-state.sqlite3``), one row per source file,
output file and page, so that a build after an edit reads and writes only the rows of what
changed and of what links to it. A full build writes a new database beside the old one
and swaps it in; an incremental build changes it in one transaction. A database that is
missing, damaged, or made by another version or with other settings is ignored, and the
build starts from scratch.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import pickle
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .check import Scan, pack
from .config import SiteConfig
from .errors import Diagnostic
from .model import Article, FrontMatter, Source
from .output import remove_leftovers
from .pyodide import PYODIDE_VERSION

STATE_VERSION = 4
PACKAGE = Path(__file__).resolve().parent
DEPENDENCIES = ("markdown", "jinja2", "pygments", "latex2mathml", "yaml")  # module names
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


def global_key(config: SiteConfig, drafts: bool, dev: bool) -> str:
    """Hash config, templates, static files, this package's code and its dependencies."""
    h = hashlib.sha256(repr((STATE_VERSION, config, drafts, dev, PYODIDE_VERSION)).encode())
    for name in DEPENDENCIES:  # an upgrade rewrites the package: its stamp changes
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            st = os.stat(spec.origin)
            h.update(f"{spec.origin}:{st.st_mtime_ns}:{st.st_size}".encode())
    for root in (config.path("templates_dir"), config.path("static_dir"), PACKAGE):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def source_stamp(source: Source) -> tuple[Any, ...]:
    """A cheap fingerprint of a source and, for a bundle, of every file beside it."""
    st = os.stat(source.file)
    stamp: list[Any] = [st.st_mtime_ns, st.st_size]
    if source.bundle:
        for folder, dirs, files in os.walk(source.bundle):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                path = os.path.join(folder, name)
                try:
                    fst = os.stat(path)
                except OSError:  # a broken symlink: its own stamp
                    fst = os.lstat(path)
                stamp.append((os.path.relpath(path, source.bundle), fst.st_mtime_ns, fst.st_size))
    return tuple(stamp)


def file_stamp(path: Path) -> tuple[int, int]:
    """(modification time, size) of a file the build wrote, to notice later edits."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


def article_from(listing_: tuple[Any, ...], source: Source) -> Article:
    """An article as the index, tag pages and feed need it (no body, no code), rebuilt
    from what the last build kept of it."""
    *meta, slug_line, template_line = listing_
    if meta[1] is not None:
        meta[1] = dt.date.fromordinal(meta[1])
    slug = meta[7] or source.slug
    return Article(
        Source(source.file, source.rel, slug, source.bundle_dir),
        FrontMatter(*meta),
        "",
        (),
        (),
        (),
        (),
        0,
        "",
        slug_line,
        template_line,
    )


def listing(article: Article) -> tuple[Any, ...]:
    """An article's front matter and its lines, packed: what later builds keep of it, and
    what site-wide pages are made of (when it changes, they are rendered again)."""
    m = article.meta
    return (
        m.title,
        m.date.toordinal() if m.date else None,
        m.summary,
        m.authors,
        m.tags,
        m.draft,
        m.template,
        m.slug,
        m.timeout,
        article.slug_line,
        article.template_line,
    )


class StateDamaged(Exception):
    """The saved state could not be read back: the build must start from scratch."""


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn any failure to read the database into StateDamaged."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, TypeError, ValueError) as exc:
            raise StateDamaged(f"{type(exc).__name__}: {exc}") from exc

    return wrapper


def discard(folder: Path) -> None:
    """Remove the saved state (and any journal SQLite left beside it)."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        (folder / f"{FILE}{suffix}").unlink(missing_ok=True)


@dataclass
class Kept:
    """What the last build kept of one source file."""

    listing: tuple[Any, ...] | None  # see listing(); None: skipped (a draft)
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
            summary = pickle.loads(packed)
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
                pickle.loads(packed) if packed is not None else None,  # noqa: S301
                slug,
                pickle.loads(outputs),  # noqa: S301
            )
        return found

    @_guarded
    def slugs(self, slugs: Iterable[str]) -> dict[str, str]:
        """slug -> source file, for those of *slugs* some source had."""
        return dict(self._select("SELECT slug, rel FROM sources WHERE slug IN ({})", slugs))

    @_guarded
    def listings(self) -> list[tuple[str, tuple[Any, ...]]]:
        rows = self.db.execute("SELECT rel, listing FROM sources WHERE listing IS NOT NULL")
        return [(rel, pickle.loads(packed)) for rel, packed in rows]  # noqa: S301

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
        written (by modification time and size): path -> the source that wrote them."""
        damaged = {}
        base = str(output) + os.sep
        for path, owner, mtime, size in self.db.execute(
            "SELECT path, owner, mtime, size FROM files"
        ):
            try:
                st = os.stat(base + path)
            except OSError:
                damaged[path] = owner
                continue
            if st.st_mtime_ns != mtime or st.st_size != size:
                damaged[path] = owner
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
                f"DELETE FROM {table} WHERE {column} IN ({','.join('?' * len(batch))})",  # noqa: S608
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
    for page, (resolved, _) in c.scans.items():
        links.extend((target, page) for target in sorted({t for _, t, _ in resolved}))
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
