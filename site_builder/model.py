"""Plain data passed between the build phases; each field says which phase fills it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .errors import Diagnostic
    from .output import SiteFiles
    from .plan import Known


@dataclass(frozen=True)
class FrontMatter:
    """Typed front matter (content.normalize_front_matter)."""

    title: str
    date: dt.date | None = None
    summary: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    draft: bool = False
    # False: published and in the sitemap, but not listed on the home page, tag pages or
    # in the feed (a guide's pages, reached from its own contents page).
    listed: bool = True
    template: str = "article.html"
    slug: str | None = None
    # Seconds the article's build-time Python may run; None means the site default.
    timeout: float | None = None
    # Seconds one output may run in the reader's browser; None means the site default.
    browser_time_limit: float | None = None
    # Python packages this article's browser code uses, besides the site's (packages.py).
    packages: tuple[str, ...] = ()
    # Stylesheets and scripts this article's page loads (site-absolute, relative to the
    # bundle, or another site's when the policy allows it); scripts are deferred.
    styles: tuple[str, ...] = ()
    scripts: tuple[str, ...] = ()
    # Sources this article's Content-Security-Policy adds (csp.py), e.g. a video host's frames.
    csp: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Answers before Python (answers.py): the most combinations an output's inputs may
    # have to be answered from a table (`precompute: false` is 0), the page's tables'
    # budget in bytes and the seconds to spend on them; None: the site's.
    precompute: int | None = None
    precompute_bytes: int | None = None
    precompute_seconds: float | None = None
    # "none": this page has no Python runtime (its tables still answer); None: the site's.
    runtime: str | None = None
    # Addresses this article had before (a moved blog's): each gets a page that redirects
    # here (render.render_redirects). Jekyll's `redirect_from` means the same.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    """One article file as found on disk (content.find_sources)."""

    file: str  # absolute path (a string: this runs for every file on every build)
    rel: str  # relative to the project root, used in every diagnostic
    slug: str
    bundle_dir: str | None  # folder of a bundle article (content/<slug>/index.md)

    @property
    def path(self) -> Path:
        return Path(self.file)

    @property
    def bundle(self) -> Path | None:
        return Path(self.bundle_dir) if self.bundle_dir else None


@dataclass(frozen=True)
class Cell:
    """A fenced Python block that runs at build time (blocks.split_blocks)."""

    index: int
    code: str
    line: int  # line of the first code line in the article file
    browser: bool  # also runs in the reader's browser
    hide: bool = False
    export: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    """A widget option value with the file line it was written on, and the text as
    written when YAML read it as a number or a [flow, list] rather than as text."""

    value: Any
    line: int
    source: str | None = None

    @property
    def expr(self) -> Any:
        """The option as a Python expression: `rule: 0` is "0", `point: [z, 1]` is
        "[z, 1]" (YAML made a number and a list of them); text is itself."""
        return self.value if isinstance(self.value, str) or self.source is None else self.source


@dataclass(frozen=True)
class Input:
    """A reader-facing control bound to a Python name (widgets.parse_widget)."""

    name: str
    type: str  # range | number | select | checkbox | rows
    line: int
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Output:
    """A view computed by Python from inputs (widgets.parse_widget); not to be confused
    with output.SiteFiles, the files a build writes."""

    id: str
    type: str  # value | html | plot | formula | table
    line: int
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Widget:
    """One ```widget block: inputs and outputs rendered together."""

    index: int
    line: int
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    label: str = ""
    ident: str = ""  # id: name, for references ({ref}`name`) and the figure's anchor
    place: str = "block"  # "side": beside the text on wide screens, in the flow on phones
    source: str = ""  # source: true: the widget's own Markdown, shown beside it
    # presets: name -> {input: value}, each a button that sets those inputs at once
    presets: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()
    precompute: bool = True  # precompute: false: its outputs are answered by Python only


@dataclass(frozen=True)
class Inline:
    """An inline {py}`expr` value (or {py:.2f}`expr`, formatted): evaluated at build time,
    and again in the browser whenever an input it reads changes (live prose)."""

    index: int
    expr: str
    line: int
    format: str = ""  # a format spec, as in format(value, spec)
    kind: str = "value"  # or "input": {input}`name` places that range input in the text
    column: int = 0  # where the expression starts in its file line (0-based), if found


class Math(NamedTuple):
    """A formula in the prose (blocks.split_blocks)."""

    tex: str
    display: bool  # $$...$$ (a block) rather than $...$
    line: int
    label: str = ""  # $$...$$ {#name}: a numbered equation others can refer to


class CodeBlock(NamedTuple):
    """A fenced block of plain code, highlighted by the build (blocks.split_blocks)."""

    language: str | None
    code: str
    marked: tuple[int, ...]  # lines to highlight (hl_lines)


@dataclass(frozen=True, kw_only=True)
class Article:
    """An article: found (content.find_sources), then parsed (build.parse_article); the
    site-wide pages also get articles rebuilt from what the last build kept of them
    (plan.Listing), which have front matter and no body."""

    source: Source
    meta: FrontMatter
    body: str = ""  # Markdown with placeholders where cells, widgets, math and values were
    body_line: int = 0  # file line of the body's first line
    cells: tuple[Cell, ...] = ()
    widgets: tuple[Widget, ...] = ()
    inlines: tuple[Inline, ...] = ()
    math: tuple[Math, ...] = ()
    code: tuple[CodeBlock, ...] = ()
    refs: tuple[tuple[str, int], ...] = ()  # {ref}`name` in the prose: (name, line)
    slug_line: int = 1  # front matter lines, for problems found after parsing
    template_line: int = 1

    @property
    def url(self) -> str:
        """Path of the article relative to the site root, e.g. ``titanic/``."""
        return self.source.slug + "/"


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
