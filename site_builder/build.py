"""The build, phase by phase: the only module that knows their order."""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import content
from .cache import now as cache_clock
from .cache import prune
from .check import Scan, check_links, scan_page
from .config import CONFIG_NAME, SiteConfig, config_line
from .errors import BuildError, Collector, Diagnostic
from .errors import rel as rel_path
from .lock import Busy, build_lock
from .model import Article, Executed, Source
from .output import MARKER, MARKER_TEXT, FileConflict, Output, WriteFailed, guard_output
from .pyodide import (
    PYODIDE_VERSION,
    RUNTIME_FILES,
    RuntimeMissing,
    ensure_runtime,
    ensure_snapshot,
    integrity,
)
from .state import (
    Changes,
    Kept,
    State,
    StateDamaged,
    Summary,
    article_from,
    create,
    discard,
    file_stamp,
    global_key,
    listing,
    source_stamp,
)

if TYPE_CHECKING:
    import jinja2

# Heavy modules (Jinja2, Python-Markdown, Pygments) are imported where they are used, so a
# build that finds nothing changed never loads them.
log = logging.getLogger(__name__)
RUNTIME_SOURCES = sorted(p for p in (Path(__file__).parent / "runtime").glob("*.py"))


@dataclass
class BuildResult:
    """What a successful build produced."""

    output: Output  # the files this build wrote (all of them, unless it was incremental)
    articles: list[Article]  # the articles this build rendered (all, unless incremental)
    files: Mapping[str, str] = field(default_factory=dict)  # every file of the site -> source
    incremental: bool = False
    warnings: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
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

    With a saved state from the last build (same config, templates, static files and
    code), only sources whose files changed are parsed, run and rendered, site-wide pages
    are rendered only when the article list's metadata changed, and only changed files
    are written. Without one, everything is built and swapped in whole.

    A build that writes first checks that the output folder may be replaced
    (output.guard_output), then holds the project's lock (lock.build_lock): a second
    build waits for it (telling *waiting* once), or fails when *wait* is false.
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
        raise BuildError(
            [
                Diagnostic(
                    config.cache_dir,
                    0,
                    0,
                    f"another build of this project is running (pid {exc}); nothing was built",
                    hint="wait for it, or leave out --no-wait to wait automatically",
                )
            ]
        ) from None


GUARD_HINTS = {
    "output_dir": "set output_dir to a folder of its own, such as _site, or empty this one",
    "cache_dir": "set cache_dir to a folder of its own, such as .site-cache",
}


