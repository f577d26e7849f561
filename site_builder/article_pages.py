"""Article pages: each article's Markdown body with its cells, widgets, math and values
filled in (on every core), figures and equations numbered, the page's program for the
browser and its answer tables, its rows pages, and redirect pages at its old addresses."""

from __future__ import annotations

import functools
import html
import json
import re
from pathlib import Path
from typing import Any

import jinja2

from . import markup
from .errors import Collector, Diagnostic, resolved_rel
from .model import Article
from .output import FileConflict
from .parallel import parallel_map
from .paths import linked_inside, valid_name
from .pyodide import PYODIDE_VERSION
from .render import MissingAsset, RenderContext, page_policy, render_page, with_math_styles
from .runtime.program import RunResult
from .runtime.views import HTML
from .templates import template_diagnostic
from .urls import Urls

_converters: dict[tuple[str, str, str], Any] = {}


def cell_html(article: Article, run: RunResult, highlights: Path | None) -> list[str]:
    """Each cell as the page shows it: its code (unless hidden), what it printed, what it
    displayed. Highlighted code is remembered in *highlights*."""
    from .highlight import highlight

    shown_cells = []
    for cell, out in zip(article.cells, run.cells, strict=True):
        shown = "" if cell.hide else highlight(cell.code, "python", highlights, wrapcode=False)
        kind = "exec" if cell.browser else "build"
        shown_cells.append(markup.cell(kind, shown, out.stdout, out.stderr, out.display))
    return shown_cells


def inline_texts(run: RunResult) -> list[str]:
    """Each inline value as shown; those that are markup (a sparkline, say) as HTML."""
    marked = set(run.markup)
    return [HTML(t) if k in marked else t for k, t in enumerate(run.inlines)]


def render_article_body(
    job: tuple[Article, RunResult | None],
    base_url: str,
    renames: dict[str, str],
    highlights: Path | None = None,
    temml: Path | None = None,
) -> tuple[str, list[dict[str, Any]], list[Diagnostic]]:
    """Markdown to HTML with code, cells, widgets, math and inline values filled in;
    highlighted code is remembered in *highlights*, math is typeset by *temml* (see
    tex.py). (Runs in worker processes: plain arguments only.)"""
    from .highlight import highlight
    from .markdown import make_markdown, render_body, render_math

    article, run = job
    key = (base_url, json.dumps(renames, sort_keys=True), str(highlights))
    if key not in _converters:  # one converter per process: building one is not cheap
        _converters[key] = make_markdown(Urls(base_url), renames, highlights)
    problems = Collector()
    where = article.source.rel
    typeset = _typesetter(temml, highlights)
    math_html = [
        render_math(typeset, m.tex, m.display, where, m.line, problems) for m in article.math
    ]
    for k, m in enumerate(article.math):  # $$...$$ {#name}: numbered, and named by refs
        if m.label:
            math_html[k] = markup.equation(m.label, math_html[k])
    run = run or RunResult()
    widget_html = []
    if article.widgets:
        for w in article.widgets:
            mathml = {
                o.id: render_math(typeset, o.options["tex"], True, where, o.line, problems)
                for o in w.outputs
                if o.type == "formula"
            }
            beside = functools.partial(_beside, Urls(base_url), article.url)
            widget_html.append(markup.render_widget(w, run.rows, run.initial, mathml, beside))
    parts = {
        "CODE": [
            highlight(c.code, c.language, highlights, hl_lines=c.marked) for c in article.code
        ],
        "CELL": cell_html(article, run, highlights),
        "WIDGET": widget_html,
        "MATH": math_html,
        "INLINE": inline_html(article, inline_texts(run), problems),
        "REF": [f"XWREF{k}X" for k in range(len(article.refs))],  # filled once numbered
        "REFNAME": [target for target, _ in article.refs],  # what a heading's id says of one
    }
    try:
        body, toc = render_body(_converters[key], article.body, parts)
    except RecursionError:  # Python-Markdown recurses once per level of nesting
        del _converters[key]  # left half way through a page: make a fresh one next time
        problems.error(
            where,
            _deepest_line(article),
            "this Markdown is nested too deeply to render (the deepest nesting is here)",
            hint="lists, quotes or runs of * and _ a few levels deep render; hundreds do not",
        )
        return "", [], problems.errors
    body = number_figures(body, article, problems, toc)
    return body, toc, problems.errors


