"""article_pages.py: an article's body and page: cells as shown, inline values, figures and
equations numbered with references to them, rows pages."""

from site_builder import markup
from site_builder.article_pages import number_figures
from site_builder.errors import Collector
from site_builder.model import Article, FrontMatter, Source


def test_figures_and_equations_get_numbers_and_references_read_them():
    body = (
        '<figure class="xw-widget" id="first"><figcaption>'
        + markup.NUMBER_SLOT
        + "One</figcaption></figure>"
        + markup.equation("energy", "<math>E</math>")
        + '<figure class="xw-image xw-side" id="second"><figcaption>'
        + markup.NUMBER_SLOT
        + "Two</figcaption></figure>"
        + "<p>See XWREF0X and XWREF1X, or XWREF2X.</p>"
    )
    meta = FrontMatter(title="T")
    refs = (("second", 9), ("energy", 9), ("secnd", 11))
    article = Article(source=Source("/p/a.md", "content/a.md", "a", None), meta=meta, refs=refs)
    problems = Collector()
    out = number_figures(body, article, problems, [])
    assert '<span class="xw-number">Figure 1.</span> One' in out
    assert '<span class="xw-number">Figure 2.</span> Two' in out
    assert '<span class="xw-eq-number">(1)</span>' in out
    assert '<a class="xw-ref" href="#second">Figure 2</a>' in out
    assert '<a class="xw-ref" href="#energy">Equation (1)</a>' in out
    (error,) = problems.errors
    assert (error.line, error.hint) == (11, "did you mean 'second'?")


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