def guard_folders(config: SiteConfig) -> list[tuple[str, str]]:
    """(setting, problem) for every folder setting a build must not write to."""
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
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    started = cache_clock(config.path("cache_dir")) if write else 0.0

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    problems = Collector()
    output_dir = config.path("output_dir")
    state_dir = config.path("cache_dir")
    key = global_key(config, drafts, dev)
    use_state = incremental and write and output_dir.is_dir()
    state = State.open(state_dir, key) if use_state else None
    try:
        result = _build(config, drafts, write, dev, key, state, problems, phase, timings)
    except StateDamaged as exc:  # found while reading it: start again from scratch
        log.warning("ignoring the saved build state (%s); building everything", exc)
        if state:
            state.close()
            state = None
        discard(state_dir)
        timings.clear()
        result = _build(config, drafts, write, dev, key, None, Collector(), phase, timings)
    finally:
        if state:
            state.close()
    if write and not result.incremental:  # a full build: drop what no build needs now
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
    problems: Collector,
    phase: Callable[[str], None],
    timings: dict[str, float],
) -> BuildResult:
    """The build itself, from the last build's *state* when there is one."""
    output_dir = config.path("output_dir")
    state_dir = config.path("cache_dir")
    last = state.summary if state else None

    # 1. Gather every article before writing anything: index, feed and links need them all.
    #    Files unchanged since the last build are not even read.
    sources = content.find_sources(config.root, config.path("content_dir"), problems)
    stamps = {s.rel: source_stamp(s) for s in sources}
    # Files of the site that are missing or were changed since the last build wrote them
    # are written again: by rendering their source again, or everything when their
    # source is not an article.
    repair: set[str] = set()
    render_site_anyway = False
    if state and last:
        for path, owner in state.damaged_outputs(output_dir).items():
            if path in last.site_outputs:
                render_site_anyway = True
            elif owner in stamps:
                repair.add(owner)
            else:
                raise StateDamaged(f"{config.output_dir}/{path} was changed outside the build")
    if (
        last
        and last.stamps == stamps
        and not problems.errors
        and not (repair or render_site_anyway)
    ):
        for found in last.warnings.values():  # nothing changed since the last build
            problems.extend(found)
        phase("read")
        return BuildResult(
            Output(), [], {}, True, problems.warnings, timings, last.articles, last.pages
        )
    fresh = [
        s for s in sources if not last or last.stamps.get(s.rel) != stamps[s.rel] or s.rel in repair
    ]
    gone_sources = set(last.stamps) - set(stamps) if last else set()
    before = state.kept([s.rel for s in fresh] + sorted(gone_sources)) if state else {}
    parsed = dict(
        zip((s.rel for s in fresh), parallel_map(parse_article, fresh, drafts), strict=True)
    )
    warnings: dict[str, list[Diagnostic]] = {}
    candidates = []
    for source in sources:
        if source.rel not in parsed:
            assert last is not None
            found = last.warnings.get(source.rel, [])
        else:
            article, found = parsed[source.rel]
            if article is not None:
                candidates.append(article)
        problems.extend(found)
        if kept_warnings := [d for d in found if d.severity == "warning"]:
            warnings[source.rel] = kept_warnings
    # Slugs of the articles kept from the last build that this build's articles could clash with.
    taken = {}
    if state:
        changing = set(parsed) | gone_sources
        taken = {
            slug: rel
            for slug, rel in state.slugs(a.source.slug for a in candidates).items()
            if rel not in changing
        }
    changed = check_articles(config, candidates, problems, taken)
    kept_count = last.articles - sum(k.listing is not None for k in before.values()) if last else 0
    article_count = kept_count + len(changed)
    phase("read")

    # 2. Run the changed articles' Python (also cached by a hash of code and inputs).
    executed = run_articles(config, changed, problems)
    phase("execute")
    problems.raise_if_errors()

    # 3. Render the changed articles, then the site-wide pages if what they list changed.
    out = Output()
    out.write(MARKER, MARKER_TEXT, "site-builder")
    assets = copy_static(config, out)
    runtime = copy_runtime(config, out, problems)
    if state:
        out = Output()  # static files and the runtime are part of the key: unchanged
    url = make_url(config)
    from .render import make_environment

    env = make_environment(config.path("templates_dir"), {}, state_dir / "templates")
    env.globals.update(
        site=config,
        url=url,
        asset=lambda p: url(assets[p]),
        dev=dev,
        pyodide_version=PYODIDE_VERSION,
    )
    renames = {f"static/{k}": v for k, v in assets.items()}
    jobs = [(a, executed.get(a.source.slug)) for a in changed]
    bodies = parallel_map(
        render_article_body, jobs, config.base_path, renames, state_dir / "highlight"
    )
    for article, (body, toc, found) in zip(changed, bodies, strict=True):
        problems.extend(found)
        render_article_page(
            env,
            out,
            article,
            body,
            toc,
            executed.get(article.source.slug),
            runtime,
            assets,
            problems,
        )
    article_outputs = dict(out.owners)
    # Site-wide pages list every article's front matter: render them again only if some
    # article's changed, appeared or went away (only then are all articles gathered).
    listings = {a.source.rel: listing(a) for a in changed}
    render_site = (
        state is None
        or render_site_anyway
        or any(
            (before[rel].listing if rel in before else None) != listings.get(rel)
            for rel in [*parsed, *gone_sources]
        )
    )
    site_outputs = last.site_outputs if last else []
    if render_site:
        everything = list(changed)
        if state:
            source_of = {s.rel: s for s in sources}
            everything += [
                article_from(packed, source_of[rel])
                for rel, packed in state.listings()
                if rel in source_of and rel not in parsed
            ]
        written = set(out.files)
        render_site_pages(config, env, out, newest_first(everything), problems)
        site_outputs = sorted(set(out.files) - written)
    problems.raise_if_errors()

    # Every file of the new site: the last build's, less what changed sources and site
    # pages wrote then, plus what this build wrote.
    gone: set[str] = set()
    for kept in before.values():
        gone.update(kept.outputs)
    if render_site and last:
        gone.update(last.site_outputs)
    if state:
        previous_owners = state.owners(out.owners)
        for path, owner in out.owners.items():
            if path not in gone and previous_owners.get(path, owner) != owner:
                problems.error(owner, 0, str(FileConflict(path, previous_owners[path], owner)))
        removed = gone - set(out.owners)
        files: Mapping[str, str] = state.files(out.owners, removed)
    else:
        previous_owners, removed, files = {}, set(), dict(out.owners)
    problems.raise_if_errors()
    phase("render")

    # 4. Check every internal link and anchor before anything is written: those of the
    #    pages this build rendered, and those on other pages that point into what changed.
    pages = sorted(p for p in out.files if p.endswith(".html"))
    new_scans: dict[str, Scan] = {}
    for page in pages:
        text = out.read(page).decode("utf-8", "replace")
        new_scans[page] = scan_page(page, text, config.base_path)
    gone_pages = {p for p in removed if p.endswith(".html")}
    scans: Mapping[str, Scan | str] = state.scans(new_scans, gone_pages) if state else new_scans
    touched = set(out.files) | gone
    referrers = sorted(state.referrers(touched) - set(pages) - gone_pages) if state else []

    def source_text(owner: str) -> str:
        path = config.root / owner
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""

    problems.extend(
        check_links(scans, files, config.base_path, source_text, pages, referrers, touched)
    )
    problems.raise_if_errors()
    phase("check")

    # 5. Write: swap the new site in whole, or replace just what changed; then the state.
    added_pages = [p for p in pages if p not in previous_owners]
    page_count = (last.pages - len(gone_pages) + len(added_pages)) if last else len(pages)
    if write:
        try:
            if state:
                out.commit_changes(output_dir, removed=removed)
            else:
                out.commit(output_dir)
        except WriteFailed as exc:
            problems.error(rel_path(Path(exc.path), config.root), 0, str(exc))
            problems.raise_if_errors()
        target = output_dir.resolve()
        outputs: dict[str, list[str]] = {}
        for path, owner in article_outputs.items():
            outputs.setdefault(owner, []).append(path)
        slugs = {a.source.rel: a.source.slug for a in changed}
        changes = Changes(
            Summary(key, stamps, warnings, article_count, page_count, site_outputs),
            sources={
                rel: Kept(listings.get(rel), slugs.get(rel), sorted(outputs.get(rel, [])))
                for rel in parsed
            },
            gone_sources=gone_sources,
            files={path: (owner, *file_stamp(target / path)) for path, owner in out.owners.items()},
            gone_files=removed,
            scans=new_scans,
            gone_pages=gone_pages,
        )
        try:
            if state:
                state.apply(changes)
            else:
                create(state_dir, changes)
        except (OSError, sqlite3.Error) as exc:  # the site is written; only speed is lost
            discard(state_dir)
            problems.warn(
                config.cache_dir,
                0,
                f"could not save the build state ({exc}); the next build will be a full one",
            )
    phase("write")
    log.info(
        "built %d articles (%d changed) into %s", article_count, len(changed), config.output_dir
    )
    return BuildResult(
        out,
        changed,
        files,
        state is not None,
        problems.warnings,
        timings,
        article_count,
        page_count,
    )


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
    slug = meta.slug or source.slug
    source = Source(source.file, source.rel, slug, source.bundle_dir)
    article = Article(
        source,
        meta,
        blocks.body,
        tuple(blocks.cells),
        tuple(blocks.widgets),
        tuple(blocks.inlines),
        tuple(blocks.math),
        body_line,
        text,
        key_lines.get("slug", 1),
        key_lines.get("template", 1),
        tuple(blocks.code),
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


def copy_static(config: SiteConfig, out: Output) -> dict[str, str]:
    """Copy static/ with content-hashed names; return {original path: hashed path}."""
    assets: dict[str, str] = {}
    static = config.path("static_dir")
    for path in sorted(p for p in static.rglob("*") if p.is_file()):
        rel = path.relative_to(static).as_posix()
        assets[rel] = out.hashed(f"static/{rel}", path.read_bytes(), f"{config.static_dir}/{rel}")
    return assets


def copy_runtime(config: SiteConfig, out: Output, problems: Collector) -> dict[str, Any]:
    """Ship Pyodide inside the site (or point at the CDN); return how pages reach it."""
    source = config.runtime.source
    if source == "none":
        return {}
    try:
        folder = ensure_runtime(config.root / ".cache")
    except RuntimeMissing as exc:
        problems.error("site.toml", 0, str(exc))
        return {}
    if source == "cdn":
        return {
            "index_url": config.runtime.cdn_url,
            "integrity": integrity(folder),
        }
    prefix = f"_pyodide/{PYODIDE_VERSION}/"
    for name in RUNTIME_FILES:
        out.write(prefix + name, folder / name, f"pyodide@{PYODIDE_VERSION}")
    runtime = {"index_url": make_url(config)(prefix), "snapshot": ""}
    if config.runtime.snapshot:
        try:
            snapshot = ensure_snapshot(folder)
        except RuntimeMissing as exc:
            problems.warn("site.toml", 0, f"{exc}; pages will start Python without it")
        else:
            out.write(prefix + snapshot.name, snapshot, f"pyodide@{PYODIDE_VERSION}")
            runtime["snapshot"] = make_url(config)(prefix + snapshot.name)
    return runtime


def make_url(config: SiteConfig) -> Any:
    """Return url(path, absolute=False): every generated URL goes through it."""
    base_path = config.base_path
    origin = config.base_url[: len(config.base_url) - len(base_path) + 1].rstrip("/")

    def url(path: str, absolute: bool = False) -> str:
        path = path.lstrip("/")
        if path.endswith("index.html"):
            path = path[: -len("index.html")]
        return (origin if absolute else "") + base_path + path

    return url


_converters: dict[tuple[str, str, str], Any] = {}


def render_article_body(
    job: tuple[Article, Executed | None],
    base_path: str,
    renames: dict[str, str],
    highlights: Path | None = None,
) -> tuple[str, list[dict[str, Any]], list[Diagnostic]]:
    """Markdown to HTML with code, cells, widgets, math and inline values filled in;
    highlighted code is remembered in *highlights*."""
    from .highlight import highlight
    from .markdown import make_markdown, render_body, render_math

    article, run = job
    key = (base_path, json.dumps(renames, sort_keys=True), str(highlights))
    if key not in _converters:  # one converter per process: building one is not cheap
        _converters[key] = make_markdown(base_path, renames, highlights)
    problems = Collector()
    where = article.source.rel
    math_html = [
        render_math(tex, display, where, line, problems) for tex, display, line in article.math
    ]
    run = run or Executed([], [], {}, {}, {})
    widget_html = []
    if article.widgets:
        from . import widgets
    for w in article.widgets:
        inputs = "".join(widgets.render_input(i, run.rows.get(i.name)) for i in w.inputs)
        outputs = []
        for o in w.outputs:
            mathml = ""
            if o.type == "formula":
                mathml = render_math(o.options["tex"], True, where, o.line, problems)
            outputs.append(widgets.render_output(o, run.initial.get(o.id, {}), mathml))
        label = f' aria-label="{html.escape(w.label, quote=True)}"' if w.label else ""
        caption = f"<figcaption>{html.escape(w.label)}</figcaption>" if w.label else ""
        widget_html.append(
            f'<figure class="xw-widget" id="widget-{w.index + 1}" role="group"{label}>{caption}'
            + (f'<div class="xw-inputs">{inputs}</div>' if inputs else "")
            + (f'<div class="xw-outputs">{"".join(outputs)}</div>' if outputs else "")
            + "</figure>"
        )
    inline_html = [html.escape(text) for text in run.inline_text]
    code_html = [
        highlight(code, lang, highlights, hl_lines=lines) for lang, code, lines in article.code
    ]
    parts = {
        "CODE": code_html,
        "CELL": run.cell_html,
        "WIDGET": widget_html,
        "MATH": math_html,
        "INLINE": inline_html,
    }
    body, toc = render_body(_converters[key], article.body, parts)
    return body, toc, problems.errors


def page_spec(article: Article, run: Executed) -> dict[str, Any]:
    """What the browser worker needs: modules, browser cells, exports, inputs and outputs."""
    from . import widgets

    names = {i.name for w in article.widgets for i in w.inputs}
    modules = {
        f"site_builder/runtime/{p.name}": p.read_text(encoding="utf-8") for p in RUNTIME_SOURCES
    }
    modules["site_builder/__init__.py"] = ""
    if article.source.bundle:
        for path in sorted(article.source.bundle.glob("*.py")):
            modules[path.name] = path.read_text(encoding="utf-8")
    return {
        "article": article.source.rel,
        "modules": modules,
        "cells": [{"code": c.code, "line": c.line} for c in article.cells if c.browser],
        "exports": run.exports,
        "inputs": [widgets.input_spec(i) for w in article.widgets for i in w.inputs],
        "outputs": [widgets.output_spec(o, names) for w in article.widgets for o in w.outputs],
    }


def _render(
    env: jinja2.Environment,
    out: Output,
    problems: Collector,
    template: str,
    path: str,
    owner: str,
    **context: Any,
) -> None:
    """Render one template into *out*; a template problem becomes a diagnostic."""
    import jinja2

    from .render import template_diagnostic

    try:
        text = env.get_template(template).render(**context)
    except (jinja2.TemplateError, TypeError, ValueError) as exc:
        templates = Path(env.loader.searchpath[0])  # type: ignore[union-attr]
        problems.extend([template_diagnostic(exc, templates, templates.parent, template)])
        return
    try:
        out.write(path, text, owner)
    except FileConflict as exc:
        problems.error(owner, 0, str(exc))


def render_article_page(
    env: jinja2.Environment,
    out: Output,
    article: Article,
    body: str,
    toc: list[dict[str, Any]],
    run: Executed | None,
    runtime: dict[str, Any],
    assets: dict[str, str],
    problems: Collector,
) -> None:
    """Write one article's page, its spec for the browser, and its bundle's files."""
    from .render import tag_slug

    url = env.globals["url"]
    interactive = None
    if runtime and run and (article.widgets or any(c.browser for c in article.cells)):
        spec = json.dumps(page_spec(article, run), sort_keys=True, separators=(",", ":"))
        name = out.hashed(f"{article.url}page.json", spec.encode(), article.source.rel)
        index_url = runtime["index_url"]
        parts = urlsplit(index_url)
        interactive = {
            "spec": url(name),  # type: ignore[operator]
            "index_url": index_url,
            # A runtime on another origin: the page's CSP must allow it, and every file is
            # checked against the hashes of the files this build was made with.
            "origin": f"{parts.scheme}://{parts.netloc}" if parts.netloc else "",
            "integrity": json.dumps(runtime["integrity"], sort_keys=True)
            if "integrity" in runtime
            else "",
            "snapshot": runtime.get("snapshot", ""),
            "worker": url(assets["js/worker.js"]),  # type: ignore[operator]
            "app": url(assets["js/app.js"]),  # type: ignore[operator]
        }
    _render(
        env,
        out,
        problems,
        article.meta.template,
        f"{article.url}index.html",
        article.source.rel,
        article=article,
        page=article.meta,
        body=body,
        toc=toc,
        interactive=interactive,
        tag_slug=tag_slug,
    )
    if article.source.bundle:
        for path in sorted(article.source.bundle.rglob("*")):
            if (
                path.is_file()
                and path != article.source.path
                and "__pycache__" not in path.parts
                and not content.is_editor_file(path.name)
            ):
                rel = path.relative_to(article.source.bundle).as_posix()
                try:
                    out.write(article.url + rel, path, article.source.rel)
                except FileConflict as exc:
                    problems.error(article.source.rel, 0, str(exc))


def render_site_pages(
    config: SiteConfig,
    env: jinja2.Environment,
    out: Output,
    articles: list[Article],
    problems: Collector,
) -> None:
    """Write the index, tag pages, 404, feed, sitemap, robots.txt and .nojekyll."""
    from .render import render_feed, render_sitemap, tag_slug

    url = make_url(config)
    tags: dict[str, list[Article]] = {}
    for article in articles:
        for tag in article.meta.tags:
            tags.setdefault(tag, []).append(article)
    _render(
        env,
        out,
        problems,
        "index.html",
        "index.html",
        "templates/index.html",
        articles=articles,
        tags=tags,
        tag_slug=tag_slug,
    )
    for tag, tagged in sorted(tags.items()):
        _render(
            env,
            out,
            problems,
            "tag.html",
            f"tags/{tag_slug(tag)}/index.html",
            "templates/tag.html",
            tag=tag,
            articles=tagged,
            tag_slug=tag_slug,
        )
    _render(env, out, problems, "404.html", "404.html", "templates/404.html")
    out.write("feed.xml", render_feed(config, articles, url), "feed")
    pages = [("", max((a.meta.date for a in articles if a.meta.date), default=None))]
    pages += [(a.url, a.meta.date) for a in articles]
    pages += [(f"tags/{tag_slug(t)}/", None) for t in sorted(tags)]
    out.write("sitemap.xml", render_sitemap(pages, url), "sitemap")
    out.write(
        "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {url('sitemap.xml', True)}\n", "robots"
    )
    out.write(".nojekyll", b"", "github-pages")
