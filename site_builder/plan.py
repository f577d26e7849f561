"""The incremental policy: from the last build's state, what changed and what it forces.

A build without a saved state (the first, ``--full``, or one whose state is damaged or
made with other settings) plans to do everything. With one, only the sources whose stamps
changed are parsed, run and rendered; the site-wide pages (index, tags, feed, sitemap) are
rendered again only when some article's front matter changed, appeared or went away; links
are checked on the pages rendered and on the pages that link into what changed; files of
``_site/`` that were deleted or edited by hand are written again. ``state.py`` stores what
is needed for that; this module decides.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.util
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import SiteConfig, passthrough_files
from .errors import Collector
from .links import Scan
from .model import Article, FrontMatter, Source
from .output import FileConflict, SiteFiles
from .pyodide import PYODIDE_VERSION
from .state import Changes, Kept, State, StateDamaged, Summary, create, discard

PLAN_VERSION = 6  # part of every state key: a new layout of the state starts from scratch
PACKAGE = Path(__file__).resolve().parent
DEPENDENCIES = ("markdown", "jinja2", "pygments", "yaml")  # module names


def global_key(config: SiteConfig, drafts: bool, dev: bool) -> str:
    """Hash config, templates, static files, this package's code and its dependencies:
    when any of them changes, everything is built again."""
    h = hashlib.sha256(repr((PLAN_VERSION, config, drafts, dev, PYODIDE_VERSION)).encode())
    for name in DEPENDENCIES:  # an upgrade rewrites the package: its stamp changes
        spec = importlib.util.find_spec(name)
        if spec and spec.origin:
            st = os.stat(spec.origin)
            h.update(f"{spec.origin}:{st.st_mtime_ns}:{st.st_size}".encode())
    for root in (config.path("templates_dir"), config.path("static_dir"), PACKAGE):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if "__pycache__" in path.parts:
                continue
            h.update(os.fsencode(path.relative_to(root)))  # any name, UTF-8 or not
            h.update(path.read_bytes())
    for rel, file in passthrough_files(config):  # published as they are: stamps are enough
        st = file.stat()
        h.update(f"{rel}:{st.st_mtime_ns}:{st.st_size}".encode())
    lock = config.root / "packages-lock.json"  # the browser's packages (packages.py)
    if lock.is_file():
        h.update(lock.read_bytes())
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
                # A name that is not UTF-8 is kept as its bytes, escaped: the state is text.
                rel = os.fsencode(os.path.relpath(path, source.bundle))
                stamp.append(
                    (rel.decode("utf-8", "backslashreplace"), fst.st_mtime_ns, fst.st_size)
                )
    return tuple(stamp)


def file_stamp(path: Path) -> tuple[int, int]:
    """(modification time, size) of a file the build wrote, to notice later edits."""
    st = os.stat(path)
    return st.st_mtime_ns, st.st_size


@dataclass(frozen=True)
class Listing:
    """What later builds keep of an article: its front matter and the lines diagnostics
    found after parsing point at. Site-wide pages are made of listings alone."""

    meta: FrontMatter
    slug_line: int
    template_line: int

    @classmethod
    def of(cls, article: Article) -> Listing:
        return cls(article.meta, article.slug_line, article.template_line)

    def pack(self) -> tuple[Any, ...]:
        """A plain tuple for the state (dates as ordinals)."""
        m = self.meta
        date = m.date.toordinal() if m.date else None
        return (m.title, date, m.summary, m.authors, m.tags, m.draft, m.listed,
                m.template, m.slug, m.timeout, m.browser_time_limit,
                self.slug_line, self.template_line)  # fmt: skip

    @classmethod
    def unpack(cls, packed: tuple[Any, ...]) -> Listing:
        title, date, summary, authors, tags, draft, listed, *rest = packed
        template, slug, timeout, limit, *lines = rest
        meta = FrontMatter(
            title=title,
            date=dt.date.fromordinal(date) if date is not None else None,
            summary=summary,
            authors=authors,
            tags=tags,
            draft=draft,
            listed=listed,
            template=template,
            slug=slug,
            timeout=timeout,
            browser_time_limit=limit,
        )
        return cls(meta, *lines)

    def article(self, source: Source) -> Article:
        """The article as index, tag pages and feed need it (no body, no code)."""
        slug = self.meta.slug or source.slug
        return Article(
            source=Source(source.file, source.rel, slug, source.bundle_dir),
            meta=self.meta,
            slug_line=self.slug_line,
            template_line=self.template_line,
        )


def outdated_sources(deps: dict[str, dict[str, str]]) -> set[str]:
    """Sources whose Python ran with a distribution at another version than the one
    installed now (each distribution is looked up once)."""
    if not deps:
        return set()
    from .cells import installed_versions_match

    current: dict[tuple[str, str], bool] = {}
    outdated = set()
    for rel, versions in deps.items():
        for pair in versions.items():
            if pair not in current:
                current[pair] = installed_versions_match(dict([pair]))
            if not current[pair]:
                outdated.add(rel)
                break
    return outdated


def kept_deps(plan: Plan, changed: list[Article], executed: Mapping[str, Any]) -> dict[str, Any]:
    """The distributions each source's Python imported, for the next build's plan."""
    deps = {
        rel: versions
        for rel, versions in (plan.last.deps if plan.last else {}).items()
        if rel not in plan.parsed and rel in plan.stamps
    }
    for article in changed:
        run = executed.get(article.source.slug)
        if run is not None and run.deps:
            deps[article.source.rel] = run.deps
    return deps


@dataclass
class Plan:
    """What this build must do, given the last build's state (None: everything)."""

    state: State | None
    sources: list[Source]
    stamps: dict[str, tuple[Any, ...]]  # every source's stamp, by path
    fresh: list[Source]  # sources to parse, run and render
    gone: set[str]  # sources the last build had and this one doesn't
    before: dict[str, Kept]  # what the last build kept of fresh and gone sources
    repair_site_pages: bool = False  # a site-wide page of _site/ was changed by hand
    parsed: set[str] = field(default_factory=set)  # sources parsed (fresh, readable)

    @property
    def last(self) -> Summary | None:
        return self.state.summary if self.state else None

    @classmethod
    def make(
        cls,
        state: State | None,
        sources: list[Source],
        stamps: dict[str, tuple[Any, ...]],
        output: Path,
        check_output: bool = True,
    ) -> Plan:
        """Compare the sources (with their *stamps*), and with *check_output* the output
        folder (one stat per file: a preview, which nobody deploys, skips it), with the last
        build's state."""
        if state is None:
            return cls(None, sources, stamps, list(sources), set(), {})
        last = state.summary
        repair = outdated_sources(last.deps)
        repair_site = False
        for path, owner in (state.damaged_outputs(output) if check_output else {}).items():
            if path in last.site_outputs:
                repair_site = True
            elif owner in stamps:
                repair.add(owner)
            else:  # a static file or the runtime: not worth a special case
                raise StateDamaged(f"{output.name}/{path} was changed outside the build")
        fresh = [s for s in sources if last.stamps.get(s.rel) != stamps[s.rel] or s.rel in repair]
        gone = set(last.stamps) - set(stamps)
        before = state.kept([s.rel for s in fresh] + sorted(gone))
        return cls(state, sources, stamps, fresh, gone, before, repair_site)

    @property
    def nothing_changed(self) -> bool:
        last = self.last
        return bool(last) and not self.fresh and not self.gone and not self.repair_site_pages

    def taken_slugs(self, candidates: list[Article]) -> dict[str, str]:
        """Slugs of articles kept from the last build that *candidates* could clash with."""
        if not self.state:
            return {}
        changing = self.parsed | self.gone
        return {
            slug: rel
            for slug, rel in self.state.slugs(a.source.slug for a in candidates).items()
            if rel not in changing
        }

    def article_count(self, changed: list[Article]) -> int:
        if not self.last:
            return len(changed)
        removed = sum(k.listing is not None for k in self.before.values())
        return self.last.articles - removed + len(changed)

    def site_pages_changed(self, listings: Mapping[str, tuple[Any, ...]]) -> bool:
        """Must the index, tags, feed and sitemap be rendered again?"""
        if self.state is None or self.repair_site_pages:
            return True
        return any(
            (self.before[rel].listing if rel in self.before else None) != listings.get(rel)
            for rel in [*self.parsed, *self.gone]
        )

    def kept_articles(self) -> list[Article]:
        """Every article this build did not parse, rebuilt from its listing."""
        if not self.state:
            return []
        source_of = {s.rel: s for s in self.sources}
        return [
            Listing.unpack(packed).article(source_of[rel])
            for rel, packed in self.state.listings()
            if rel in source_of and rel not in self.parsed
        ]

    def site_files(
        self, out: SiteFiles, site_rendered: bool, problems: Collector
    ) -> tuple[Mapping[str, str], set[str], set[str], dict[str, str]]:
        """(every file of the site -> its source, files to delete, files the changed
        sources and site pages wrote before, owners of this build's files before)."""
        gone: set[str] = set()
        for kept in self.before.values():
            gone.update(kept.outputs)
        if site_rendered and self.last:
            gone.update(self.last.site_outputs)
        if not self.state:
            return dict(out.owners), set(), gone, {}
        previous = self.state.owners(out.owners)
        for path, owner in out.owners.items():
            if path not in gone and previous.get(path, owner) != owner:
                problems.error(owner, 0, str(FileConflict(path, previous[path], owner)))
        removed = gone - set(out.owners)
        return self.state.files(out.owners, removed), removed, gone, previous

    def scans(
        self, new: dict[str, Scan], gone_pages: set[str], touched: set[str], pages: list[str]
    ) -> tuple[Mapping[str, Scan | str], list[str]]:
        """(every page's links and ids, the other pages that link into *touched*)."""
        if not self.state:
            return new, []
        referrers = self.state.referrers(touched) - set(pages) - gone_pages
        return self.state.scans(new, gone_pages), sorted(referrers)

    def page_count(self, pages: list[str], gone_pages: set[str], previous: dict[str, str]) -> int:
        if not self.last:
            return len(pages)
        added = [p for p in pages if p not in previous]
        return self.last.pages - len(gone_pages) + len(added)