_NESTING = re.compile(r"^[ \t>]*|[*_]+|\[+")


def _deepest_line(article: Article) -> int:
    """The file line of *article* with the most nesting: indent, quote marks, runs of
    emphasis marks or brackets (where Python-Markdown ran out of recursion)."""
    try:
        lines = Path(article.source.file).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return article.body_line
    depth = [max(map(len, _NESTING.findall(line.expandtabs(4))), default=0) for line in lines]
    deepest = max(range(len(depth)), key=depth.__getitem__, default=article.body_line - 1)
    return deepest + 1


_NUMBERED = re.compile(
    # a figure, up to its caption's number slot if it has one (before any next figure)
    markup.FIGURE_START
    + rf"(?P<mid>(?:(?!<figure\b|{markup.NUMBER_SLOT}).)*)"
    + rf"(?P<slot>{markup.NUMBER_SLOT})?"
    + "|"
    + markup.EQUATION_START,
    re.S,
)


def number_figures(
    body: str, article: Article, problems: Collector, toc: list[dict[str, Any]]
) -> str:
    """Number the figures (widgets and images with an id, in order) and the labelled
    equations, put "Figure N." before each caption and "(N)" beside each equation, and
    turn each {ref}`name` into a link saying "Figure N" or "Equation (N)"."""
    names: dict[str, str] = {}
    counts = {"fig": 0, "eq": 0}

    def number(m: re.Match[str]) -> str:
        kind = "fig" if m["fig"] else "eq"
        ident = html.unescape(m[kind])
        counts[kind] += 1
        n = counts[kind]
        if ident in names:
            problems.error(article.source.rel, 0, f"two figures or equations have the id {ident!r}")
        names[ident] = f"Figure {n}" if kind == "fig" else f"Equation ({n})"
        if kind == "fig" and m["slot"]:
            return m[0].removesuffix(m["slot"]) + markup.figure_number(n)
        return m[0]

    if "<figure" in body or markup.EQUATION_SLOT in body:
        body = _NUMBERED.sub(number, body)
        n_eq = iter(range(1, counts["eq"] + 1))
        body = re.sub(
            re.escape(markup.EQUATION_SLOT), lambda _: markup.equation_number(next(n_eq)), body
        )
    said = []  # what each reference reads, "Figure 2" (its id when it names nothing)
    for k, (target, line) in enumerate(article.refs):
        if target in names:
            link = markup.reference(target, names[target])
        else:
            from .links import close_match

            near = close_match(target, list(names))
            problems.error(
                article.source.rel,
                line,
                f"{{ref}}`{target}`: no figure or equation has that id",
                hint=f"did you mean {near[0]!r}?"
                if near
                else "give a widget id: name, an "
                "image {#name} after it, or display math $$...$$ {#name}",
            )
            link = html.escape(target)
        # The reference itself is a link; where its text is repeated inside an attribute
        # (a heading's "#" link is named by the heading), it is that text alone.
        said.append(names.get(target, target))
        body = body.replace(f"XWREF{k}X", link, 1)
        body = body.replace(f"XWREF{k}X", html.escape(said[k]))
    if said:
        from .markdown import toc_entries

        for token in toc_entries(toc):
            token["name"] = re.sub(r"XWREF(\d+)X", lambda m: said[int(m[1])], token["name"])
    return body


