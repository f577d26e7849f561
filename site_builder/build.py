"""The build, phase by phase: the only module that knows their order.

``build()`` checks that the output folder may be replaced (output.guard_output) and takes
the project's lock (lock.py), then:

1. **find** the sources (content.find_sources);
2. **plan** what changed since the last build and what that forces (plan.Plan; the state
   it reads is stored by state.py);
3. **parse** the changed articles: front matter, Markdown blocks, widgets (on every core);
4. **run** their Python in a box, with a cache (cells.py, runner.py, sandbox.py);
5. **copy** static files, passthrough files, the runtime and the browser's packages
   (assets.py), or only name them when the last build's are still right;
6. **render** their pages (article_pages.py), then the site-wide pages when what they
   list changed (site_pages.py);
7. **check** every internal link and anchor that could have changed (links.py);
8. **write** the site: swapped in whole, or only what changed (output.py), and save the
   state for the next build.

Any problem is collected as a diagnostic; the build stops at the end of the phase that
found it, before anything is written.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import answers, content
from .articles import draft_packages, newest_first, parse_sources
from .assets import copy_assets
from .cache import now as cache_clock
from .cache import prune
from .config import CONFIG_NAME, SiteConfig, config_line
from .errors import BuildError, Collector, Diagnostic
from .errors import rel as rel_path
from .links import check_links, scan_page
from .lock import Busy, build_lock
from .model import BuildResult
from .output import GUARD_HINTS, SiteFiles, discard_prepared, guard_folders, write_site
from .parallel import parallel_map
from .plan import (
    Known,
    Listing,
    Plan,
    file_stamp,
    global_key,
    kept_deps,
    kept_records,
    save_state,
    source_stamp,
)
from .runtime.program import RunResult
from .state import Changes, State, StateDamaged, Summary, discard
from .urls import Urls

# Heavy modules (Jinja2, Python-Markdown, Pygments) are imported where they are used, so a
# build that finds nothing changed never loads them.
log = logging.getLogger(__name__)


class InterruptedAfterWrite(KeyboardInterrupt):
    """Interrupted once the new site was in place, before its state was saved."""


@dataclass(frozen=True)
class Request:
    """What was asked of one build (``build``'s flags), handed down its phases."""

    drafts: bool = False  # a preview with drafts (preview_dir)
    write: bool = True  # False: build in memory and check (``site-builder check``)
    dev: bool = False  # for the dev server: its own folder, its reload script
    incremental: bool = True  # False: ignore the saved state (``--full``)
    known: Known | None = None  # the sources as they are, when the caller knows
    warm: Any = None  # the dev server's warm runners (warm.Pool): cells run there

    @property
    def preview(self) -> bool:
        return self.drafts or self.dev


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
    warm: Any = None,
) -> BuildResult:
    """Build the site; raise BuildError with every problem, leaving the output alone.

    A build that writes first checks its folders (guard_folders), then holds the project's
    lock: a second build waits for it (telling *waiting* once), or fails when *wait* is
    false. *incremental* false ignores the saved state (``--full``).

    A preview (*drafts*, or *dev* for the dev server) is written to its own folder,
    ``preview_dir``, with its own saved state: the output folder only ever holds what a
    plain build publishes. *known*: the sources as they are now, when the caller knows
    (Known.after); otherwise the content folder is walked. *warm*: a warm.Pool whose
    runners run the articles' Python (the dev server's: an edit runs what it reaches).
    """
    request = Request(drafts, write, dev, incremental, known, warm)
    if request.preview:
        config = replace(config, output_dir=str(preview_dir(config)))
    if not write:
        return _build_once(config, request)
    problems = Collector()
    for key, problem in guard_folders(config):  # output.py
        problems.error(
            CONFIG_NAME, config_line(config.root, key), problem, hint=GUARD_HINTS.get(key, "")
        )
    problems.raise_if_errors()
    try:
        with build_lock(config.path("cache_dir"), wait, waiting):
            return _build_once(config, request)
    except OSError as exc:  # the cache or output folder is unwritable, the disk full...
        where = rel_path(Path(os.fsdecode(exc.filename)), config.root) if exc.filename else ""
        raise BuildError(
            [Diagnostic(where or config.cache_dir, 0, 0, exc.strerror or str(exc))]
        ) from None
    except Busy as exc:
        message = f"another build of this project is running (pid {exc}); nothing was built"
        hint = "wait for it, or leave out --no-wait to wait automatically"
        raise BuildError([Diagnostic(config.cache_dir, 0, 0, message, hint)]) from None