def kept_records(
    plan: Plan,
    changed: list[Article],
    listings: dict[str, tuple[Any, ...]],
    outputs_by_file: dict[str, str],
) -> dict[str, Kept]:
    """What the state keeps of each source this build parsed."""
    outputs: dict[str, list[str]] = {}
    for path, owner in outputs_by_file.items():
        outputs.setdefault(owner, []).append(path)
    slugs = {a.source.rel: a.source.slug for a in changed}
    return {
        rel: Kept(listings.get(rel), slugs.get(rel), sorted(outputs.get(rel, [])))
        for rel in plan.parsed
    }


def save_state(state_dir: Path, state: State | None, changes: Changes, problems: Collector) -> None:
    """Record this build for the next one; a state that cannot be written costs only
    speed (the next build is a full one)."""
    try:
        if state:
            state.apply(changes)
        else:
            create(state_dir, changes)
    except (OSError, sqlite3.Error) as exc:
        with contextlib.suppress(OSError):  # a folder that refuses writes refuses this too
            discard(state_dir)
        problems.warn(
            str(state_dir),
            0,
            f"could not save the build state ({exc}); the next build will be a full one",
        )


@dataclass(frozen=True)
class Known:
    """The sources a build found and their stamps. A long-running process (the dev server)
    hands them to its next build with the files its file events say were modified, so
    that build re-stamps only those instead of walking the content folder."""

    sources: list[Source]
    stamps: dict[str, tuple[Any, ...]]

    def after(self, modified: set[str]) -> Known | None:
        """The sources once *modified* (absolute paths of files that existed and still
        do) changed; None when one of them is not part of a known source."""
        by_folder = {s.bundle_dir or s.file: s for s in self.sources}
        stamps = dict(self.stamps)
        for path in modified:
            folder = path
            while folder not in by_folder:  # a file of a bundle: its folder's source
                parent = os.path.dirname(folder)
                if parent == folder:
                    return None
                folder = parent
            source = by_folder[folder]
            stamps[source.rel] = source_stamp(source)
        return Known(self.sources, stamps)