def _typesetter(temml: Path | None, highlights: Path | None) -> Any:
    """This process's math typesetter (tex.Typesetter.typeset), caching beside the
    highlighted code; without Temml (no article has math) none is needed."""
    if temml is None:

        def missing(tex: str, display: bool) -> Any:
            raise AssertionError("math found after the build decided none was there")

        return missing
    from .tex import typesetter

    return typesetter(temml, highlights.with_name("math") if highlights else None).typeset


def has_math(article: Article) -> bool:
    """Whether *article* has math to typeset (prose or a formula output)."""
    return bool(article.math) or any(
        o.type == "formula" for w in article.widgets for o in w.outputs
    )


def inline_html(article: Article, texts: list[str], problems: Collector) -> list[str]:
    """Each inline value as built; one that reads an input is a live output the page
    updates (article_program.live_inlines): the built text inside ``span.xw-output.xw-inline``.
    ``{input}`name``` is that range input as a number in the text, which the page makes
    a slider (drag it, or arrows, Page Up/Down, Home/End) kept in step with the widget's."""
    live: set[str] = set()
    if article.widgets and article.inlines:
        from .article_program import live_inline_ids

        live = live_inline_ids(article)
    inputs = {i.name: i for w in article.widgets for i in w.inputs}
    found = []
    for inline, text in zip(article.inlines, texts, strict=True):
        shown = text if isinstance(text, HTML) else html.escape(text)
        if inline.kind == "input":
            inp = inputs.get(inline.expr)
            if inp is None or inp.type != "range":
                what = f"a {inp.type} input" if inp else "not an input of this article"
                problems.error(
                    article.source.rel,
                    inline.line,
                    f"{{input}}`{inline.expr}`: {what}; only a range input (it has a minimum, "
                    "a maximum and a step) can be adjusted in the text",
                    hint="declare it in a widget: inputs: {NAME: {type: range, ...}}",
                )
            else:
                shown = markup.render_adjustable(inp)
        elif f"p{inline.index}" in live:
            shown = markup.inline_output(inline.index, shown)
        found.append(shown)
    return found


def _beside(urls: Urls, article_url: str, name: str) -> str:
    return urls(article_url + name)


def page_spec(article: Article, run: RunResult, time_limit: float = 5.0) -> dict[str, Any]:
    """What the browser worker needs (runtime.program.Program.for_browser): the bundle's
    modules, browser cells, exports, inputs and outputs."""
    from .article_program import program_of

    modules = {}
    if article.source.bundle:
        for path in sorted(article.source.bundle.glob("*.py")):
            modules[path.name] = path.read_text(encoding="utf-8")
    limit = article.meta.browser_time_limit or time_limit
    spec = program_of(article).for_browser(article.source.rel, run.exports, modules, limit)
    for output in spec["outputs"]:  # how slow the build found it (Page.measure_all)
        output["cost"] = run.initial.get(output["id"], {}).get("cost", 0)
    spec["files"] = run.files
    return spec


# Imported before the page makes its memory snapshot (static/js/worker.js): the
# standard-library modules the widget runtime uses.
SNAPSHOT_MODULES = ("ast", "html", "json", "math", "sys", "traceback")


def snapshot_modules(article: Article, found: Any) -> str:
    """The modules the page imports before it saves its memory snapshot, space-separated:
    the runtime's own, and those of its packages its browser code imports."""
    from .packages import imported_modules

    names = list(SNAPSHOT_MODULES)
    if found:
        names += imported_modules(found, [c.code for c in article.cells if c.browser])
    return " ".join(names)


def render_article_page(
    ctx: RenderContext,
    article: Article,
    body: str,
    toc: list[dict[str, Any]],
    run: RunResult | None,
    problems: Collector,
) -> None:
    """Write one article's page, its spec for the browser, and its bundle's files; a
    file of the theme the page needs and static/ lacks is an error at that file, once."""
    try:
        _render_article_page(ctx, article, body, toc, run, problems)
    except MissingAsset as exc:
        where = f"static/{exc.path}"
        if not any(d.path == where for d in problems.errors):
            problems.error(where, 0, str(exc))


