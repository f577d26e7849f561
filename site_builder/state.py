"""What the last successful build knew, so the next one redoes only what changed.

Saved in the cache folder after every written build. It is a pickle of our own data
behind a SHA-256 of its bytes: a file that is truncated, edited or from another version
fails the check and the build starts from scratch (never trusts it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .check import Scan, pack
from .config import SiteConfig
from .errors import Diagnostic
from .model import Article, FrontMatter, Source
from .pyodide import PYODIDE_VERSION

STATE_VERSION = 2
PACKAGE = Path(__file__).resolve().parent
DEPENDENCIES = ("markdown", "jinja2", "pygments", "latex2mathml", "yaml")  # module names


class ArticleState:
    """One source file as last built, as plain values.

    Every incremental build loads thousands of these and looks at few: the article is
    rebuilt from its packed front matter only when a site-wide page must list it.
    """

    __slots__ = ("stamp", "listing", "warnings", "outputs")

    def __init__(
        self,
        stamp: tuple[Any, ...],
        listing: tuple[Any, ...] | None,
        warnings: list[Diagnostic],
        outputs: list[str],
    ) -> None:
        self.stamp = stamp
        self.listing = listing  # see listing(); None: skipped (a draft)
        self.warnings = warnings
        self.outputs = outputs  # files this source wrote

    def __getstate__(self) -> tuple[Any, ...]:
        return self.stamp, self.listing, self.warnings, self.outputs

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.stamp, self.listing, self.warnings, self.outputs = state

    def slug(self, source: Source) -> str | None:
        """The slug the article had (front matter first, then the file name)."""
        return None if self.listing is None else (self.listing[7] or source.slug)

    def article(self, source: Source) -> Article | None:
        """The article as index, tag pages and feed need it (no body, no code)."""
        if self.listing is None:
            return None
        *meta, slug_line, template_line = self.listing
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


@dataclass
class BuildState:
    """The last written build."""

    key: str  # everything that, when it changes, forces a full build
    articles: dict[str, ArticleState] = field(default_factory=dict)  # by source path
    site_outputs: list[str] = field(default_factory=list)  # index, tags, feed, sitemap...
    files: dict[str, str] = field(default_factory=dict)  # every file of the site -> its source
    scans: dict[str, Scan | str] = field(default_factory=dict)  # every page's links and ids


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
                fst = os.stat(path)
                stamp.append((os.path.relpath(path, source.bundle), fst.st_mtime_ns, fst.st_size))
    return tuple(stamp)


@dataclass
class StateIndex:
    """The small part of the state: enough to see that nothing changed."""

    key: str
    stamps: dict[str, tuple[Any, ...]]  # by source path
    warnings: list[Diagnostic]
    articles: int  # how many articles the site has
    detail: str  # SHA-256 of the detailed state saved with it


def _read(path: Path) -> tuple[str, Any]:
    """(SHA-256, value) of a file _write wrote; ("", None) if it is missing or damaged."""
    try:
        data = path.read_bytes()
    except OSError:
        return "", None
    digest, _, payload = data.partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        return "", None
    try:
        return digest.decode(), pickle.loads(payload)  # noqa: S301 (our own file, checked above)
    except Exception:
        return "", None


def _write(path: Path, value: Any) -> str:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(digest.encode() + b"\n" + payload)
    os.replace(tmp, path)
    return digest


def load_index(folder: Path, key: str) -> StateIndex | None:
    """The index of the last build if it is intact and was made with the same *key*."""
    index = _read(folder / "build-index.bin")[1]
    if not isinstance(index, StateIndex) or index.key != key:
        return None
    return index


# The state this process saved last, by folder, with its digest and the file's stamp: a
# long-running process (`serve`) rebuilds from memory rather than reading back what it just
# wrote, unless something else has written the file since.
_saved: dict[str, tuple[str, tuple[int, int], BuildState]] = {}


def _file_stamp(path: Path) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return st.st_mtime_ns, st.st_size


def load_state(folder: Path, index: StateIndex) -> BuildState | None:
    """The detailed state that belongs to *index*, if it is intact."""
    saved = _saved.get(str(folder))
    path = folder / "build-state.bin"
    if saved and saved[0] == index.detail and saved[1] == _file_stamp(path):
        return saved[2]
    digest, state = _read(path)
    if not isinstance(state, BuildState) or state.key != index.key or digest != index.detail:
        return None
    return state


def save_state(folder: Path, state: BuildState) -> None:
    """Write the detailed state, then the index that names it (each atomically)."""
    state.scans = {p: v if isinstance(v, str) else pack(v) for p, v in state.scans.items()}
    detail = _write(folder / "build-state.bin", state)
    _saved[str(folder)] = (detail, _file_stamp(folder / "build-state.bin"), state)
    stamps = {rel: a.stamp for rel, a in state.articles.items()}
    warnings = [w for a in state.articles.values() for w in a.warnings]
    count = sum(a.listing is not None for a in state.articles.values())
    _write(folder / "build-index.bin", StateIndex(state.key, stamps, warnings, count, detail))
