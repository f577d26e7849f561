"""The build, phase by phase: the only module that knows their order."""

from __future__ import annotations

import functools
import json
import logging
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import cells, content, widgets
from .check import check_links
from .config import SiteConfig
from .errors import BuildError, Collector, Diagnostic
from .markdown import make_markdown, render_body, render_math, split_blocks
from .model import Article, Executed, Source
from .output import FileConflict, Output
from .pyodide import CDN_URL, PYODIDE_VERSION, RUNTIME_FILES, RuntimeMissing, ensure_runtime, sri
from .render import make_environment, render_feed, render_sitemap, tag_slug, template_diagnostic

log = logging.getLogger(__name__)
RUNTIME_SOURCES = sorted(p for p in (Path(__file__).parent / "runtime").glob("*.py"))


@dataclass
class BuildResult:
    """What a successful build produced."""

    output: Output
    articles: list[Article]
    warnings: list[Diagnostic] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def build(
    config: SiteConfig, *, drafts: bool = False, write: bool = True, dev: bool = False
) -> BuildResult:
    """Build the whole site; raise BuildError with every problem, leaving the output alone."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    problems = Collector()

    # 1. Gather every article before writing anything: index, feed and links need them all.
    articles = load_articles(config, problems, drafts)
    phase("read")

    # 2. Run each article's Python (cached by a hash of its code and inputs), in parallel.
    executed = run_articles(config, articles, problems)
    phase("execute")
    problems.raise_if_errors()

    # 3. Render: Markdown bodies, then templates, then site-wide files.
    out = Output()
    env = make_environment(config.path("templates_dir"), {})
    assets = copy_static(config, out)
    runtime = copy_runtime(config, out, problems)
    url = make_url(config)
    env.globals.update(
        site=config,
        url=url,
        asset=lambda p: url(assets[p]),
        dev=dev,
        pyodide_version=PYODIDE_VERSION,
    )
    sources: dict[str, str] = {}
    bodies = {}
    renames = {f"static/{k}": v for k, v in assets.items()}
    jobs = [(a, executed.get(a.source.slug)) for a in articles]
    for article, (body, toc, found) in zip(
        articles, parallel_map(render_article_body, jobs, config.base_path, renames), strict=True
    ):
        bodies[article.source.slug] = (body, toc)
        sources[article.source.rel] = article.raw
        problems.extend(found)
    problems.raise_if_errors()
    render_pages(config, env, out, articles, bodies, executed, runtime, assets, problems)
    phase("render")

    # 4. Check every internal link and anchor before anything is written.
    pages = {p: out.read(p) for p in out.files if p.endswith(".html")}
    problems.extend(check_links(pages, set(out.files), out.owners, config.base_path, sources))
    problems.raise_if_errors()
    phase("check")

    # 5. Swap the new site in whole.
    if write:
        out.commit(config.path("output_dir"))
    phase("write")
    log.info("built %d articles into %s", len(articles), config.output_dir)
    return BuildResult(out, articles, problems.warnings, timings)


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
    blocks = split_blocks(body, body_line, where, problems)
    _check_names(blocks.widgets, where, problems)
    found = problems.errors + problems.warnings
    if meta is None or (meta.draft and not drafts):
        return None, found
    slug = meta.slug or source.slug
    source = Source(source.path, source.rel, slug, source.bundle)
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
    )
    return article, found


def load_articles(config: SiteConfig, problems: Collector, drafts: bool) -> list[Article]:
    """Find, read and parse every article (on every core); newest first."""
    sources = content.find_sources(config.root, config.path("content_dir"), problems)
    articles: list[Article] = []
    by_slug: dict[str, str] = {}
    for article, found in parallel_map(parse_article, sources, drafts):
        problems.extend(found)
        if article is None:
            continue
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
            problems.error(
                where,
                article.slug_line,
                f"file conflict: {slug}/index.html is written by both {by_slug[slug]} and {where}",
            )
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
    articles.sort(
        key=lambda a: (
            a.meta.date is None,
            -(a.meta.date.toordinal() if a.meta.date else 0),
            a.source.slug,
        )
    )
    return articles


PARALLEL_MIN = 48  # below this, starting worker processes costs more than it saves


def parallel_map(func: Any, items: list[Any], *args: Any) -> list[Any]:
    """``[func(item, *args) for item in items]`` on every core, results in input order."""
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN or workers < 2:
        return [func(item, *args) for item in items]
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
    cache = config.path("cache_dir")

    def one(article: Article) -> tuple[Article, Any, list[Diagnostic]]:
        timeout = article.meta.timeout or config.runtime.timeout
        result, diags = cells.run_article(article, timeout, cache)
        return article, result, diags

    executed: dict[str, Executed] = {}
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        for article, result, diags in pool.map(one, articles):
            problems.extend(diags)
            if result is not None:
                found: list[Diagnostic] = []
                executed[article.source.slug] = cells.to_executed(article, result, found)
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
            "index_url": CDN_URL,
            "integrity": {name: sri(folder / name) for name in RUNTIME_FILES},
        }
    prefix = f"_pyodide/{PYODIDE_VERSION}/"
    for name in RUNTIME_FILES:
        out.write(prefix + name, folder / name, f"pyodide@{PYODIDE_VERSION}", link=True)
    return {"index_url": make_url(config)(prefix)}


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


_converters: dict[tuple[str, str], Any] = {}


def render_article_body(
    job: tuple[Article, Executed | None], base_path: str, renames: dict[str, str]
) -> tuple[str, list[dict[str, Any]], list[Diagnostic]]:
    """Markdown to HTML with cells, widgets, math and inline values filled in."""
    article, run = job
    key = (base_path, json.dumps(renames, sort_keys=True))
    if key not in _converters:  # one converter per process: building one is not cheap
        _converters[key] = make_markdown(base_path, renames)
    problems = Collector()
    where = article.source.rel
    math_html = [
        render_math(tex, display, where, line, problems) for tex, display, line in article.math
    ]
    run = run or Executed([], [], {}, {}, {})
    widget_html = []
    for w in article.widgets:
        inputs = "".join(widgets.render_input(i, run.rows.get(i.name)) for i in w.inputs)
        outputs = []
        for o in w.outputs:
            mathml = ""
            if o.type == "formula":
                mathml = render_math(o.options["tex"], True, where, o.line, problems)
            outputs.append(widgets.render_output(o, run.initial.get(o.id, {}), mathml))
        label = f' aria-label="{widgets._attr(w.label)}"' if w.label else ""
        caption = f"<figcaption>{widgets.html.escape(w.label)}</figcaption>" if w.label else ""
        widget_html.append(
            f'<figure class="xw-widget" id="widget-{w.index + 1}" role="group"{label}>{caption}'
            + (f'<div class="xw-inputs">{inputs}</div>' if inputs else "")
            + (f'<div class="xw-outputs">{"".join(outputs)}</div>' if outputs else "")
            + "</figure>"
        )
    inline_html = [widgets.html.escape(text) for text in run.inline_text]
    parts = {"CELL": run.cell_html, "WIDGET": widget_html, "MATH": math_html, "INLINE": inline_html}
    body, toc = render_body(_converters[key], article.body, parts)
    return body, toc, problems.errors


def page_spec(article: Article, run: Executed) -> dict[str, Any]:
    """What the browser worker needs: modules, browser cells, exports, inputs and outputs."""
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


def render_pages(
    config: SiteConfig,
    env: jinja2.Environment,
    out: Output,
    articles: list[Article],
    bodies: dict[str, tuple[str, list[dict[str, Any]]]],
    executed: dict[str, Executed],
    runtime: dict[str, Any],
    assets: dict[str, str],
    problems: Collector,
) -> None:
    """Write article pages, bundle files, the index, tag pages, 404, feed and sitemap."""
    url = make_url(config)
    tags: dict[str, list[Article]] = {}
    for article in articles:
        for tag in article.meta.tags:
            tags.setdefault(tag, []).append(article)

    def render(template: str, path: str, owner: str, **context: Any) -> None:
        try:
            html = env.get_template(template).render(**context)
        except (jinja2.TemplateError, TypeError, ValueError) as exc:
            problems.extend(
                [template_diagnostic(exc, config.path("templates_dir"), config.root, template)]
            )
            return
        try:
            out.write(path, html, owner)
        except FileConflict as exc:
            problems.error(owner, 0, str(exc))

    for article in articles:
        body, toc = bodies[article.source.slug]
        interactive = None
        run = executed.get(article.source.slug)
        if runtime and run and (article.widgets or any(c.browser for c in article.cells)):
            spec = json.dumps(page_spec(article, run), sort_keys=True, separators=(",", ":"))
            interactive = {
                "spec": url(
                    out.hashed(f"{article.url}page.json", spec.encode(), article.source.rel)
                ),
                "index_url": runtime["index_url"],
                "worker": url(assets["js/worker.js"]),
                "app": url(assets["js/app.js"]),
            }
        render(
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
                ):
                    rel = path.relative_to(article.source.bundle).as_posix()
                    try:
                        out.write(article.url + rel, path, article.source.rel)
                    except FileConflict as exc:
                        problems.error(article.source.rel, 0, str(exc))
    render(
        "index.html",
        "index.html",
        "templates/index.html",
        articles=articles,
        tags=tags,
        tag_slug=tag_slug,
    )
    for tag, tagged in sorted(tags.items()):
        render(
            "tag.html",
            f"tags/{tag_slug(tag)}/index.html",
            "templates/tag.html",
            tag=tag,
            articles=tagged,
            tag_slug=tag_slug,
        )
    render("404.html", "404.html", "templates/404.html")
    out.write("feed.xml", render_feed(config, articles, url), "feed")
    pages = [("", max((a.meta.date for a in articles if a.meta.date), default=None))]
    pages += [(a.url, a.meta.date) for a in articles]
    pages += [(f"tags/{tag_slug(t)}/", None) for t in sorted(tags)]
    out.write("sitemap.xml", render_sitemap(pages, url), "sitemap")
    out.write(
        "robots.txt", f"User-agent: *\nAllow: /\nSitemap: {url('sitemap.xml', True)}\n", "robots"
    )
    out.write(".nojekyll", b"", "github-pages")


def build_or_report(config: SiteConfig, **kwargs: Any) -> tuple[BuildResult | None, list[str]]:
    """Build, returning (result, []) or (None, formatted diagnostics)."""
    try:
        return build(config, **kwargs), []
    except BuildError as exc:
        return None, [d.format() for d in exc.diagnostics]
