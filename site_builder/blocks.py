"""Our syntax in an article's Markdown: Python cells, widgets, fenced code, math, inline
values and references, cut out of the text *before* Python-Markdown sees it, because only
here do we still know their line numbers.

``split_blocks`` reads the body once, line by line. Each fenced block (a cell, a widget, a
plain code block) and, in the prose between them, each formula, ``{py}`` value and
``{ref}`` becomes a placeholder (``XWPLACEHOLDER<KIND><n>X``) that ``markdown.render_body``
swaps for HTML afterwards. Text inside code spans, raw HTML blocks and link targets stays
as written (``VERBATIM_RE``, ``_raw_blocks``).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from .csp import blocked_by_csp
from .errors import Collector
from .model import Cell, CodeBlock, Inline, Math, Widget

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
        bare = [(n, MATH_RE.sub("", CODE_SPAN_RE.sub("", t)) if "<" in t else t) for n, t in prose]
        blocked_by_csp(bare, where, problems, csp)
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