def _render_article_page(
    ctx: RenderContext,
    article: Article,
    body: str,
    toc: list[dict[str, Any]],
    run: RunResult | None,
    problems: Collector,
) -> None:
    from .content import is_editor_file

    interactive = None
    runtime = None if article.meta.runtime == "none" else ctx.copied.runtime
    answers = answer_tables(ctx, article, run)
    if answers and not (runtime and run):  # no Python here: the tables answer alone
        interactive = dict.fromkeys(INTERACTIVE_KEYS, "")
        interactive.update(answers=answers, app=ctx.asset("js/app.js"))
    if runtime and run and (article.widgets or any(c.browser for c in article.cells)):
        limit = ctx.config.runtime.browser_time_limit
        data = page_spec(article, run, limit)
        found = ctx.package_sets.get(article.source.slug)
        shipped = ctx.copied.package_locks.get(found.key, {}) if found else {}
        if found and shipped:
            data["packages"] = found.compiled  # loaded by Pyodide before the cells run
        spec = json.dumps(data, sort_keys=True, separators=(",", ":"))
        name = ctx.files.hashed(f"{article.url}page.json", spec.encode(), article.source.rel)
        origins = {runtime["origin"], shipped.get("origin", "")} - {""}
        snapshot = ""
        if ctx.config.runtime.snapshot:
            snapshot = snapshot_modules(article, found if shipped.get("image") else None)
        interactive = {
            "spec": ctx.urls(name),
            "shared": ctx.copied.shared,
            "index_url": runtime["index_url"],
            # A runtime on another origin: the page's CSP must allow it, and every file is
            # checked against the hashes of the files this build was made with.
            "origin": " ".join(sorted(origins)),
            # The article's packages (packages.py): pure-Python ones in one image, compiled
            # ones through the runtime's pyodide-lock.json with them added.
            "image": shipped.get("image", ""),
            "image_sha256": shipped.get("image_sha256", ""),
            "lock": shipped.get("lock", ""),
            "packages": ctx.urls("_pyodide/packages/") if shipped.get("lock") else "",
            "integrity": json.dumps(runtime["integrity"], sort_keys=True)
            if runtime["integrity"]
            else "",
            "snapshot": snapshot,
            "stdlib": page_stdlib_urls(ctx, article, runtime.get("stdlib", ""), shipped),
            "worker": ctx.asset("js/worker.js"),
            "app": ctx.asset("js/app.js"),
            "answers": answers,
            # What starting Python downloads on a first visit (the page says it).
            "weight": runtime.get("weight", 0) + int(shipped.get("image_size") or 0),
        }
    budget = ctx.config.runtime.first_visit_budget
    weight = int(interactive["weight"] or 0) if interactive else 0
    if weight > budget:
        problems.warn(
            article.source.rel,
            1,
            f"a first visit to this page downloads {weight / 1e6:.1f} MB to start Python "
            f"(the budget is {budget / 1e6:.1f} MB); its packages weigh the rest",
            hint="fewer or smaller packages: or raise [runtime] first_visit_budget in site.toml",
        )
    render_page(
        ctx,
        problems,
        article.meta.template,
        f"{article.url}index.html",
        article.source.rel,
        csp=(article.meta.csp,),
        origin=interactive["origin"] if interactive else "",
        article=article,
        meta=article.meta,
        page=article.meta,  # the older name of meta, for existing templates
        body=body,
        toc=toc,
        interactive=interactive,
    )
    if run:
        render_rows_files(ctx, article, run, problems)
    render_redirects(ctx, article, problems)
    if article.source.bundle:
        content_dir, root = ctx.config.path("content_dir"), ctx.config.root
        for path in sorted(article.source.bundle.rglob("*")):
            if (
                path.is_file()
                and path != article.source.path
                and "__pycache__" not in path.parts
                and not is_editor_file(path.name)
                and not _hidden(path.relative_to(article.source.bundle))
            ):
                rel = path.relative_to(article.source.bundle).as_posix()
                if not valid_name(rel):  # content.find_sources warns of it once
                    continue
                if not linked_inside(path, content_dir, root):  # paths.py: one link policy
                    problems.error(
                        resolved_rel(path, root),
                        0,
                        "a symbolic link to a file outside the content folder (or into "
                        ".git): not published",
                        hint="copy the file into the bundle instead",
                    )
                    continue
                if article.url + rel in ctx.files.owners:  # the page, its spec or data
                    problems.error(
                        resolved_rel(path, ctx.config.root),
                        0,
                        f"this bundle file would replace the article's own {article.url + rel}",
                        hint="rename the file (the article's page is index.html in its folder)",
                    )
                    continue
                try:
                    ctx.files.write(article.url + rel, path, article.source.rel)
                except FileConflict as exc:
                    problems.error(article.source.rel, 0, str(exc))


