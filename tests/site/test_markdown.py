from site_builder.blocks import split_blocks
from site_builder.cache import read_entry, write_entry
from site_builder.errors import Collector
from site_builder.highlight import highlight
from site_builder.markdown import make_markdown, render_body
from site_builder.urls import Urls


def split(body, line=5):
    problems = Collector()
    blocks = split_blocks(body, line, "a.md", problems)
    return blocks, [d.format() for d in problems.errors]


def test_cells_keep_their_file_lines():
    body = "Intro\n\n```python build\nx = 1\n```\n\n```python exec hide export=a,b\ny = 2\n```\n"
    blocks, errors = split(body)
    assert errors == []
    assert [(c.line, c.browser, c.hide, c.export) for c in blocks.cells] == [
        (8, False, False, ()),
        (12, True, True, ("a", "b")),
    ]
    assert "XWPLACEHOLDERCELL0X" in blocks.body


def test_plain_fences_are_code_blocks_not_cells():
    body = '```python\nprint(1)\n```\n\n~~~\nplain\n~~~\n\n```{.js hl_lines="2"}\na\nb\n```\n'
    blocks, _ = split(body)
    assert blocks.cells == []
    assert blocks.code == [("python", "print(1)", ()), (None, "plain", ()), ("js", "a\nb", (2,))]
    assert "XWPLACEHOLDERCODE2X" in blocks.body


def test_highlighted_code_is_remembered(tmp_path):
    code = "def f(x):\n    return x < 2 and 'a' or \"b\"\n"
    first = highlight(code, "python", tmp_path)
    assert first.startswith('<div class="highlight"><pre><span></span><code>')
    assert '<span class="k">def</span>' in first and "&lt;" in first
    (saved,) = tmp_path.rglob("*.html")
    key = saved.stem
    write_entry(saved, key, b"remembered")  # an intact entry is read, not recomputed
    assert highlight(code, "python", tmp_path) == "remembered"
    for damage in (b"", saved.read_bytes()[:-3], saved.read_bytes().replace(b"rem", b"REM")):
        saved.write_bytes(damage)  # truncated, cut short, edited: recomputed, never shown
        assert highlight(code, "python", tmp_path) == first
        assert read_entry(saved, key) == first.encode()  # and stored again
    assert highlight(code, "python", None) == first  # without a cache: the same result
    plain = highlight("<b>", "no-such-language", None)
    assert "&lt;b&gt;" in plain and '<span class="k">' not in plain


def test_unclosed_fence_is_an_error():
    _, errors = split("text\n\n```python build\nx = 1\n")
    assert errors == [
        "a.md:7: error: fenced block opened with ``` is never closed\n"
        "  hint: add a line with ``` after the block"
    ]


def test_unknown_cell_option():
    _, errors = split("```python build hidden\nx=1\n```\n")
    assert errors[0].startswith("a.md:5: error: unknown cell option 'hidden'")


def test_math_and_inline_values_skip_code():
    blocks, _ = split("Cost $5 and $x^2$ here, `$not math$`, {py}`n + 1` and\n$$a_1$$\n")
    assert [(m[0], m[1], m[2]) for m in blocks.math] == [("x^2", False, 5), ("a_1", True, 6)]
    assert [(i.expr, i.line) for i in blocks.inlines] == [("n + 1", 5)]
    assert "`$not math$`" in blocks.body and "$5" in blocks.body


def test_links_get_the_base_path_and_script_urls_are_neutralised():
    converter = make_markdown(Urls("https://example.org/repo/"))
    html, _ = render_body(converter, "[a](/x/) [b](rel/) [c](javascript:alert(1))", {})
    assert 'href="/repo/x/"' in html and 'href="rel/"' in html
    assert "javascript:" not in html


def test_headings_get_anchors_and_toc():
    html, toc = render_body(
        make_markdown(Urls("https://example.org/")), "## First part\n\n### Sub\n", {}
    )
    assert 'id="first-part"' in html
    assert toc[0]["id"] == "first-part" and toc[0]["children"][0]["id"] == "sub"


