from site_builder.markdown import make_markdown, render_body
from site_builder.urls import Urls


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
