"""Python-Markdown setup and our syntax: Python cells, widgets, math and inline values.

Our blocks are cut out of the Markdown *before* Python-Markdown sees it, because only here
do we still know their line numbers. Each becomes a placeholder that ``render_body``
swaps for HTML afterwards.
"""

from __future__ import annotations

import html
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import markdown as md_lib
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .errors import Collector
from .model import Cell, CodeBlock, Inline, Math, Widget
from .urls import Urls

FENCE_RE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
LIST_ITEM_RE = re.compile(r"^(?P<indent> *)(?:[-*+]|\d{1,9}[.)])(?P<gap> +)\S")


def _fence_in_list(lines: list[str], i: int, indent: int) -> bool:
    """Whether a fence indented by *indent* (4 or more) at line *i* belongs to a list item
    (it is the item's content) rather than being the text of an indented code block."""
    for j in range(i - 1, -1, -1):
        line = lines[j]
        if not line.strip():
            continue
        lead = len(line) - len(line.lstrip(" "))
        if lead >= indent:
            continue  # more of the same item's content
        item = LIST_ITEM_RE.match(line)
        return item is not None and indent >= len(item[0]) - 1 - 3
    return False


# {py}`x`, {py:.2f}`x` (values); {input}`name` (an input the reader adjusts in the text)
INLINE_RE = re.compile(r"\{(?P<kind>py|input)(?::(?P<fmt>[^}`\n]*))?\}`(?P<expr>[^`\n]+)`")
CODE_SPAN_RE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
# $$display$$ (never $$$) or $inline$, in one pass so positions refer to the text as written
MATH_RE = re.compile(
    r"(?<!\$)\$\$(?!\$)(?P<display>.+?)(?<!\$)\$\$(?!\$)(?:[ \t]*\{#(?P<label>[A-Za-z][\w-]*)\})?"
    # Inline math may cross a soft line break (not a blank line), as Pandoc and kramdown read it.
    r"|(?<![\\$\w])\$(?=\S)(?P<inline>(?:[^$\n]|\n(?![ \t]*\n))+?)(?<=\S)\$(?![\w$])",
    re.S,
)
PLACEHOLDER = "XWPLACEHOLDER{kind}{n}X"
PLACEHOLDER_RE = re.compile(r"(<p>)?XWPLACEHOLDER([A-Z]+)(\d+)X(</p>)?")
# The prefix written by an author (in prose, this docstring's reader, say) stands for itself:
# it becomes a placeholder of its own, filled with the prefix again.
MARK = "XWPLACEHOLDER"
LITERAL = PLACEHOLDER.format(kind="LITERAL", n=0)


def _literal(text: str) -> str:
    """*text* (math, an expression) with the author's own placeholder prefix restored."""
    return text.replace(LITERAL, MARK)



@dataclass
class Blocks:
    """What split_blocks cut out of one article body."""

    body: str
    cells: list[Cell]
    widgets: list[Widget]
    inlines: list[Inline]
    math: list[Math]
    code: list[CodeBlock]
    refs: list[tuple[str, int]]
    unread_widgets: int = 0  # widgets whose errors left them out of `widgets`


def _parse_info(info: str, where: str, line: int, problems: Collector) -> dict[str, Any] | None:
    """Parse ``python build hide export=a,b`` into flags; None for a plain code block."""
    try:
        words = shlex.split(info)
    except ValueError as exc:
        problems.error(where, line, f"cannot read the fence's options: {exc}")
        return None
    if not words or words[0] not in ("python", "py", "widget"):
        return None
    lang, flags = words[0], words[1:]
    if lang == "widget":
        return {"widget": True}
    if not flags or flags[0] not in ("exec", "build"):
        return None  # plain highlighted Python
    result: dict[str, Any] = {"browser": flags[0] == "exec", "hide": False, "export": ()}
    for flag in flags[1:]:
        if flag == "hide":
            result["hide"] = True
        elif flag.startswith("export="):
            names = tuple(n for n in re.split(r"[,\s]+", flag[len("export=") :]) if n)
            bad = [n for n in names if not n.isidentifier()]
            if bad or not names:
                problems.error(where, line, f"export= needs Python names, got {flag[7:]!r}")
            result["export"] = names
        else:
            problems.error(
                where,
                line,
                f"unknown cell option '{flag}'",
                hint="cell fences look like ```python exec|build [hide] [export=a,b]",
            )
    return result


