"""The parse phase: article files into Article records, checked and in index order."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from . import content
from .config import SiteConfig
from .errors import Collector, Diagnostic
from .model import Article, Source
from .output import FileConflict
from .parallel import parallel_map
from .plan import Plan


def parse_sources(
    config: SiteConfig, plan: Plan, drafts: bool, problems: Collector
) -> tuple[list[Article], dict[str, list[Diagnostic]]]:
    """Parse the plan's fresh sources (on every core); return the articles to build,
    checked and newest first, and every source's warnings (kept for later builds)."""
    parsed = dict(
        zip(
            (s.rel for s in plan.fresh),
            parallel_map(parse_article, plan.fresh, drafts, config.csp, config.permalink),
            strict=True,
        )
    )
    plan.parsed = set(parsed)
    warnings: dict[str, list[Diagnostic]] = {}
    candidates = []
    kept = plan.last.warnings if plan.last else {}
    for source in plan.sources:
        if source.rel in parsed:
            article, found = parsed[source.rel]
            if article is not None:
                candidates.append(article)
        else:
            found = kept.get(source.rel, [])
        problems.extend(found)
        if only := [d for d in found if d.severity == "warning"]:
            warnings[source.rel] = only
    return check_articles(config, candidates, problems, plan.taken_slugs(candidates)), warnings


def permalinked(pattern: str, meta: Any, slug: str) -> str:
    """The address *pattern* (site.toml's ``permalink``, Jekyll's placeholders) gives an
    article, without its slashes; "" when it needs a date the article does not have."""
    if not pattern:
        return ""
    if pattern == "pretty":  # Jekyll's style of that name
        pattern = "/:categories/:year/:month/:day/:title/"
    date = meta.date
    values = {
        "slug": slug,
        "title": slug,
        "categories": "/".join(content.url_slug(t) for t in meta.tags),
    }
    if date is not None:
        values |= {
            "year": f"{date.year:04d}",
            "short_year": f"{date.year % 100:02d}",
            "month": f"{date.month:02d}",
            "i_month": str(date.month),
            "day": f"{date.day:02d}",
            "i_day": str(date.day),
        }
    names = re.findall(r":([a-z_]+)", pattern)
    if any(n not in values for n in names):
        return ""
    for name in sorted(set(names), key=len, reverse=True):  # :i_month before :month
        pattern = pattern.replace(f":{name}", values[name])
    return re.sub(r"/{2,}", "/", pattern).strip("/")


def draft_packages(plan: Plan, built: list[Article]) -> list[tuple[str, ...]]:
    """The `packages:` of the sources a build without drafts left out (drafts, read from
    their front matter): the lock keeps their sets for when they are published."""
    done = {a.source.rel for a in built}
    found = []
    for source in plan.sources:
        if source.rel in done:
            continue
        quiet = Collector()
        text = content.read_text(source.path, source.rel, quiet)
        split = content.split_front_matter(text, source.rel, quiet) if text is not None else None
        if split is None:
            continue
        meta = content.normalize_front_matter(split[0], split[1], source.rel, quiet)
        if meta is not None and meta.draft and meta.packages:
            found.append(meta.packages)
    return found


MORE = "<!--more-->"


def plain_summary(markdown: str) -> str:
    """The plain text of the Markdown before ``<!--more-->`` (links as their text, no
    markup, no code or math), for the index and the feed."""
    text = re.sub(r"```.*?```|~~~.*?~~~|\$\$.*?\$\$", " ", markdown, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](url), ![alt](src)
    text = re.sub(r"<[^>]+>|\{py\}`[^`]*`", " ", text)
    text = re.sub(r"\$([^$\n]*)\$", r"\1", text)  # inline math as its TeX
    text = re.sub(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", text, flags=re.M)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def parse_article(
    source: Source, drafts: bool, site_csp: Any = (), permalink: str = ""
) -> tuple[Article | None, list[Diagnostic]]:
    """Read and parse one article file; return it (None if skipped) and its problems.
    *site_csp* is what site.toml adds to the pages' policy (csp.py): raw HTML that the
    policy still blocks is a warning."""
    problems = Collector()
    where = source.rel
    text = content.read_text(source.path, where, problems)
    split = content.split_front_matter(text, where, problems) if text is not None else None
    if text is None or split is None:
        return None, problems.errors + problems.warnings
    data, key_lines, body, body_line = split
    name = source.rel.removesuffix("/index.md").removesuffix(".md")
    if "date" not in data and (named := content.date_in_name(name)):
        data = {**data, "date": named}  # a Jekyll post's date is in its file name
    meta = content.normalize_front_matter(data, key_lines, where, problems)
    from .blocks import split_blocks
    from .jekyll import convert

    body = convert(body, body_line, where, problems, permalink)  # Liquid, kramdown

    policy = (site_csp, meta.csp) if meta else (site_csp,)
    blocks = split_blocks(body, body_line, where, problems, policy)
    _check_names(blocks.widgets, where, problems, complete=not blocks.unread_widgets)
    if meta and (meta.scripts or meta.styles):
        _check_loaded(meta, policy, key_lines, where, problems)
    found = problems.errors + problems.warnings
    if meta is None or (meta.draft and not drafts):
        return None, found
    if not meta.summary and MORE in body:  # the text before <!--more--> is the summary
        meta = dataclasses.replace(meta, summary=plain_summary(body.split(MORE, 1)[0]))
    slug = meta.slug or permalinked(permalink, meta, source.slug) or source.slug
    article = Article(
        source=Source(source.file, source.rel, slug, source.bundle_dir),
        meta=meta,
        body=blocks.body,
        body_line=body_line,
        cells=tuple(blocks.cells),
        widgets=tuple(blocks.widgets),
        inlines=tuple(_with_columns(blocks.inlines, text)),
        math=tuple(blocks.math),
        code=tuple(blocks.code),
        refs=tuple(blocks.refs),
        slug_line=key_lines.get("slug", 1),
        template_line=key_lines.get("template", 1),
    )
    return article, found