def _scan(page: str, files: SiteFiles, urls: Urls) -> Any:
    """The links and anchors of one rendered page (links.scan_page), on any core."""
    return scan_page(page, files.read(page).decode("utf-8", "replace"), urls)


def preview_dir(config: SiteConfig) -> Path:
    """Where previews (drafts, the dev server) are built: inside the cache folder."""
    return Path(config.cache_dir) / "preview" / "site"


def _build_once(config: SiteConfig, request: Request) -> BuildResult:
    """One build from the saved state when it is usable, else from scratch; a full build
    then prunes the caches of what it did not use."""
    cache = config.path("cache_dir")
    state_dir = cache / "preview" if request.preview else cache
    started = cache_clock(state_dir) if request.write else 0.0
    key = global_key(config, request.drafts, request.dev)
    use_state = request.incremental and request.write and config.path("output_dir").is_dir()
    state = State.open(state_dir, key) if use_state else None
    try:
        result = _build(config, request, key, state, state_dir)
    except StateDamaged as exc:  # found while reading it: start again from scratch
        log.warning("ignoring the saved build state (%s); building everything", exc)
        if state:
            state.close()
            state = None
        discard(state_dir)
        result = _build(config, replace(request, known=None), key, None, state_dir)
    finally:
        discard_prepared()  # a build that failed before writing leaves no staging folder
        if state:
            state.close()
    if request.write and not result.incremental and not request.preview:
        for folder in ("cells", "highlight", "templates"):
            prune(state_dir / folder, started)
    return result


def _build(
    config: SiteConfig, request: Request, key: str, state: State | None, state_dir: Path
) -> BuildResult:
    """The phases, from the last build's *state* when there is one. Longer than other
    functions on purpose: it is the build's table of contents, each step one call."""
    problems = Collector()
    drafts, dev, known = request.drafts, request.dev, request.known
    # 1. Find every source. 2. Plan: only what changed is read (nothing, if nothing did).
    if known is None:
        sources = content.find_sources(config.root, config.path("content_dir"), problems)
        known = Known(sources, {s.rel: source_stamp(s) for s in sources})
    output = config.path("output_dir")
    plan = Plan.make(state, known.sources, known.stamps, output, check_output=not request.preview)
    if plan.nothing_changed and not problems.errors:
        last = plan.last
        assert last is not None
        for found in last.warnings.values():
            problems.extend(found)
        return BuildResult(
            SiteFiles(), [], {}, True, problems.warnings, last.articles, last.pages, known
        )

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
    executed: dict[str, RunResult] = {}
    if any(a.cells or a.widgets or a.inlines for a in changed):
        from .cells import run_articles

        envs = {}
        if packages:  # the locked wheels, unpacked, first on the cells' sys.path
            envs = {slug: packages.build_env(found) for slug, found in package_sets.items()}
        executed = run_articles(config, changed, problems, envs, request.warm)
    problems.raise_if_errors()

    # 5. Copy what the site ships besides pages (or only name it: nothing of it changed).
    urls = Urls(config.base_url)
    assets = copy_assets(config, urls, packages, state is not None and not lock_changed, problems)

    # 6. Render their pages, then the site-wide pages if what they list changed. Rendering
    # needs Jinja2, Python-Markdown, Pygments...: imported only now.
    from .article_pages import render_article_page, render_bodies
    from .render import RenderContext
    from .site_pages import render_site_pages

    ctx = RenderContext.make(config, dev, urls, assets, packages, package_sets)
    if request.write and state is None:  # a full build: its folders are made meanwhile
        ctx.files.prepare(output, [a.url for a in changed])
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

    # 7. Check the links of the pages rendered, and of pages linking into what changed.
    pages = sorted(p for p in ctx.files.files if p.endswith(".html"))
    new_scans = dict(zip(pages, parallel_map(_scan, pages, ctx.files, ctx.urls), strict=True))
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

    # 8. Write the site, then what the next build needs to know of it.
    page_count = plan.page_count(pages, gone_pages, previous)
    article_count = plan.article_count(changed)
    if request.write:
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
        answers.run_notes(changed, executed),
    )