HL_LINES_RE = re.compile(r"""hl_lines=["']?([\d\s]+)""")


def _code_language(info: str) -> str | None:
    """The language of a fence: ```python, ```{.python}, or none."""
    words = info.strip().strip("{}").split()
    if not words or "=" in words[0] or words[0].startswith("#"):
        return None
    return words[0].lstrip(".") or None


def split_blocks(
    body: str, body_line: int, where: str, problems: Collector, csp: tuple[Any, ...] = ()
) -> Blocks:
    """Cut code, cells, widgets, inline values and math out of *body*, leaving placeholders.

    Code blocks are highlighted by the build (``highlight.py``), which remembers results,
    rather than by Python-Markdown, which would compile each language's lexer anew.
    (One pass over the lines; its branches are the kinds of fenced block.)"""
    lines = body.split("\n")
    out: list[str] = []
    cells: list[Cell] = []
    widgets: list[Widget] = []
    unread = 0
    inlines: list[Inline] = []
    math: list[Math] = []
    code: list[CodeBlock] = []
    refs: list[tuple[str, int]] = []
    prose: list[tuple[int, str]] = []  # (file line, text) of the run of prose being collected

    def flush_prose() -> None:
        _blocked_by_csp(prose, where, problems, csp)
        prose[:] = [(n, line.replace(MARK, LITERAL)) for n, line in prose]
        if prose:
            out.extend(_replace_inline(prose, where, inlines, math, refs, problems))
            prose.clear()

    i = 0
    while i < len(lines):
        match = FENCE_RE.match(lines[i])
        indent = len(match["indent"]) if match else 0
        if not match or (indent > 3 and not _fence_in_list(lines, i, indent)):
            prose.append((body_line + i, lines[i]))
            i += 1
            continue
        flush_prose()
        fence, start = match["fence"], i
        # A fence in a list item is indented like the item's text: so are its closing
        # fence and its lines, and the placeholder keeps the block inside the item.
        close = re.compile(rf"^ {{0,{indent + 3}}}{fence[0]}{{{len(fence)},}}\s*$")
        pad = " " * indent
        end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), None)
        open_line = body_line + start
        if end is None:
            problems.error(
                where,
                open_line,
                f"fenced block opened with {fence} is never closed",
                hint=f"add a line with {fence} after the block",
            )
            end = len(lines)
        inner = "\n".join(_dedent(line, indent) for line in lines[start + 1 : end])
        info = _parse_info(match["info"].strip(), where, open_line, problems)
        if info is None:
            marked = HL_LINES_RE.search(match["info"])
            out.extend(["", pad + PLACEHOLDER.format(kind="CODE", n=len(code)), ""])
            code.append(
                CodeBlock(
                    _code_language(match["info"]),
                    inner.strip("\n"),
                    tuple(int(n) for n in marked[1].split()) if marked else (),
                )
            )
        elif info.get("widget"):
            from .widgets import parse_widget  # only articles with widgets need it

            widget = parse_widget(inner, len(widgets), open_line, where, problems)
            if widget is not None:
                out.extend(["", pad + PLACEHOLDER.format(kind="WIDGET", n=len(widgets)), ""])
                widgets.append(widget)
            else:
                unread += 1
        else:
            out.extend(["", pad + PLACEHOLDER.format(kind="CELL", n=len(cells)), ""])
            cells.append(
                Cell(
                    index=len(cells),
                    code=inner,
                    line=open_line + 1,
                    browser=info["browser"],
                    hide=info["hide"],
                    export=info["export"],
                )
            )
        i = end + 1
    flush_prose()
    return Blocks("\n".join(out), cells, widgets, inlines, math, code, refs, unread)


