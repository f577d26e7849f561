"""What posts written for Jekyll (Liquid, kramdown) carry, read the way their author meant.

Runs on an article's body before anything else, and never changes its number of lines, so
every later diagnostic still names the right line. The cheap common cases are rewritten:

- ``{{ site.baseurl }}`` and ``{{ site.url }}`` go (a link starting with ``/`` gets the
  base path anyway); ``{{ "/x" | relative_url }}`` and ``absolute_url`` become ``/x``;
- ``{% highlight python %}`` … ``{% endhighlight %}`` become a fenced block;
- ``{% raw %}`` and ``{% endraw %}`` go, their content stays as written;
- ``{% comment %}`` … ``{% endcomment %}`` and ``{::comment}`` … ``{:/comment}`` go;
- ``{::options parse_block_html="true" /}`` goes, and the post's HTML blocks then have
  their Markdown rendered (as kramdown would);
- ``{::nomarkdown}`` markers go (their content is raw HTML already);
- a list holding only ``TOC`` followed by ``{:toc}`` becomes ``[TOC]``.

Any other Liquid tag or output outside code is a warning at its line saying what to write
instead: the build does not run Liquid, and printing it silently would show the reader
template code.
"""

from __future__ import annotations

import re

from .blocks import CODE_SPAN_RE
from .errors import Collector

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
SITE_VARS = re.compile(r"\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}")
URL_FILTER = re.compile(
    r"""\{\{-?\s*(["'])([^"']*)\1\s*\|\s*(?:relative_url|absolute_url)\s*-?\}\}"""
)
HIGHLIGHT = re.compile(r"^(\s*)\{%-?\s*highlight\s+([\w+#.-]+)[^%]*-?%\}\s*$")
END_HIGHLIGHT = re.compile(r"^(\s*)\{%-?\s*endhighlight\s*-?%\}\s*$")
POST_URL = re.compile(r"\{%-?\s*post_url\s+([^%]+?)\s*-?%\}")
LINK = re.compile(r"\{%-?\s*link\s+([^%]+?)\s*-?%\}")
RAW = re.compile(r"\{%-?\s*(?:raw|endraw)\s*-?%\}")
COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
KRAMDOWN_COMMENT = re.compile(r"\{::comment\}.*?\{:/comment\}", re.S)
OPTIONS = re.compile(r"\{::options\b([^}]*)/\}")
NOMARKDOWN = re.compile(r"\{::nomarkdown\}|\{:/nomarkdown\}|\{:/\}")
TOC = re.compile(r"^[*+-][ \t]+TOC[ \t]*\n\{:[ \t]*toc[ \t]*\}[ \t]*$", re.M | re.I)
LIQUID = re.compile(r"\{%-?\s*(\w+)[^%]*%\}|\{\{-?\s*([^}]*?)\s*-?\}\}")
# Containers whose Markdown kramdown renders with parse_block_html.
BLOCK_TAG = re.compile(
    r"^( {0,3}<(?:div|section|article|aside|figure|details|blockquote|header|footer|main|nav)\b)"
    r"(?![^>]*\bmarkdown\s*=)",
    re.I,
)

INSTEAD = {
    "include": "paste the included file's content here, or move the shared markup into a "
    "template under templates/",
    "if": "Liquid conditions are not run; keep the text you want",
    "for": "Liquid loops are not run; write the list out, or compute it in a ```python build cell",
    "assign": "Liquid variables are not run; use a ```python build cell and {py}`name`",
    "capture": "Liquid variables are not run; use a ```python build cell and {py}`name`",
}


def _address(name: str, post: bool = False, permalink: str = "") -> str:
    """The site-absolute address of a post named like its file (``2014-07-03-name``,
    maybe under a folder) or of a page's file (``about.md``, ``_posts/...md``); with a
    site *permalink* pattern, where that puts the post (its date from the name; a pattern
    that needs its categories cannot be known from here: the link check says so)."""
    import datetime as dt
    from types import SimpleNamespace

    from .articles import permalinked
    from .content import DATED_NAME, url_slug

    parts = name.strip("/").split("/")
    stem = re.sub(r"\.(md|markdown|mdown|mkd|html)$", "", parts[-1])
    if post or "_posts" in parts or "_drafts" in parts:
        slug = url_slug(stem)
        dated = DATED_NAME.match(stem)
        if permalink and dated:
            when = dt.date(int(dated[1]), int(dated[2]), int(dated[3]))
            slug = permalinked(permalink, SimpleNamespace(date=when, tags=()), slug) or slug
        return f"/{slug}/"
    folder = "/".join(parts[:-1])
    if stem == "index":
        return f"/{folder}/" if folder else "/"
    return "/" + "/".join([*parts[:-1], url_slug(stem)]) + "/"