def _with_columns(inlines: list[Any], text: str) -> list[Any]:
    """*inlines* with the column where each expression starts in its line of the file as
    written (the prose split_blocks read may have lost some of it to Jekyll's tags or a
    list's indent), so a traceback's carets mark the expression; 0 where not found."""
    lines = text.splitlines()
    found = []
    for inline in inlines:
        source = lines[inline.line - 1] if 0 < inline.line <= len(lines) else ""
        start = source.find("{py")
        column = source.find(inline.expr, start) if start >= 0 else -1
        found.append(dataclasses.replace(inline, column=max(column, 0)))
    return found


def _check_loaded(
    meta: Any, policy: tuple[Any, ...], key_lines: dict[str, int], where: str, problems: Collector
) -> None:
    """Warn about a front matter script or stylesheet from another site that the page's
    policy does not allow: the reader's browser would refuse it without a word."""
    from .csp import allows

    chains = {
        "scripts": ("script-src-elem", "script-src", "default-src"),
        "styles": ("style-src-elem", "style-src", "default-src"),
    }
    for key, chain in chains.items():
        for url in getattr(meta, key):
            if url.startswith(("http://", "https://", "//")) and not allows(policy, chain, url):
                problems.warn(
                    where,
                    key_lines.get(key, 1),
                    f"the page's Content-Security-Policy blocks {url} ({key})",
                    hint=f"allow its site with csp: {chain[1]}: [...] in the front matter, "
                    "or [csp] in site.toml, or copy the file into static/",
                )


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


def _check_names(found: list[Any], where: str, problems: Collector, complete: bool) -> None:
    """Inputs across the article's widgets: each defined once, `same` and drag handles
    naming inputs that exist. When a widget had errors (*complete* false) its inputs are
    unknown, so what may be defined there is not reported missing as well."""
    seen: dict[str, int] = {}
    defined = {i.name: i for w in found for i in w.inputs if i.type != "same"}
    for k, widget in enumerate(found):  # name: same, the input of that name placed again
        if not any(i.type == "same" for i in widget.inputs):
            continue
        placed = []
        for inp in widget.inputs:
            original = defined.get(inp.name)
            if inp.type != "same":
                placed.append(inp)
            elif original is None and not complete:
                continue
            elif original is None or original.type in ("rows", "button"):
                problems.error(
                    where,
                    inp.line,
                    f"input '{inp.name}': same needs a {inp.name} input defined in another "
                    "widget (not a rows or button input)",
                )
            else:
                placed.append(
                    dataclasses.replace(
                        original, line=inp.line, options={**original.options, "copy": True}
                    )
                )
        found[k] = dataclasses.replace(widget, inputs=tuple(placed))
    for widget in found:
        for inp in widget.inputs:
            if inp.options.get("copy"):
                continue
            if inp.name in seen:
                problems.error(
                    where,
                    inp.line,
                    f"input '{inp.name}' is already defined on line {seen[inp.name]}",
                )
            seen[inp.name] = inp.line
    # A chart's drag handle moves inputs: they must be numbers the reader could move.
    kinds = {inp.name: inp.type for widget in found for inp in widget.inputs}
    for widget in found:
        for output in widget.outputs:
            for mark in output.options.get("marks", []) if output.type == "chart" else []:
                for name in mark.get("bind", []):
                    if name not in kinds and not complete:
                        continue
                    if kinds.get(name) not in ("range", "number"):
                        problems.error(
                            where,
                            mark["line"],
                            f"drag: {name!r} is not a range or number input of this article",
                            hint="inputs: " + ", ".join(sorted(kinds)) if kinds else "",
                        )