# What the page's Content-Security-Policy (csp.py) blocks, found in an author's raw HTML:
# (pattern, what it is, directives in fallback order, the source it needs, what to do).
# A source of None: the URL the pattern found (group "url").
_SCRIPT = ("script-src-elem", "script-src", "default-src")
_CSP_BLOCKED = [
    (
        re.compile(r"<script\b(?![^>]*\bsrc\s*=)", re.I),
        "an inline <script>",
        _SCRIPT,
        "'unsafe-inline'",
        'put the code in a file under static/ and load it with <script src="/static/...">',
    ),
    (
        re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']?(?P<url>(?:https?:)?//[^\"'\s>]+)", re.I),
        "a script from another site",
        _SCRIPT,
        None,
        "copy the script into static/, or allow its site: [csp] script-src in site.toml",
    ),
    (
        re.compile(
            r"<(?P<tag>iframe|img|video|audio|source|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?"
            r"(?P<url>(?:https?:)?//[^\"'\s>]+)",
            re.I,
        ),
        "content from another site (a frame, image, media or stylesheet)",
        (),  # by tag: see _directives
        None,
        "copy it into the article's bundle or static/, or allow its site in the policy "
        "([csp] in site.toml, or csp: in the front matter), e.g. frame-src for a video",
    ),
    (
        re.compile(r"<style\b", re.I),
        "an inline <style> element",
        ("style-src-elem", "style-src", "default-src"),
        "'unsafe-inline'",
        "put the rules in a stylesheet under static/ and link it from a template",
    ),
    (
        re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
        "a style= attribute",
        ("style-src-attr", "style-src", "default-src"),
        "'unsafe-inline'",
        "give the element a class and style it in a stylesheet under static/",
    ),
    (
        re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
        "an inline event handler (onclick= and the like)",
        ("script-src-attr", "script-src", "default-src"),
        "'unsafe-inline'",
        "attach the handler from a script file under static/",
    ),
]
_BY_TAG = {
    "iframe": ("frame-src", "child-src", "default-src"),
    "img": ("img-src", "default-src"),
    "video": ("media-src", "default-src"),
    "audio": ("media-src", "default-src"),
    "source": ("media-src", "default-src"),
    "link": ("style-src-elem", "style-src", "default-src"),
}


def _blocked_by_csp(
    prose: list[tuple[int, str]], where: str, problems: Collector, csp: tuple[Any, ...] = ()
) -> None:
    """Warn, at its line, about raw HTML the page's Content-Security-Policy (with what
    site.toml and the front matter add, *csp*) will block: the reader would see an empty
    figure and the author no message."""
    from .csp import allows

    for line_no, line in prose:
        if "<" not in line or line.startswith("    "):  # no tag, or indented code
            continue
        bare = MATH_RE.sub("", CODE_SPAN_RE.sub("", line))  # TeX is not markup
        for pattern, what, chain, source, instead in _CSP_BLOCKED:
            found = pattern.search(bare)
            if not found:
                continue
            if "tag" in pattern.groupindex:
                chain = _BY_TAG[found["tag"].lower()]
            if allows(csp, chain, source or found["url"]):
                continue
            problems.warn(
                where,
                line_no,
                f"the page's Content-Security-Policy blocks {what} in the browser",
                hint=instead,
            )
            break


def _dedent(line: str, indent: int) -> str:
    """*line* without up to *indent* leading spaces (a fenced block's own indentation)."""
    lead = len(line) - len(line.lstrip(" "))
    return line[min(lead, indent) :]


# Where math and inline values are never looked for, inside a run of prose: code spans,
# elements whose text is not prose (as MathJax skips them), comments, tags with their
# attributes, autolinks, link targets and reference definitions.
VERBATIM_RE = re.compile(
    r"(?P<ticks>`+)(?!`).*?(?<!`)(?P=ticks)(?!`)"
    r"|<(?P<raw>script|style|textarea|pre|code|kbd|samp)\b.*?</(?P=raw)\s*>"
    r"|<!--.*?-->"
    r"|</?[A-Za-z][\w-]*(?:\s(?:\"[^\"]*\"|'[^']*'|[^'\"<>])*)?/?>"
    r"|<[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*>"
    r"|\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
    r"|^ {0,3}\[[^\]\n]+\]:[ \t]*\S+",
    re.S | re.I | re.M,
)
_HTML_BLOCK_RE = re.compile(r"^ {0,3}<(?P<close>/)?(?P<tag>[A-Za-z][\w-]*)(?P<rest>[\s/>].*|$)")
_MARKDOWN_ATTR = re.compile(r"""\smarkdown\s*=\s*["']?(?:1|block|span)""", re.I)