def _blank(m: re.Match[str]) -> str:
    """What is left of a removed span: its newlines, so later lines keep their numbers."""
    return "\n" * m[0].count("\n")


def convert(body: str, body_line: int, where: str, problems: Collector, permalink: str = "") -> str:
    """*body* with the Jekyll conventions above rewritten, line for line; *permalink* is
    site.toml's (where a post named by {% post_url %} is published)."""
    if "{" not in body:
        return body
    body = COMMENT.sub(_blank, body)
    body = KRAMDOWN_COMMENT.sub(_blank, body)
    body = TOC.sub("[TOC]\n", body)  # two lines, as before
    parse_html = False
    for found in OPTIONS.finditer(body):
        if re.search(r"""parse_block_html\s*=\s*["']?true""", found[1]):
            parse_html = True
    body = OPTIONS.sub("", body)
    body = NOMARKDOWN.sub("", body)
    lines = body.split("\n")
    fence, raw = "", False
    for i, line in enumerate(lines):
        if not fence and (start := HIGHLIGHT.match(line)):
            lines[i] = f"{start[1]}```{start[2]}"
            fence = "highlight"
            continue
        if fence == "highlight":
            if end := END_HIGHLIGHT.match(line):
                lines[i] = f"{end[1]}```"
                fence = ""
            continue
        if opened := FENCE.match(line):
            if not fence:
                fence = opened[1]
            elif opened[1].startswith(fence[0] * len(fence)):
                fence = ""
            continue
        if fence:
            continue
        if "{" in line:
            line = SITE_VARS.sub("", line)
            line = URL_FILTER.sub(lambda m: m[2], line)
            # {% post_url 2014-07-03-name %} and {% link path %}: the address the imported
            # post or page has here (checked like any link: a wrong one is an error here).
            line = POST_URL.sub(lambda m: _address(m[1], True, permalink), line)
            line = LINK.sub(lambda m: _address(m[1], False, permalink), line)
            # {% raw %} ... {% endraw %}: the markers go, what they hold is not Liquid.
            pieces = RAW.split(line)
            for k, piece in enumerate(pieces):
                if raw == (k % 2 == 1):  # outside {% raw %}
                    pieces[k] = _drop_liquid(piece, body_line + i, where, problems)
            raw = raw != (len(pieces) % 2 == 0)
            line = "".join(pieces)
        if parse_html:
            line = BLOCK_TAG.sub(r'\1 markdown="1"', line)
        lines[i] = line
    return "\n".join(lines)


def _drop_liquid(text: str, number: int, where: str, problems: Collector) -> str:
    """*text* without the Liquid the build does not run (each a warning): Jekyll never
    printed a tag or an output as written, so neither does the page. Liquid shown in a
    code span is the author's text and stays."""
    out, last = [], 0
    for span in [*CODE_SPAN_RE.finditer(text), None]:
        end = span.start() if span else len(text)
        out.append(LIQUID.sub(lambda m: _warn(m, number, where, problems), text[last:end]))
        if span:
            out.append(span[0])
            last = span.end()
    return "".join(out)


def _warn(m: re.Match[str], number: int, where: str, problems: Collector) -> str:
    if m[1]:
        hint = INSTEAD.get(m[1], "write what it would have produced")
        problems.warn(where, number, f"Liquid tag {{% {m[1]} %}} is not run (left out)", hint=hint)
        return ""
    if m[2] and not m[2].startswith(("{", '"')):
        problems.warn(
            where,
            number,
            f"Liquid output {{{{ {m[2]} }}}} is not run (left out)",
            hint="write the value itself, or compute it in a ```python build cell and "
            "show it with {py}`name`",
        )
        return ""
    return m[0]