def test_each_second_level_heading_opens_a_section():
    html = make_markdown(Urls("https://example.org/")).convert(
        "Intro\n\n## One\n\nText[^n]\n\n### Sub\n\nMore\n\n## Two\n\nEnd\n\n[^n]: A note."
    )
    assert html.startswith('<p>Intro</p>\n<section>\n<h2 id="one">')
    assert html.count("<section>") == 2 and html.count("</section>") == 2
    one, two = html.split("<section>")[1:]
    assert '<h3 id="sub">' in one and "End" in two
    assert html.rstrip().endswith("</div>")  # footnotes stay after the last section
    assert '<div class="footnote">' not in two.split("</section>")[0]
    assert "<section>" not in make_markdown(Urls("https://example.org/")).convert(
        "# Title\n\nNo second level."
    )


def test_indented_code_is_highlighted_as_plain_text():
    html = make_markdown(Urls("https://example.org/")).convert(
        "Text:\n\n    if a < b:\n        pass\n"
    )
    assert '<div class="highlight"><pre><span></span><code>if a &lt; b:' in html


def test_fences_in_list_items_stay_in_their_items():
    body = (
        "- first, a cell:\n\n    ```python build\n    x = 1\n    ```\n\n"
        "- second, code:\n\n  ```js\n  let a = '$1 and $2';\n  ```\n\n"
        "1. numbered:\n\n   ~~~\n   plain\n   ~~~\n\n"
        "Not a list: an indented block showing a fence.\n\n"
        "    ```python build\n    y = 2\n    ```\n"
    )
    blocks, errors = split(body)
    assert errors == []
    assert [(c.code, c.line) for c in blocks.cells] == [("x = 1", 8)]  # its file line
    assert blocks.code == [("js", "let a = '$1 and $2';", ()), (None, "plain", ())]
    assert blocks.math == []  # dollars in code are not math
    assert "    ```python build\n    y = 2" in blocks.body  # left to Markdown as code text
    md = make_markdown(Urls("https://me.github.io/"), {})
    html, _ = render_body(
        md, blocks.body, {"CELL": ["<div>CELL</div>"], "CODE": ["<pre>A</pre>", "<pre>B</pre>"]}
    )
    items = html.split("<li>")[1:]
    assert "CELL" in items[0] and "<pre>A</pre>" in items[1] and "<pre>B</pre>" in items[2]
    assert "<code>```python build" in html  # the indented block outside any list


def test_raw_html_urls_get_the_base_path_and_hashed_static_names():
    md = make_markdown(
        Urls("https://me.github.io/repo/"), {"static/img/a.png": "static/img/a.1f.png"}
    )
    body = (
        '<figure><img src="/static/img/a.png" srcset="/static/img/a.png 1x, /b.png 2x">\n'
        '<a href="/guide/#part">guide</a> <a href="//cdn.example/x">cdn</a> '
        '<a href="https://example.com/">out</a> <video poster="/p.jpg"></video></figure>\n\n'
        "Inline <img src='/c.png'> too, and a [Markdown link](/guide/).\n"
    )
    html, _ = render_body(md, body, {})
    assert 'src="/repo/static/img/a.1f.png"' in html
    assert 'srcset="/repo/static/img/a.1f.png 1x, /repo/b.png 2x"' in html
    assert 'href="/repo/guide/#part"' in html and 'poster="/repo/p.jpg"' in html
    assert "src='/repo/c.png'" in html and 'href="/repo/guide/"' in html  # once, not twice
    assert 'href="//cdn.example/x"' in html and 'href="https://example.com/"' in html


FIGURES = """---
title: Figures
---

As {ref}`plot` shows (and {ref}`pic`), by {ref}`energy`; see also {ref}`curve`.

![A picture](a.png "The picture, captioned"){#pic}

$$
E = mc^2
$$ {#energy}

```widget
id: plot
label: A plot
inputs:
  x: {type: range, min: 0, max: 1, step: 0.1, value: 0.5}
outputs:
  - value: x * 2
```

$$a^2 + b^2 = c^2$$ {#curve}

``{ref}`code` `` in code stays text.
"""