def _raw_blocks(prose: list[tuple[int, str]]) -> list[bool]:
    """For each line of *prose*, whether Python-Markdown passes it through untouched: an
    indented code block (not a list item's content) or a raw HTML block (a block-level
    element, or a comment, starting a block; without ``markdown="1"``)."""
    from markdown.util import BLOCK_LEVEL_ELEMENTS

    lines = [text for _, text in prose]
    raw = [False] * len(lines)
    i, blank_before = 0, True
    while i < len(lines):
        line = lines[i]
        lead = len(line) - len(line.lstrip(" "))
        if blank_before and line.strip() and lead >= 4 and not _fence_in_list(lines, i, lead):
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                raw[i] = bool(lines[i].strip())
                i += 1
            blank_before = True
            continue
        opened = _HTML_BLOCK_RE.match(line) if blank_before else None
        if line.lstrip().startswith("<!--") and blank_before:
            while i < len(lines):
                raw[i] = True
                i += 1
                if "-->" in lines[i - 1]:
                    break
            blank_before = False
            continue
        tag = opened["tag"].lower() if opened else ""
        if opened and not opened["close"] and tag in BLOCK_LEVEL_ELEMENTS:
            keep = not _MARKDOWN_ATTR.search(line)
            opens = re.compile(rf"<{tag}\b", re.I)
            closes = re.compile(rf"</{tag}\s*>", re.I)
            depth = 0
            while i < len(lines):
                depth += len(opens.findall(lines[i])) - len(closes.findall(lines[i]))
                raw[i] = keep
                i += 1
                if depth <= 0 or tag in ("hr",):
                    break
            blank_before = False
            continue
        blank_before = not line.strip()
        i += 1
    return raw


def _replace_inline(
    prose: list[tuple[int, str]],
    where: str,
    inlines: list[Inline],
    math: list[Math],
    refs: list[tuple[str, int]],
    problems: Collector,
) -> list[str]:
    """Replace math and {py}`expr` in a run of prose lines; code, raw HTML and link
    targets stay as they are (VERBATIM_RE, _raw_blocks)."""
    if not any("`" in text or "$" in text for _, text in prose):
        return [line for _, line in prose]
    raw = _raw_blocks(prose)
    out: list[str] = []
    start = 0
    for end in range(1, len(prose) + 1):  # runs of lines that are all raw or all prose
        if end < len(prose) and raw[end] == raw[start]:
            continue
        run = prose[start:end]
        if raw[start]:
            _warn_unrendered(run, where, problems)
            out.extend(line for _, line in run)
        else:
            out.extend(_replace_in_text(run, where, inlines, math, refs, problems))
        start = end
    return out


def _warn_unrendered(run: list[tuple[int, str]], where: str, problems: Collector) -> None:
    """Math or an inline value in a raw HTML block stays text: say so, once per block."""
    for line_no, text in run:
        bare = VERBATIM_RE.sub("", text)
        if INLINE_RE.search(text) or MATH_RE.search(bare):
            if text.startswith("    "):
                return  # indented code: shown as written, as intended
            problems.warn(
                where,
                line_no,
                "math and {py} values inside a raw HTML block are left as written",
                hint='add markdown="1" to the block\'s opening tag to have them rendered',
            )
            return


# One pass over a run of prose, as a tokenizer reads it: whichever starts first wins, so
# "$" inside a tag's attribute is not math, and "<" inside $...$ is not a tag.
# {ref}`name`: "Figure 3" or "Equation (2)", linked, for a figure or equation with that id
REF_RE = re.compile(r"\{ref\}`(?P<target>[^`\n]+)`")
PROSE_TOKENS = (
    rf"(?P<value>{INLINE_RE.pattern})|(?P<ref>{REF_RE.pattern})"
    rf"|(?P<verbatim>{VERBATIM_RE.pattern})|{MATH_RE.pattern}"
)
# The look-ahead lets the regex engine pass over plain text: a token starts only at one of
# these characters, or is a reference definition at a line's start (a test checks that
# the set is still right when a token is added). Three times faster on ordinary prose.
PROSE_STARTS = r"(?=[{<`\]$]|^ {0,3}\[)"
_PROSE_RE = re.compile(rf"{PROSE_STARTS}(?:{PROSE_TOKENS})", re.S | re.I | re.M)


