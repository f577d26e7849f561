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

import functools
import logging
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import content
from .cache import now as cache_clock
from .cache import prune
from .config import CONFIG_NAME, SiteConfig, config_line
from .errors import BuildError, Collector, Diagnostic
from .errors import rel as rel_path
from .links import check_links, scan_page
from .lock import Busy, build_lock
from .model import Article, Executed, Source
from .output import FileConflict, SiteFiles, WriteFailed, guard_output
from .plan import Listing, Plan, file_stamp, global_key
from .state import Changes, Kept, State, StateDamaged, Summary, create, discard

# Heavy modules (Jinja2, Python-Markdown, Pygments) are imported where they are used, so a
# build that finds nothing changed never loads them.
log = logging.getLogger(__name__)


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


def build(
    config: SiteConfig,
    *,
    drafts: bool = False,
    write: bool = True,
    dev: bool = False,
    incremental: bool = True,
    wait: bool = True,
    waiting: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the site; raise BuildError with every problem, leaving the output alone.

    A build that writes first checks its folders (guard_folders), then holds the project's
    lock: a second build waits for it (telling *waiting* once), or fails when *wait* is
    false. *incremental* false ignores the saved state (``--full``).
    """
    if not write:
        return _build_once(config, drafts, write, dev, incremental)
    problems = Collector()
    for key, problem in guard_folders(config):
        problems.error(
            CONFIG_NAME, config_line(config.root, key), problem, hint=GUARD_HINTS.get(key, "")
        )
    problems.raise_if_errors()
    try:
        with build_lock(config.path("cache_dir"), wait, waiting):
            return _build_once(config, drafts, write, dev, incremental)
    except OSError as exc:  # the cache or output folder is unwritable, the disk full...
        where = rel_path(Path(os.fsdecode(exc.filename)), config.root) if exc.filename else ""
        raise BuildError(
            [Diagnostic(where or config.cache_dir, 0, 0, exc.strerror or str(exc))]
        ) from None
    except Busy as exc:
        message = f"another build of this project is running (pid {exc}); nothing was built"
        hint = "wait for it, or leave out --no-wait to wait automatically"
        raise BuildError([Diagnostic(config.cache_dir, 0, 0, message, hint)]) from None


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
    output, cache = config.path("output_dir"), config.path("cache_dir")
    if problem := guard_output(
        root, output, {**sources, "cache_dir": cache}, shown=config.output_dir
    ):
        return [("output_dir", f"output_dir: {problem}; a build would replace it")]
    sources["output_dir"] = output
    if problem := guard_output(root, cache, sources, foreign=False, shown=config.cache_dir):
        return [("cache_dir", f"cache_dir: {problem}; a build would write into it")]
    return []


def _build_once(
    config: SiteConfig, drafts: bool, write: bool, dev: bool, incremental: bool
) -> BuildResult:
    """One build from the saved state when it is usable, else from scratch; a full build
    then prunes the caches of what it did not use."""
    state_dir = config.path("cache_dir")
    started = cache_clock(state_dir) if write else 0.0
    key = global_key(config, drafts, dev)
    use_state = incremental and write and config.path("output_dir").is_dir()
    state = State.open(state_dir, key) if use_state else None
    try:
        result = _build(config, drafts, write, dev, key, state)
    except StateDamaged as exc:  # found while reading it: start again from scratch
        log.warning("ignoring the saved build state (%s); building everything", exc)
        if state:
            state.close()
            state = None
        discard(state_dir)
        result = _build(config, drafts, write, dev, key, None)
    finally:
        if state:
            state.close()
    if write and not result.incremental:
        for folder in ("cells", "highlight", "templates"):
            prune(state_dir / folder, started)
    return result


def _build(
    config: SiteConfig, drafts: bool, write: bool, dev: bool, key: str, state: State | None
) -> BuildResult:
    """The phases, from the last build's *state* when there is one."""
    from .render import RenderContext, render_article_page, render_site_pages

    problems = Collector()
    # 1. Find every source. 2. Plan: only what changed is read (nothing, if nothing did).
    sources = content.find_sources(config.root, config.path("content_dir"), problems)
    plan = Plan.make(state, sources, config.path("output_dir"))
    if plan.nothing_changed and not problems.errors:
        assert plan.last is not None
        for rel in plan.stamps:
            problems.extend(plan.warnings_kept(rel))
        last = plan.last
        return BuildResult(SiteFiles(), [], {}, True, problems.warnings, last.articles, last.pages)

    # 3. Parse the sources that changed.
    changed, warnings = parse_sources(config, plan, drafts, problems)

    # 4. Run their Python.
    executed = run_articles(config, changed, problems)
    problems.raise_if_errors()

    # 5. Render their pages, then the site-wide pages if what they list changed.
    ctx = RenderContext.make(config, dev, unchanged_assets=state is not None, problems=problems)
    bodies = render_bodies(ctx, changed, executed)
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

    problems.extend(check_links(scans, files, ctx.urls, source_text, pages, referrers, touched))
    problems.raise_if_errors()

    # 7. Write the site, then what the next build needs to know of it.
    page_count = plan.page_count(pages, gone_pages, previous)
    article_count = plan.article_count(changed)
    if write:
        target = write_site(config, ctx.files, state is not None, removed, problems)
        summary = Summary(key, plan.stamps, warnings, article_count, page_count, site_outputs)
        changes = Changes(
            summary,
            sources=_kept(plan, changed, listings, article_outputs),
            gone_sources=plan.gone,
            files={p: (o, *file_stamp(target / p)) for p, o in ctx.files.owners.items()},
            gone_files=removed,
            scans=new_scans,
            gone_pages=gone_pages,
        )
        save_state(config, state, changes, problems)
    log.info("built %d articles (%d changed)", article_count, len(changed))
    return BuildResult(
        ctx.files,
        changed,
        files,
        state is not None,
        problems.warnings,
        article_count,
        page_count,
    )


def parse_sources(
    config: SiteConfig, plan: Plan, drafts: bool, problems: Collector
) -> tuple[list[Article], dict[str, list[Diagnostic]]]:
    """Parse the plan's fresh sources (on every core); return the articles to build,
    checked and newest first, and every source's warnings (kept for later builds)."""
    parsed = dict(
        zip(
            (s.rel for s in plan.fresh),
            parallel_map(parse_article, plan.fresh, drafts),
            strict=True,
        )
    )
    plan.parsed = set(parsed)
    warnings: dict[str, list[Diagnostic]] = {}
    candidates = []
    for source in plan.sources:
        if source.rel in parsed:
            article, found = parsed[source.rel]
            if article is not None:
                candidates.append(article)
        else:
            found = plan.warnings_kept(source.rel)
        problems.extend(found)
        if kept := [d for d in found if d.severity == "warning"]:
            warnings[source.rel] = kept
    return check_articles(config, candidates, problems, plan.taken_slugs(candidates)), warnings


def parse_article(source: Source, drafts: bool) -> tuple[Article | None, list[Diagnostic]]:
    """Read and parse one article file; return it (None if skipped) and its problems."""
    problems = Collector()
    where = source.rel
    text = content.read_text(source.path, where, problems)
    split = content.split_front_matter(text, where, problems) if text is not None else None
    if text is None or split is None:
        return None, problems.errors + problems.warnings
    data, key_lines, body, body_line = split
    meta = content.normalize_front_matter(data, key_lines, where, problems)
    from .markdown import split_blocks

    blocks = split_blocks(body, body_line, where, problems)
    _check_names(blocks.widgets, where, problems)
    found = problems.errors + problems.warnings
    if meta is None or (meta.draft and not drafts):
        return None, found
    article = Article(
        source=Source(source.file, source.rel, meta.slug or source.slug, source.bundle_dir),
        meta=meta,
        body=blocks.body,
        body_line=body_line,
        cells=tuple(blocks.cells),
        widgets=tuple(blocks.widgets),
        inlines=tuple(blocks.inlines),
        math=tuple(blocks.math),
        code=tuple(blocks.code),
        slug_line=key_lines.get("slug", 1),
        template_line=key_lines.get("template", 1),
    )
    return article, found


def check_articles(
    config: SiteConfig,
    candidates: list[Article],
    problems: Collector,
    taken: dict[str, str] | None = None,
) -> list[Article]:
    """Refuse unusable slugs, duplicate output paths and unknown templates; newest first.

    *taken* maps the slugs of articles already checked (kept from the last build) to
    their source files.
    """
    articles: list[Article] = []
    by_slug: dict[str, str] = dict(taken or {})
    for article in candidates:
        where, slug = article.source.rel, article.source.slug
        if not content.SLUG_RE.match(slug):
            problems.error(
                where,
                1,
                f"cannot make a URL from the file name ({slug!r})",
                hint="use lowercase letters, digits and '-', or set 'slug:'",
            )
            continue
        if slug in by_slug:
            first, second = sorted((by_slug[slug], where))
            conflict = FileConflict(f"{slug}/index.html", first, second)
            problems.error(where, article.slug_line, str(conflict))
            continue
        by_slug[slug] = where
        if article.meta.template != "article.html":
            template = config.path("templates_dir") / article.meta.template
            if not template.is_file():
                problems.error(
                    where,
                    article.template_line,
                    f"unknown template {article.meta.template!r}",
                    hint=f"templates live in {config.templates_dir}/",
                )
        articles.append(article)
    return newest_first(articles)


def newest_first(articles: list[Article]) -> list[Article]:
    """Articles in the order the index lists them: newest first, undated last, then slug."""
    return sorted(
        articles,
        key=lambda a: (
            a.meta.date is None,
            -(a.meta.date.toordinal() if a.meta.date else 0),
            a.source.slug,
        ),
    )


PARALLEL_MIN = 48  # below this, starting worker processes costs more than it saves


def parallel_map(func: Any, items: list[Any], *args: Any) -> list[Any]:
    """``[func(item, *args) for item in items]`` on every core, results in input order."""
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN or workers < 2:
        return [func(item, *args) for item in items]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunk = max(1, len(items) // (workers * 4))
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(functools.partial(_apply, func, args), items, chunksize=chunk))


def _apply(func: Any, args: tuple[Any, ...], item: Any) -> Any:
    return func(item, *args)


def _check_names(found: list[Any], where: str, problems: Collector) -> None:
    seen: dict[str, int] = {}
    for widget in found:
        for inp in widget.inputs:
            if inp.name in seen:
                problems.error(
                    where,
                    inp.line,
                    f"input '{inp.name}' is already defined on line {seen[inp.name]}",
                )
            seen[inp.name] = inp.line


def run_articles(
    config: SiteConfig, articles: list[Article], problems: Collector
) -> dict[str, Executed]:
    """Run every article's Python in child processes, two at a time on two cores."""
    articles = [a for a in articles if a.cells or a.widgets or a.inlines]
    if not articles:
        return {}
    from . import cells
    from .sandbox import landlock_abi

    cache = config.path("cache_dir")
    if not landlock_abi():
        log.warning(
            "cells run without an OS sandbox here (no Landlock): only Python's own file "
            "functions are kept inside the scratch folder, not subprocesses or ctypes"
        )

    def one(article: Article) -> tuple[Article, Any, list[Diagnostic]]:
        timeout = article.meta.timeout or config.runtime.timeout
        result, diags = cells.run_article(article, timeout, cache)
        return article, result, diags

    from concurrent.futures import ThreadPoolExecutor

    executed: dict[str, Executed] = {}
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        for article, result, diags in pool.map(one, articles):
            problems.extend(diags)
            if result is not None:
                found: list[Diagnostic] = []
                executed[article.source.slug] = cells.to_executed(
                    article, result, found, cache / "highlight"
                )
                problems.extend(found)
    except BaseException:  # Ctrl-C: stop the cells now rather than when they finish
        pool.shutdown(wait=False, cancel_futures=True)
        cells.stop_children()
        raise
    pool.shutdown()
    return executed


def render_bodies(
    ctx: Any, articles: list[Article], executed: dict[str, Executed]
) -> list[tuple[str, list[dict[str, Any]], list[Diagnostic]]]:
    """Every article's HTML body, on every core (render.render_article_body)."""
    from .render import render_article_body

    jobs = [(a, executed.get(a.source.slug)) for a in articles]
    highlights = ctx.config.path("cache_dir") / "highlight"
    return parallel_map(render_article_body, jobs, ctx.config.base_url, ctx.renames, highlights)


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


def _kept(
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


def save_state(
    config: SiteConfig, state: State | None, changes: Changes, problems: Collector
) -> None:
    """Record this build for the next one; a state that cannot be written costs only
    speed (the next build is a full one)."""
    state_dir = config.path("cache_dir")
    try:
        if state:
            state.apply(changes)
        else:
            create(state_dir, changes)
    except (OSError, sqlite3.Error) as exc:
        discard(state_dir)
        problems.warn(
            config.cache_dir,
            0,
            f"could not save the build state ({exc}); the next build will be a full one",
        )