# What the article template reads of a page's interactive part (render_article_page).
INTERACTIVE_KEYS = (
    *("spec", "shared", "index_url", "origin", "image", "image_sha256", "lock", "packages"),
    *("integrity", "snapshot", "stdlib", "worker", "app", "answers", "weight"),
)


REDIRECT_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="canonical" href="{canonical}">
<meta http-equiv="refresh" content="0; url={target}">
<meta name="robots" content="noindex">
</head>
<body>
<p>This page has moved to <a href="{target}">{title}</a>.</p>
</body>
</html>
"""


def render_redirects(ctx: RenderContext, article: Article, problems: Collector) -> None:
    """A page at each of the article's old addresses (``aliases:``) that sends the reader
    on to it: a refresh at once, and a link for a browser that does not follow one; named
    canonical so that search engines move its standing too. Not in the sitemap."""
    for alias in article.meta.aliases:
        path = alias.lstrip("/")
        if not path.endswith((".html", ".htm")):
            path += "index.html"
        if path == f"{article.url}index.html":
            continue  # the article's own address
        text = REDIRECT_PAGE.format(
            lang=html.escape(ctx.config.language, quote=True),
            title=html.escape(article.meta.title),
            canonical=html.escape(ctx.urls(article.url, absolute=True), quote=True),
            target=html.escape(ctx.urls(article.url), quote=True),
        )
        try:
            ctx.files.write(path, text, article.source.rel)
        except FileConflict as exc:
            problems.error(article.source.rel, 1, f"aliases: {exc}")


def _hidden(rel: Path) -> bool:
    """A file in a hidden folder of a bundle, or hidden itself: never published."""
    return any(part.startswith(".") for part in rel.parts)


def page_stdlib_urls(ctx: RenderContext, article: Article, stdlib: str, shipped: Any) -> str:
    """The compiled standard library's URLs for *article*'s page: the core and the rest,
    and, when its browser code imports modules of the rest, a zip of just those
    (pyodide.page_stdlib), which a first visit fetches instead of the rest. A page with
    packages fetches the rest at start anyway."""
    if not stdlib or shipped.get("image"):
        return stdlib
    from .pyodide import browser_sources, ensure_stdlib, page_stdlib, pyodide_dir

    sources = browser_sources([c.code for c in article.cells if c.browser], article.source.bundle)
    core, rest = ensure_stdlib(pyodide_dir(ctx.config.root / ".cache"))
    data = page_stdlib(core, rest, sources)
    if data is None:
        return stdlib
    owner = f"pyodide@{PYODIDE_VERSION}"
    name = ctx.files.hashed(f"_pyodide/{PYODIDE_VERSION}/stdlib-page.zip", data, owner)
    return f"{stdlib} {ctx.urls(name)}"


def answer_tables(ctx: RenderContext, article: Article, run: RunResult | None) -> str:
    """Write *article*'s tables of answers computed ahead (answers.py) beside its page;
    return what the page needs to use them (``data-xw-answers``), or "" when it has none:
    each file's address and the inputs it is indexed by, the file of each output, and the
    inputs whose every output a table answers (their controls work at first paint)."""
    files = run.answers.get("files", []) if run and run.answers else []
    if not files:
        return ""
    urls, outputs = [], {}
    for k, table in enumerate(files):
        data = table["text"].encode()
        urls.append(
            ctx.urls(ctx.files.hashed(f"{article.url}answers.json", data, article.source.rel))
        )
        outputs.update({oid: k for oid in table["outputs"]})
    ready = run.answers.get("inputs", []) if run else []  # answers.ready_inputs
    data = {"files": urls, "deps": [t["deps"] for t in files], "outputs": outputs, "inputs": ready}
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


# A page of a rows input's rows, for readers without JavaScript: the site's own base
# template around the table and the links to the other pages.
ROWS_PAGE_TEMPLATE = """{% extends "base.html" %}
{% block title %}{{ heading }} · {{ meta.title }}{% endblock %}
{% block main %}
<article class="xw-rows-page">
<p><a href="{{ url(article.url) }}">← {{ meta.title }}</a></p>
<h1>{{ heading }}</h1>
{{ nav }}
{{ table }}
</article>
{% endblock %}
"""


def render_rows_files(
    ctx: RenderContext, article: Article, run: RunResult, problems: Collector
) -> None:
    """For each rows input: the data file its listbox loads and, when the rows fill more
    than one page, a page per ROWS_PAGE rows (what readers without JavaScript follow)."""
    from markupsafe import Markup

    owner = article.source.rel
    beside = functools.partial(_beside, ctx.urls, article.url)
    for inp in (i for w in article.widgets for i in w.inputs if i.type == "rows"):
        view = markup.RowsView.of(inp, run.rows.get(inp.name) or [])
        name, data = view.data_file(inp.name)
        files: list[tuple[str, bytes | str]] = [(article.url + name, data)]
        if view.pages > 1:  # the pages, through the site's base template
            try:
                template = ctx.env.from_string(ROWS_PAGE_TEMPLATE)
                extensions = (ctx.config.csp, article.meta.csp)
                policy = page_policy(extensions)
                for k in range(view.pages):
                    heading = f"{view.label}, {view.summary(k)}"
                    nav, table = Markup(view.nav(k, inp.name, beside)), Markup(view.scroller(k))
                    text = template.render(
                        csp=policy,
                        article=article,
                        meta=article.meta,
                        heading=heading,
                        nav=nav,
                        table=table,
                    )
                    text = with_math_styles(text, policy, extensions)
                    files.append(
                        (markup.rows_page_path(article.url, inp.name, k) + "index.html", text)
                    )
            except (jinja2.TemplateError, TypeError, ValueError) as exc:
                templates = ctx.config.path("templates_dir")
                diagnostic = template_diagnostic(exc, templates, ctx.config.root, "base.html")
                problems.extend([diagnostic])
                return
        for path, content in files:
            try:
                ctx.files.write(path, content, owner)
            except FileConflict as exc:
                problems.error(owner, inp.line, str(exc))


def render_bodies(
    ctx: RenderContext,
    articles: list[Article],
    executed: dict[str, RunResult],
    problems: Collector,
) -> list[tuple[str, list[dict[str, Any]], list[Diagnostic]]]:
    """Every article's HTML body, on every core (render.render_article_body)."""
    jobs = [(a, executed.get(a.source.slug)) for a in articles]
    highlights = ctx.config.path("cache_dir") / "highlight"
    temml = None
    with_math = [a for a in articles if has_math(a)]
    if with_math:
        from .npm import FetchFailed
        from .tex import ensure_temml

        try:
            temml = ensure_temml(ctx.config.root / ".cache")
        except FetchFailed as exc:
            first = with_math[0]
            line = first.math[0].line if first.math else first.body_line
            problems.error(first.source.rel, line, f"math needs Temml: {exc}")
            problems.raise_if_errors()
    return parallel_map(
        render_article_body, jobs, ctx.config.base_url, ctx.renames, highlights, temml
    )