def _replace_in_text(
    prose: list[tuple[int, str]],
    where: str,
    inlines: list[Inline],
    math: list[Math],
    refs: list[tuple[str, int]],
    problems: Collector,
) -> list[str]:
    """Math and inline values of a run of prose lines replaced by placeholders; code,
    tags, comments and link targets copied as they are."""
    text = "\n".join(line for _, line in prose)
    first = prose[0][0]

    def line_at(index: int) -> int:
        return first + text.count("\n", 0, index)

    def formula(m: re.Match[str], display: bool) -> str:
        group = "display" if display else "inline"
        tex = _literal(m[group].strip() if display else m[group])
        # The line where the TeX itself starts (after "$$" and any newline).
        at = line_at(m.start(group) + len(m[group]) - len(m[group].lstrip()))
        if INLINE_RE.search(tex):
            problems.error(
                where,
                at,
                "a {py} value cannot go inside math",
                hint="write the value after the formula, or use a widget's formula output, "
                "whose numbers follow the inputs",
            )
        # $$...$$ on lines of its own is a display formula (a block); inside a sentence it
        # is inline math, as kramdown (Jekyll's Markdown) has it, so a post written for
        # kramdown reads as its author saw it.
        alone = True
        if display:
            before = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
            after_end = text.find("\n", m.end())
            after = text[m.end() : after_end if after_end >= 0 else len(text)]
            alone = not before.strip() and not after.strip()
        display = display and alone
        math.append(Math(tex, display, at, (m["label"] or "") if display else ""))
        placeholder = PLACEHOLDER.format(kind="MATH", n=len(math) - 1)
        if display:
            return "\n\n" + placeholder + "\n\n"
        return placeholder + "\n" * tex.count("\n")  # later lines keep their numbers

    def token(m: re.Match[str]) -> str:
        if m["value"] is not None:
            fmt, kind = (m["fmt"] or "").strip(), "value" if m["kind"] == "py" else "input"
            expr = _literal(m["expr"].strip())
            inlines.append(Inline(len(inlines), expr, line_at(m.start()), fmt, kind))
            return PLACEHOLDER.format(kind="INLINE", n=len(inlines) - 1)
        if m["ref"] is not None:
            refs.append((_literal(m["target"].strip()), line_at(m.start())))
            return PLACEHOLDER.format(kind="REF", n=len(refs) - 1)
        if m["verbatim"] is not None:
            return m[0]
        return formula(m, m["display"] is not None)

    return _PROSE_RE.sub(token, text).split("\n")


class _PrefixLinks(Treeprocessor):
    """Prefix site-absolute links with the base path, point links to static files at their
    content-hashed names, and neutralise script URLs."""

    def __init__(self, md: md_lib.Markdown, urls: Urls, renames: dict[str, str]):
        super().__init__(md)
        self.urls = urls
        self.renames = renames

    def run(self, root: ElementTree.Element) -> None:
        for element in root.iter():
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is None:
                    continue
                scheme = value.strip().split(":", 1)[0].lower() if ":" in value else ""
                if scheme in ("javascript", "vbscript", "data") and not (
                    scheme == "data" and attr == "src" and value.startswith("data:image/")
                ):
                    element.set(attr, "#")
                    element.set("data-blocked-url", "true")
                else:
                    element.set(attr, self.urls.prefix(value, self.renames))


class _Sections(Treeprocessor):
    """Put each second-level heading and what follows it, up to the next one, in a
    ``<section>``: the theme lets the browser skip laying out sections the reader has not
    scrolled to yet, so a long article's first paint costs about one screenful."""

    def run(self, root: ElementTree.Element) -> None:
        children = list(root)
        if not any(child.tag == "h2" for child in children):
            return
        section = None
        for child in children:
            if child.tag == "h2":
                section = ElementTree.Element("section")
                section.text = section.tail = "\n"
                root.insert(list(root).index(child), section)
            if section is not None and "footnote" not in child.get("class", "").split():
                root.remove(child)
                section.append(child)


