"""The Python-Markdown setup: the extensions authors expect and our processors.

Our own syntax (cells, widgets, math, inline values) never reaches Python-Markdown:
``blocks.split_blocks`` takes it out first and leaves placeholders, which ``render_body``
fills in after conversion. What runs inside Python-Markdown, in its order (higher
priority first within each stage):

=================  =======================  ========  ==========================================
stage              name                     priority  what it does
=================  =======================  ========  ==========================================
preprocessor       ``xw_attributes_before`` 15        kramdown's ``{: .class}`` on the line
                                                      before a block moves onto it (after
                                                      ``html_block``, 20)
treeprocessor      ``xw_code``              30        indented code blocks highlighted by the
                                                      build (``highlight.py``)
treeprocessor      ``inline``               20        ``inline_pass.QuickInline`` when usable:
                                                      Python-Markdown's inline pass, faster
treeprocessor      ``xw_image_figures``     3         an image alone in a paragraph with a
                                                      caption becomes a numbered figure
treeprocessor      ``xw_anchor_names``      2         headings' ids and links named from their
                                                      text (after ``toc``, 5)
treeprocessor      ``xw_sections``          1         each second-level heading opens a section
treeprocessor      ``xw_links``             0         base path, hashed static names, no
                                                      script URLs
postprocessor      ``xw_raw_urls``          35        the same for raw HTML (before
                                                      ``raw_html``, 30, puts it back)
=================  =======================  ========  ==========================================

Extensions: footnotes, attr_list, def_list, tables, abbr, md_in_html, admonition,
sane_lists and toc ("extra" without fenced code, which ``blocks`` handles).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import markdown as md_lib
from markdown.extensions import Extension
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .blocks import MARK, PLACEHOLDER_RE
from .errors import Collector
from .urls import Urls


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
    # A formula is one box to the line breaker, which may break after it: the punctuation
    # that follows it stays on its line ("… where $x$, the …" never starts a line with ",").
    text = _MATH_THEN_PUNCTUATION.sub(r'<span class="xw-nowrap">\1</span>', text)
    return PLACEHOLDER_RE.sub(fill, text), toc


_TAG = re.compile(r"<[^<>]*XWPLACEHOLDER[^<>]*>")
_MATH_THEN_PUNCTUATION = re.compile(r"(XWPLACEHOLDERMATH\d+X[.,;:!?)\]’”»]+)")


def _as_attribute(m: re.Match[str]) -> str:
    # The page is scanned once more: a prefix in the text must not read as a placeholder.
    return html.escape(_as_text(m)).replace(MARK, MARK[:-1] + "&#82;")