def test_figures_and_equations_are_numbered_and_referred_to(make_site):
    import re

    from site_builder.build import build
    from site_builder.config import load_config

    root = make_site({"content/f/index.md": FIGURES, "content/f/a.png": b"PNG"})
    build(load_config(root))
    page = (root / "_site" / "f" / "index.html").read_text()
    refs = re.findall(r'<a class="xw-ref" href="#([^"]+)">([^<]+)</a>', page)
    assert refs == [
        ("plot", "Figure 2"),
        ("pic", "Figure 1"),
        ("energy", "Equation (1)"),
        ("curve", "Equation (2)"),
    ]
    assert '<figure class="xw-image" id="pic"><img alt="A picture" src="a.png"' in page
    assert '<figcaption><span class="xw-number">Figure 1.</span> The picture, captioned' in page
    assert (
        '<figure class="xw-widget" id="plot"><figcaption><span class="xw-number">Figure 2.' in page
    )
    equation = r'<div class="xw-equation" id="energy"><math .*?</math><span class="xw-eq-number">'
    assert re.search(equation + r"\(1\)</span></div>", page)
    assert "<code>{ref}`code`</code>" in page  # a reference shown as code is code


def test_a_reference_to_nothing_is_an_error_with_a_suggestion(make_site):
    import pytest

    from site_builder.build import build
    from site_builder.config import load_config
    from site_builder.errors import BuildError

    root = make_site(
        {"content/r.md": "---\ntitle: r\n---\n\n$$x$$ {#energy}\n\nSee {ref}`enrgy`.\n"}
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).split("\n") == [
        "content/r.md:7: error: {ref}`enrgy`: no figure or equation has that id",
        "  hint: did you mean 'energy'?",
    ]
    (root / "content" / "r.md").write_text(
        "---\ntitle: r\n---\n\n```widget\nid: 3d\noutputs:\n  - value: '1'\n```\n"
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value) == (
        "content/r.md:6: error: id: a name of letters, digits, '-' and '_' starting with a "
        "letter, got '3d'"
    )


def _both_ways(text: str) -> tuple[str, str]:
    """*text* converted by our converter and by the same one with Python-Markdown's own
    inline pass put back."""
    from markdown.treeprocessors import InlineProcessor

    quick = make_markdown(Urls("/"))
    plain = make_markdown(Urls("/"))
    plain.treeprocessors.register(InlineProcessor(plain), "inline", 20)
    return quick.convert(text), plain.convert(text)


def test_the_quick_inline_pass_reads_where_each_pattern_can_start():
    import re

    from site_builder.inline_pass import start_chars

    assert start_chars(re.compile(r"(?<!\\)`")) == {"`"}
    assert start_chars(re.compile(r"\*|_")) == {"*", "_"}
    assert start_chars(re.compile(r"(&(?:\#[0-9]+|[a-z]+);)")) == {"&"}
    assert start_chars(re.compile(r"(?:ab)?c")) == {"a", "c"}
    assert start_chars(re.compile(r"[x-z]+!")) == {"x", "y", "z"}
    assert start_chars(re.compile(r"http", re.I)) == {"h", "H"}
    # Could start anywhere, or match nothing: always tried.
    for anywhere in (r"^(.*?)\*", r"\w+", r"[^<]", r"a*", r"(?:b|)", r"(?i:q)", r"(a?)\1b"):
        assert start_chars(re.compile(anywhere)) is None, anywhere


def test_the_quick_inline_pass_converts_exactly_as_python_markdown():
    pages = [
        "Plain words, nothing to do.\n\nAnd *one* emphasis, `code`, a [link](/a) and ![i](b.png).",
        "Escapes \\* \\_ \\[ and &amp; &#38; &copy; <b>tag</b> <https://x.org> <me@x.org>\n"
        "line with two spaces  \nnext [^1] **strong _nested_ text** __u__ ***both***\n\n"
        "[^1]: A note with *emphasis*.\n\n[ref]: /r\n\nSee [ref] and [text][ref] and ![alt][ref].",
        "| a | *b* |\n|---|---|\n| `c` | [d](/d) |\n\nTerm\n:   Definition with _em_.\n\n"
        '*[HTML]: Hyper Text\n\nHTML in a sentence. {: .cls }\n\n!!! note "Title *x*"\n    Body.',
        "* item *a*\n* item `b`\n    * nested [c](/c)\n\n1. one\n2. two <span>s</span>\n\n"
        "> quote with *em* and `code` and \\` literal\n\n# Heading *with* `code`\n",
    ]
    for text in pages:
        quick, plain = _both_ways(text)
        assert quick == plain