class _ImageFigures(Treeprocessor):
    """An image alone in its paragraph with an id (``![alt](a.png "Caption"){#name}``) is
    a figure: ``figure.xw-image#name`` with its caption (the title, else the alt text),
    numbered with the widgets and named by {ref}`name` (render.number_figures)."""

    def run(self, root: ElementTree.Element) -> None:
        for parent in root.iter():
            for k, child in enumerate(list(parent)):
                if child.tag != "p" or len(child) != 1 or (child.text or "").strip():
                    continue
                img = child[0]
                if img.tag != "img" or not img.get("id") or (img.tail or "").strip():
                    continue
                side = "side" in img.get("class", "").split()  # {#name .side}: beside the text
                figure = ElementTree.Element(
                    "figure",
                    {
                        "class": "xw-image xw-side" if side else "xw-image",
                        "id": img.attrib.pop("id"),
                    },
                )
                figure.tail = child.tail
                img.tail = None
                figure.append(img)
                caption = ElementTree.SubElement(figure, "figcaption")
                slot = ElementTree.SubElement(caption, "span", {"class": "xw-number"})
                slot.text = ""  # where render.number_figures writes "Figure N."
                slot.tail = img.get("title") or img.get("alt") or ""
                parent.remove(child)
                parent.insert(k, figure)


class _AnchorNames(Treeprocessor):
    """Name each heading's "#" link for screen readers ("Link to this section: Title"),
    with the glyph itself hidden from them."""

    def run(self, root: ElementTree.Element) -> None:
        for heading in root.iter():
            if heading.tag not in ("h2", "h3", "h4", "h5", "h6"):
                continue
            for link in heading.iter("a"):
                if "headerlink" not in link.get("class", "").split():
                    continue
                title = "".join(heading.itertext()).removesuffix(link.text or "").strip()
                link.set("aria-label", f"Link to this section: {title}")
                glyph = ElementTree.SubElement(link, "span", {"aria-hidden": "true"})
                glyph.text, link.text = link.text, None


class _IndentedCode(Treeprocessor):
    """Highlight indented code blocks as plain text, in the same markup as fenced ones
    (fenced blocks never reach Markdown: split_blocks takes them out first)."""

    def __init__(self, md: md_lib.Markdown, highlights: Path | None):
        super().__init__(md)
        self.highlights = highlights

    def run(self, root: ElementTree.Element) -> None:
        from .highlight import highlight

        for block in root.iter("pre"):
            if len(block) == 1 and block[0].tag == "code":
                text = html.unescape(block[0].text or "").strip("\n")
                stored = self.md.htmlStash.store(highlight(text, None, self.highlights))
                block.clear()
                block.tag, block.text = "p", stored  # raw HTML goes in where this was


_RAW_URL_ATTR = re.compile(r"""(\s(?:href|src|poster|action)\s*=\s*)(["'])(/(?!/)[^"']*)\2""")
_RAW_SRCSET = re.compile(r"""(\ssrcset\s*=\s*)(["'])([^"']*)\2""")


class _PrefixRawHtml(Postprocessor):
    """Give site-absolute URLs in the author's raw HTML (``<img src="/images/a.png">``,
    ``srcset``) the base path and the hashed names of static files, as Markdown links get:
    a project site on GitHub Pages lives under /repo/."""

    def __init__(self, md: md_lib.Markdown, urls: Urls, renames: dict[str, str]):
        super().__init__(md)
        self.urls = urls
        self.renames = renames
        self.stash: list[Any] | None = None
        self.done: set[int] = set()

    def _srcset(self, m: re.Match[str]) -> str:
        parts = []
        for candidate in m[3].split(","):
            url, _, size = candidate.strip().partition(" ")
            parts.append(" ".join(filter(None, [self.urls.prefix(url, self.renames), size])))
        return f"{m[1]}{m[2]}{', '.join(parts)}{m[2]}"

    def run(self, text: str) -> str:
        # md_in_html runs the postprocessors again for nested HTML: rewrite a block once.
        stash = self.md.htmlStash.rawHtmlBlocks
        if self.stash is not stash:
            self.stash, self.done = stash, set()
        for i, block in enumerate(stash):
            if i in self.done:
                continue
            self.done.add(i)
            if isinstance(block, str) and ("/" in block):
                block = _RAW_URL_ATTR.sub(
                    lambda m: f"{m[1]}{m[2]}{self.urls.prefix(m[3], self.renames)}{m[2]}", block
                )
                stash[i] = _RAW_SRCSET.sub(self._srcset, block)
        return text


