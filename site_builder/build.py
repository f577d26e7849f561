"""The build, phase by phase: the only module that knows their order.

``build()`` checks that the output folder may be replaced (output.guard_output) and takes
the project's lock (lock.py), then:

1. **find** the sources (content.find_sources);
2. **plan** what changed since the last build and what that forces (plan.Plan; the state
   it reads is stored by state.py);
3. **parse** the changed articles: front matter, Markdown blocks, widgets (on every core);
4. **run** their Python in a box, with a cache (cells.py, runner.py, sandbox.py);
5. **render** their pages, then the site-wide pages when what they list changed
   (render.py, with static files and the runtime from assets.py);
6. **check** every internal link and anchor that could have changed (links.py);
7. **write** the site: swapped in whole, or only what changed (output.py), and save the
   state for the next build.

Any problem is collected as a diagnostic; the build stops at the end of the phase that
found it, before anything is written.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import answers, content
from .articles import draft_packages, newest_first, parse_sources
from .cache import now as cache_clock
from .cache import prune
from .config import CONFIG_NAME, SiteConfig, config_line
from .errors import BuildError, Collector, Diagnostic
from .errors import rel as rel_path
from .links import check_links, scan_page
from .lock import Busy, build_lock
from .model import Article, Executed, Source
from .output import GUARD_HINTS, SiteFiles, WriteFailed, guard_folders
from .plan import (
    Listing,
    Plan,
    file_stamp,
    global_key,
    kept_deps,
    kept_records,
    save_state,
    source_stamp,
)
from .state import Changes, State, StateDamaged, Summary, discard

# Heavy modules (Jinja2, Python-Markdown, Pygments) are imported where they are used, so a
# build that finds nothing changed never loads them.
log = logging.getLogger(__name__)


class InterruptedAfterWrite(KeyboardInterrupt):
    """Interrupted once the new site was in place, before its state was saved."""


@dataclass
class BuildResult:
    """What a successful build produced."""

    files_written: SiteFiles  # the files this build wrote (all, unless it was incremental)
    articles: list[Article]  # the articles this build rendered (all, unless incremental)
    files: Mapping[str, str] = field(default_factory=dict)  # every file of the site -> source
    incremental: bool = False
    warnings: list[Diagnostic] = field(default_factory=list)
    article_count: int = 0  # articles in the site
    page_count: int = 0  # HTML pages in the site
    sources: Known | None = None  # what the next build in this process may start from
    notes: list[str] = field(default_factory=list)  # per article: its answers ahead


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


def build(
    config: SiteConfig,
    *,
    drafts: bool = False,
    write: bool = True,
    dev: bool = False,
    incremental: bool = True,
    wait: bool = True,
    waiting: Callable[[str], None] | None = None,
    known: Known | None = None,
) -> BuildResult:
    """Build the site; raise BuildError with every problem, leaving the output alone.

    A build that writes first checks its folders (guard_folders), then holds the project's
    lock: a second build waits for it (telling *waiting* once), or fails when *wait* is
    false. *incremental* false ignores the saved state (``--full``).

    A preview (*drafts*, or *dev* for the dev server) is written to its own folder,
    ``preview_dir``, with its own saved state: the output folder only ever holds what a
    plain build publishes. *known*: the sources as they are now, when the caller knows
    (Known.after); otherwise the content folder is walked.
    """
    if drafts or dev:
        config = replace(config, output_dir=str(preview_dir(config)))
    if not write:
        return _build_once(config, drafts, write, dev, incremental, known)
    problems = Collector()
    for key, problem in guard_folders(config):  # output.py
        problems.error(
            CONFIG_NAME, config_line(config.root, key), problem, hint=GUARD_HINTS.get(key, "")
        )
    problems.raise_if_errors()
    try:
        with build_lock(config.path("cache_dir"), wait, waiting):
            return _build_once(config, drafts, write, dev, incremental, known)
    except OSError as exc:  # the cache or output folder is unwritable, the disk full...
        where = rel_path(Path(os.fsdecode(exc.filename)), config.root) if exc.filename else ""
        raise BuildError(
            [Diagnostic(where or config.cache_dir, 0, 0, exc.strerror or str(exc))]
        ) from None
    except Busy as exc:
        message = f"another build of this project is running (pid {exc}); nothing was built"
        hint = "wait for it, or leave out --no-wait to wait automatically"
        raise BuildError([Diagnostic(config.cache_dir, 0, 0, message, hint)]) from None


def preview_dir(config: SiteConfig) -> Path:
    """Where previews (drafts, the dev server) are built: inside the cache folder."""
    return Path(config.cache_dir) / "preview" / "site"


def _build_once(
    config: SiteConfig,
    drafts: bool,
    write: bool,
    dev: bool,
    incremental: bool,
    known: Known | None = None,
) -> BuildResult:
    """One build from the saved state when it is usable, else from scratch; a full build
    then prunes the caches of what it did not use."""
    preview = drafts or dev
    state_dir = config.path("cache_dir") / "preview" if preview else config.path("cache_dir")
    started = cache_clock(state_dir) if write else 0.0
    key = global_key(config, drafts, dev)
    use_state = incremental and write and config.path("output_dir").is_dir()
    state = State.open(state_dir, key) if use_state else None
    try:
        result = _build(config, drafts, write, dev, key, state, state_dir, known)
    except StateDamaged as exc:  # found while reading it: start again from scratch
        log.warning("ignoring the saved build state (%s); building everything", exc)
        if state:
            state.close()
            state = None
        discard(state_dir)
        result = _build(config, drafts, write, dev, key, None, state_dir)
    finally:
        if state:
            state.close()
    if write and not result.incremental and not preview:
        for folder in ("cells", "highlight", "templates"):
            prune(state_dir / folder, started)
    return result


def _build(
    config: SiteConfig,
    drafts: bool,
    write: bool,
    dev: bool,
    key: str,
    state: State | None,
    state_dir: Path,
    known: Known | None = None,
) -> BuildResult:
    """The phases, from the last build's *state* when there is one. Longer than other
    functions on purpose: it is the build's table of contents, each step one call."""
    problems = Collector()
    # 1. Find every source. 2. Plan: only what changed is read (nothing, if nothing did).
    if known is None:
        sources = content.find_sources(config.root, config.path("content_dir"), problems)
        known = Known(sources, {s.rel: source_stamp(s) for s in sources})
    output, preview = config.path("output_dir"), drafts or dev
    plan = Plan.make(state, known.sources, known.stamps, output, check_output=not preview)
    if plan.nothing_changed and not problems.errors:
        last = plan.last
        assert last is not None
        for found in last.warnings.values():
            problems.extend(found)
        return BuildResult(
            SiteFiles(), [], {}, True, problems.warnings, last.articles, last.pages, known
        )

    # Rendering needs Jinja2, Python-Markdown, Pygments...: imported only now.
    from .render import RenderContext, render_article_page, render_bodies, render_site_pages

    # 3. Parse the sources that changed.
    changed, warnings = parse_sources(config, plan, drafts, problems)  # articles.py
    # ... and the Python packages they declare for the browser, from the lock (packages.py).
    packages, package_sets = None, dict[str, Any]()
    if state is None or config.runtime.packages or any(a.meta.packages for a in changed):
        from .packages import resolve_articles

        draft_sets = draft_packages(plan, changed) if state is None and not drafts else []
        packages, package_sets = resolve_articles(
            config, changed, state is None, problems, draft_sets
        )
    problems.raise_if_errors()
    lock_changed = bool(packages and packages.changed)

    # 4. Run their Python (the runner and the widgets are imported only when there is some).
    executed: dict[str, Executed] = {}
    if any(a.cells or a.widgets or a.inlines for a in changed):
        from .cells import run_articles

        envs = {}
        if packages:  # the locked wheels, unpacked, first on the cells' sys.path
            envs = {slug: packages.build_env(found) for slug, found in package_sets.items()}
        executed = run_articles(config, changed, problems, envs)
    problems.raise_if_errors()

    # 5. Render their pages, then the site-wide pages if what they list changed.
    ctx = RenderContext.make(
        config,
        dev,
        unchanged_assets=state is not None and not lock_changed,
        problems=problems,
        packages=packages,
        package_sets=package_sets,
    )
    bodies = render_bodies(ctx, changed, executed, problems)
    for article, (body, toc, found) in zip(changed, bodies, strict=True):
        problems.extend(found)
        render_article_page(ctx, article, body, toc, executed.get(article.source.slug), problems)
    article_outputs = dict(ctx.files.owners)
    listings = {a.source.rel: Listing.of(a).pack() for a in changed}
    site_rendered = plan.site_pages_changed(listings)
    site_outputs = plan.last.site_outputs if plan.last else []
    if site_rendered:
        written = set(ctx.files.files)
        render_site_pages(ctx, newest_first(changed + plan.kept_articles()), problems)
        site_outputs = sorted(set(ctx.files.files) - written)
    problems.raise_if_errors()
    files, removed, gone, previous = plan.site_files(ctx.files, site_rendered, problems)
    problems.raise_if_errors()

    # 6. Check the links of the pages rendered, and of pages linking into what changed.
    pages = sorted(p for p in ctx.files.files if p.endswith(".html"))
    new_scans = {
        p: scan_page(p, ctx.files.read(p).decode("utf-8", "replace"), ctx.urls) for p in pages
    }
    gone_pages = {p for p in removed if p.endswith(".html")}
    touched = set(ctx.files.files) | gone
    scans, referrers = plan.scans(new_scans, gone_pages, touched, pages)

    def source_text(owner: str) -> str:
        path = config.root / owner
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    problems.extend(
        check_links(scans, files, ctx.urls, source_text, pages, referrers, touched, ctx.renames)
    )
    problems.raise_if_errors()

    # 7. Write the site, then what the next build needs to know of it.
    page_count = plan.page_count(pages, gone_pages, previous)
    article_count = plan.article_count(changed)
    if write:
        target = write_site(config, ctx.files, state is not None, removed, problems)
        if packages and packages.changed:  # the lock is part of the key: save under the new one
            packages.save()
            key = global_key(config, drafts, dev)
        deps = kept_deps(plan, changed, executed)
        summary = Summary(key, plan.stamps, warnings, article_count, page_count, site_outputs, deps)
        changes = Changes(
            summary,
            sources=kept_records(plan, changed, listings, article_outputs),
            gone_sources=plan.gone,
            files={p: (o, *file_stamp(target / p)) for p, o in ctx.files.owners.items()},
            gone_files=removed,
            scans=new_scans,
            gone_pages=gone_pages,
        )
        try:
            save_state(state_dir, state, changes, problems)
        except KeyboardInterrupt:  # the site is written: say so, and forget the state
            with contextlib.suppress(OSError):
                discard(state_dir)
            raise InterruptedAfterWrite from None
    log.info("built %d articles (%d changed)", article_count, len(changed))
    return BuildResult(
        ctx.files,
        changed,
        files,
        state is not None,
        problems.warnings,
        article_count,
        page_count,
        known,
        run_notes(changed, executed),
    )


def run_notes(changed: list[Article], executed: dict[str, Executed]) -> list[str]:
    """Per article whose Python this build ran (not reused from the cache): how long, and
    why; then what it answers ahead (answers.report)."""
    notes = []
    for article in changed:
        run = executed.get(article.source.slug)
        if run and run.seconds:
            notes.append(
                f"{article.source.rel}: ran its Python in {run.seconds:.1f} s (new code, a "
                "module, a data file or a package changed; prose edits reuse the last run)"
            )
        if run and run.answers:
            notes.append(answers.report(article.source.rel, run.answers))
    return notes


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
        problems.error(rel_path(Path(exc.path), config.root), 0, str(exc))
        problems.raise_if_errors()
    return output.resolve()