def test_the_quick_inline_pass_matches_on_generated_prose():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(
        ["word", " ", "  \n", "\n", "\n\n", "*", "**", "_", "`", "``", "\\", "[", "]", "(", ")",
         "!", "<", ">", "&", ";", "#", "amp", "b", "/", "https://x.org", "@", "^", ":", "=",
         "{", "}", ".", "-", "|", "1.", "&amp;", "&#38;", "<b>", "</b>", "[x](/y)", "![a](b)",
         "<https://x.org>", "[^n]", "[r]"]
    )  # fmt: skip

    @settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(pieces, min_size=1, max_size=12).map("".join))
    def check(text: str) -> None:
        quick, plain = _both_ways(text)
        assert quick == plain

    check()


def test_prose_tokens_start_only_where_the_fast_scan_looks():
    import re

    from site_builder.blocks import PROSE_STARTS, PROSE_TOKENS
    from site_builder.inline_pass import start_chars

    chars = start_chars(re.compile(PROSE_TOKENS, re.S | re.I | re.M))
    assert chars is not None
    guard = re.compile(PROSE_STARTS, re.M)
    # Every character a token can start with passes the scan, mid-line; " " only begins a
    # reference definition ("   [id]: url"), which the scan lets through at a line's start.
    for c in chars - {" ", "["}:
        assert guard.match("x" + c, 1), c
    assert guard.match("   [id]: /u") and guard.match("[id]: /u")
    assert chars == set("{<`]$ [")


def test_the_quick_inline_pass_is_the_one_in_use():
    from site_builder.inline_pass import USABLE, QuickInline

    assert USABLE  # with the Python-Markdown this project installs
    assert isinstance(make_markdown(Urls("/")).treeprocessors["inline"], QuickInline)


TOKENS = """---
title: Tokens XWPLACEHOLDERCODE9X
---

Prose XWPLACEHOLDERCODE7X, `XWPLACEHOLDERWIDGET3X` and {py}`"XWPLACEHOLDERINLINE5X"`.

## Heading XWPLACEHOLDERREF2X

![alt XWPLACEHOLDERMATH0X](a.png)

    XWPLACEHOLDERCELL1X

```text
XWPLACEHOLDERCELL4X
```

```widget
inputs:
  n: {type: text, value: "XWPLACEHOLDERINLINE0X", label: "XWPLACEHOLDERWIDGET0X"}
outputs:
  - value: n
```
"""


def test_text_that_looks_like_the_builders_placeholders_is_text(make_site):
    """The build marks where cells, widgets, math and values go with placeholders; an
    author who writes one (documenting the tool, say) gets those words, in every place."""
    import html

    from site_builder.build import build
    from site_builder.config import load_config

    root = make_site({"content/t/index.md": TOKENS, "content/t/a.png": b"PNG"})
    build(load_config(root))
    page = html.unescape((root / "_site" / "t" / "index.html").read_text())
    for words in (
        "Tokens XWPLACEHOLDERCODE9X</h1>",
        "Prose XWPLACEHOLDERCODE7X,",
        "<code>XWPLACEHOLDERWIDGET3X</code>",
        "and XWPLACEHOLDERINLINE5X.</p>",
        "Heading XWPLACEHOLDERREF2X<a",
        'Link to this section: Heading XWPLACEHOLDERREF2X"',
        'alt="alt XWPLACEHOLDERMATH0X"',
        "<code>XWPLACEHOLDERCELL1X",
        "XWPLACEHOLDERCELL4X",
        ">XWPLACEHOLDERWIDGET0X</label>",
        'value="XWPLACEHOLDERINLINE0X"',
    ):
        assert words in page, words