_IAL_LINE = re.compile(r"\{:(?!:)[^}\n]*\}[ \t]*$")  # kramdown's attribute list, alone on its line
_NOT_PARAGRAPH = re.compile(r"( {4}|\t| *([-*+][ \t]|\d+[.)][ \t]|[>|<#:]|!!!|XWPLACEHOLDER))")


class _AttributesBefore(Preprocessor):
    """kramdown's block attributes written on the line before a paragraph or heading
    (``{: .note}`` then the text) become Python-Markdown's (on the paragraph's last line,
    at the heading's end): posts written for Jekyll keep their classes and ids instead
    of showing the braces. Line numbers no longer matter here (split_blocks took them)."""

    def run(self, lines: list[str]) -> list[str]:
        out = list(lines)
        i = 0
        while i < len(out) - 1:
            line, after = out[i], out[i + 1]
            alone = _IAL_LINE.match(line) and (i == 0 or not out[i - 1].strip())
            if not (alone and after.strip()):
                i += 1
                continue
            if after.startswith("#"):
                out[i + 1] = f"{after.rstrip()} {line.strip()}"
                out[i] = ""
            elif not _NOT_PARAGRAPH.match(after):
                end = i + 1
                while end + 1 < len(out) and out[end + 1].strip():
                    end += 1
                out.insert(end, out.pop(i))
            i += 1
        return out


class _SiteExtension(Extension):
    def __init__(self, urls: Urls, renames: dict[str, str], highlights: Path | None):
        super().__init__()
        self.urls = urls
        self.renames = renames
        self.highlights = highlights

    def extendMarkdown(self, md: md_lib.Markdown) -> None:  # Python-Markdown API
        from .inline_pass import USABLE, QuickInline

        if USABLE:  # Python-Markdown's inline pass, faster
            md.treeprocessors.register(QuickInline(md), "inline", 20)
        links = _PrefixLinks(md, self.urls, self.renames)
        md.treeprocessors.register(links, "xw_links", 0)
        md.treeprocessors.register(_AnchorNames(md), "xw_anchor_names", 2)  # after "toc" (5)
        md.treeprocessors.register(_Sections(md), "xw_sections", 1)
        md.treeprocessors.register(_ImageFigures(md), "xw_image_figures", 3)
        md.treeprocessors.register(_IndentedCode(md, self.highlights), "xw_code", 30)
        # After "html_block" (20) has taken raw HTML out of the lines.
        md.preprocessors.register(_AttributesBefore(md), "xw_attributes_before", 15)
        # Before "raw_html" (30) puts the stashed raw HTML back into the page.
        md.postprocessors.register(_PrefixRawHtml(md, self.urls, self.renames), "xw_raw_urls", 35)


def make_markdown(
    urls: Urls, renames: dict[str, str] | None = None, highlights: Path | None = None
) -> md_lib.Markdown:
    """Return a Markdown converter with the extensions authors expect.

    *renames* maps site paths as authors write them (``static/img/a.png``) to the
    content-hashed names the build gave them; highlighted code is remembered in
    *highlights*.
    """
    # Extensions are passed as instances: naming them makes Python-Markdown read every
    # installed package's entry points first, which costs more than a page takes to render.
    # What "extra" names, less fenced code: split_blocks takes every fence out first.
    from markdown.extensions.abbr import AbbrExtension
    from markdown.extensions.admonition import AdmonitionExtension
    from markdown.extensions.attr_list import AttrListExtension
    from markdown.extensions.def_list import DefListExtension
    from markdown.extensions.footnotes import FootnoteExtension
    from markdown.extensions.md_in_html import MarkdownInHtmlExtension
    from markdown.extensions.sane_lists import SaneListExtension
    from markdown.extensions.tables import TableExtension
    from markdown.extensions.toc import TocExtension

    return md_lib.Markdown(
        extensions=[
            FootnoteExtension(BACKLINK_TITLE="Back to reference %d"),
            AttrListExtension(),
            DefListExtension(),
            TableExtension(),
            AbbrExtension(),
            MarkdownInHtmlExtension(),
            AdmonitionExtension(),
            SaneListExtension(),
            TocExtension(
                permalink="#",
                permalink_title="Link to this section",
                toc_depth="2-3",
                slugify=_slugify,
            ),
            _SiteExtension(urls, renames or {}, highlights),
        ],
        output_format="html",
    )


def render_math(
    typeset: Any, tex: str, display: bool, where: str, line: int, problems: Collector
) -> str:
    """Typeset TeX as MathML (tex.Typesetter) so it reads without JavaScript; bad TeX is an
    error at the line of the mistake, with Temml's reason."""
    from .tex import TexError

    result = typeset(tex, display)
    if isinstance(result, TexError):
        at = line + tex.count("\n", 0, result.position or 0)
        shown = tex if len(tex) <= 60 else tex[:57] + "…"
        problems.error(where, at, f"cannot typeset math ${shown}$: {result.reason}")
        return f'<code class="xw-bad-math">{html.escape(tex)}</code>'
    alt = html.escape(tex, quote=True)
    return result.replace("<math", f'<math alttext="{alt}"', 1)


_filling: dict[str, list[str]] = {}  # the parts of the body render_body is converting


def _as_text(m: re.Match[str]) -> str:
    """A placeholder as the plain text of what fills it (a value, a formula's characters)."""
    content = _filling.get(m[2], [])
    shown = content[int(m[3])] if int(m[3]) < len(content) else ""
    return html.unescape(re.sub(r"<[^>]+>", "", shown))


def _slugify(value: str, separator: str) -> str:
    """Heading ids as Python-Markdown makes them, from the text a reader sees: a value or a
    formula in a heading counts as its text, never as the placeholder standing for it."""
    from markdown.extensions.toc import slugify

    return slugify(PLACEHOLDER_RE.sub(_as_slug_text, value), separator)


def _as_slug_text(m: re.Match[str]) -> str:
    """As _as_text; a {ref} (numbered only once the page is rendered) by the id it names."""
    if m[2] == "REF":
        names = _filling.get("REFNAME", [])
        return names[int(m[3])] if int(m[3]) < len(names) else ""
    return _as_text(m)


def toc_entries(tokens: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every entry of a table of contents (Python-Markdown's toc_tokens), nested ones too."""
    for token in tokens:
        yield token
        yield from toc_entries(token.get("children", []))


def _fill_toc(tokens: list[dict[str, Any]]) -> None:
    for token in toc_entries(tokens):
        token["name"] = PLACEHOLDER_RE.sub(_as_text, token["name"])


def render_body(
    converter: md_lib.Markdown, body: str, parts: dict[str, list[str]]
) -> tuple[str, list[dict[str, Any]]]:
    """Convert Markdown to HTML, fill in the placeholders, and return (html, toc tokens)."""
    converter.reset()
    parts = {**parts, "LITERAL": [MARK]}
    _filling.clear()
    _filling.update(parts)
    text = converter.convert(body)

    def fill(m: re.Match[str]) -> str:
        content = parts[m[2]][int(m[3])]
        if m[1] and m[4]:
            return content
        return (m[1] or "") + content + (m[4] or "")

    toc = getattr(converter, "toc_tokens", [])
    _fill_toc(toc)
    # Inside a tag (an attribute: an image's alt, a heading's "#" link named after the
    # heading) a value or formula is its plain text, never its markup.
    text = _TAG.sub(lambda tag: PLACEHOLDER_RE.sub(_as_attribute, tag[0]), text)
    return PLACEHOLDER_RE.sub(fill, text), toc


_TAG = re.compile(r"<[^<>]*XWPLACEHOLDER[^<>]*>")


def _as_attribute(m: re.Match[str]) -> str:
    # The page is scanned once more: a prefix in the text must not read as a placeholder.
    return html.escape(_as_text(m)).replace(MARK, MARK[:-1] + "&#82;")
