"""Math: found only where it really is, typeset at build time as the reference renderer
(Temml) typesets it, bad TeX reported at its line, and allowed by the page's policy."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import subprocess

import pytest

from site_builder.blocks import split_blocks
from site_builder.build import BuildError, build
from site_builder.config import load_config
from site_builder.errors import Collector
from site_builder.tex import ensure_temml
from tests.conftest import ROOT

# At least 40 formulas of the kinds real articles carry: fractions, sums and limits,
# matrices, aligned and cases, \operatorname, \text with markup characters, accents,
# big delimiters, and characters Markdown would otherwise take (\\, _, *, <, &).
FORMULAS = [
    r"\frac{1}{1 + e^{-z}}",
    r"\sigma(z) = \frac{1}{1+e^{-z}}",
    r"\dfrac{\partial L}{\partial w} = \frac{1}{n}\sum_{i=1}^{n} (\hat y_i - y_i) x_i",
    r"\sum_{k=0}^{\infty} \frac{x^k}{k!} = e^x",
    r"\prod_{i=1}^{n} p_i",
    r"\lim_{h \to 0} \frac{f(x+h) - f(x)}{h}",
    r"\int_0^1 x^2 \, dx = \frac{1}{3}",
    r"\iint_D f(x, y)\, dA",
    r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"\begin{bmatrix} 1 & 0 & 0 \\ 0 & 1 & 0 \\ 0 & 0 & 1 \end{bmatrix}",
    r"\begin{vmatrix} a & b \\ c & d \end{vmatrix} = ad - bc",
    r"\begin{matrix} x & y \\ z & w \end{matrix}",
    r"\begin{aligned} z &= w_1 x_1 + w_2 x_2 + b \\ \hat y &= \sigma(z) \end{aligned}",
    r"\begin{aligned} a &= b + c \\ &= d \end{aligned}",
    r"f(x) = \begin{cases} 0 & x < 0 \\ x & x \ge 0 \end{cases}",
    r"|x| = \begin{cases} -x & \text{if } x < 0 \\ x & \text{otherwise} \end{cases}",
    r"\operatorname{ReLU}(x) = \max(0, x)",
    r"\operatorname{arg\,min}_w L(w)",
    r"\text{accuracy} = \frac{\text{correct}}{\text{all}}",
    r"\text{if } a < b \text{ and } c > d",
    r"\text{Q\&A}",
    r"\text{snake\_case * stars}",
    r"\hat{y}",
    r"\bar{x} = \frac{1}{n} \sum x_i",
    r"\vec{v} \cdot \vec{w}",
    r"\tilde{p} \approx p",
    r"\dot{x}, \ddot{x}",
    r"\overline{AB}",
    r"\left( \frac{a}{b} \right)^2",
    r"\left[ \sum_{i} x_i \right]",
    r"\left\{ x \mid x > 0 \right\}",
    r"\left\lvert x \right\rvert",
    r"\bigl( a + b \bigr)",
    r"\Bigg( \frac{1}{2} \Bigg)",
    r"\sqrt{x^2 + y^2}",
    r"\sqrt[3]{8} = 2",
    r"\alpha, \beta, \gamma, \Delta, \Omega",
    r"x \in \mathbb{R}^n",
    r"\mathbf{W} \mathbf{x} + \mathbf{b}",
    r"\mathcal{L}(\theta)",
    r"a \le b \ne c \geq d",
    r"a \times b \div c \pm d",
    r"\forall x \, \exists y : x < y",
    r"\nabla_w L",
    r"P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}",
    r"\log_2 8 = 3",
    r"e^{i\pi} + 1 = 0",
    r"x_{i,j}^{(k)}",
    r"\binom{n}{k} = \frac{n!}{k!(n-k)!}",
    r"a \to b \Rightarrow c \iff d",
    r"\underbrace{1 + \cdots + 1}_{n}",
    r"\overbrace{a + b}^{c}",
]


def _reference(formulas: list[tuple[str, bool]]) -> list[str]:
    """Temml's own MathML for each (tex, display), run directly in Node."""
    temml = ensure_temml(ROOT / ".cache")
    script = (
        "const t = require(process.argv[1]);"
        "const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(items.map(([tex, d]) => t.renderToString(tex, "
        "{displayMode: d, throwOnError: true, trust: false, annotate: false}))));"
    )
    out = subprocess.run(
        ["node", "-e", script, str(temml)],
        input=json.dumps(formulas),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def _maths(page: str) -> list[str]:
    found = re.findall(r"<math\b.*?</math>", page, re.S)
    return [re.sub(r' alttext="[^"]*"', "", m, count=1) for m in found]


def test_math_is_typeset_as_the_reference_renderer_does(make_site):
    assert len(FORMULAS) >= 40
    body = "".join(f"Display {i}:\n\n$$\n{tex}\n$$\n\n" for i, tex in enumerate(FORMULAS))
    inline = FORMULAS[:10]
    body += "Inline: " + ", ".join(f"${tex}$" for tex in inline) + ".\n"
    root = make_site({"content/m.md": "---\ntitle: m\n---\n\n" + body})
    build(load_config(root))
    page = (root / "_site" / "m" / "index.html").read_text()
    ours = _maths(page)
    want = [(tex, True) for tex in FORMULAS] + [(tex, False) for tex in inline]
    assert ours == _reference(want)  # every formula, exactly as Temml typesets it alone
    alts = [html.unescape(a) for a in re.findall(r'<math alttext="([^"]*)"', page)]
    assert alts == [tex for tex, _ in want]  # the TeX kept for assistive technology
    # What the old renderer got wrong, stated without reference to Temml:
    aligned = ours[12]
    assert aligned.count("<mtr>") == 2 and "&amp;" not in aligned and "&" not in aligned
    cases = ours[14]
    assert "<mtable" in cases and ">{</mo>" in cases
    assert "<mi>ReLU</mi><mo>\u2061</mo>" in ours[16]  # a function name, then apply
    assert "<mtext>if\u00a0</mtext>" in ours[19] and "&lt;" in ours[19]
    assert "<mtext>Q&amp;A</mtext>" in ours[20]
    assert "<mtext>snake_case\u00a0*\u00a0stars</mtext>" in ours[21]  # Markdown never saw it
    assert '<link rel="stylesheet" href="/static/css/temml.' in page


def test_bad_tex_is_an_error_at_the_line_with_the_reason(make_site):
    root = make_site(
        {
            "content/bad.md": "---\ntitle: bad\n---\n\nFine $x$.\n\n"
            "$$\n\\frac{1}{2}\n+ \\nosuch\n$$\n\n"
            "And $\\frac{1}{$ inline.\n"
        }
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    got = [d.format().split("\n")[0] for d in caught.value.diagnostics]
    assert got == [
        "content/bad.md:9: error: cannot typeset math $\\frac{1}{2}",
        "content/bad.md:12: error: cannot typeset math $\\frac{1}{$: Unexpected end of "
        "input in a macro argument, expected '}' at end of input: \\frac{1}{",
    ]
    assert "+ \\nosuch$: Unsupported function name: \\nosuch" in str(caught.value)
    assert not (root / "_site").exists()


def test_no_tex_is_left_as_text_on_any_page_of_the_example(example_site):
    for page in sorted(example_site.rglob("*.html")):
        text = re.sub(r"<math\b.*?</math>", " ", page.read_text(), flags=re.S)
        text = re.sub(r"<(script|style|code|pre)\b.*?</\1>", " ", text, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        assert not re.search(r"\$[^$\s][^$]*\\[a-z]+", text), page


def _split(body: str) -> tuple[list[tuple[str, bool, int]], str, list[str]]:
    problems = Collector()
    blocks = split_blocks(body, 1, "a.md", problems)
    found = [(m.tex, m.display, m.line) for m in blocks.math]
    return found, blocks.body, [d.format() for d in problems.errors + problems.warnings]


def test_double_dollars_in_a_sentence_are_inline_math_as_kramdown_has_them(make_site):
    found, body, _ = _split("A sentence with $$a^2$$ inside, and\n\n$$\nb^2\n$$\n\nafter.\n")
    assert found == [("a^2", False, 1), ("b^2", True, 4)]  # b^2: the line the TeX starts on
    assert "with XWPLACEHOLDERMATH0X inside" in body  # no paragraph break around it
    root = make_site({"content/p.md": "---\ntitle: p\n---\n\nA sentence with $$a^2$$ inside it.\n"})
    build(load_config(root))
    page = (root / "_site" / "p" / "index.html").read_text()
    assert re.search(
        r'<p>A sentence with <math alttext="a\^2"><msup>.*</math> inside it\.</p>', page
    )


def test_punctuation_after_inline_math_stays_on_its_line(make_site):
    """A formula is one box to the line breaker: the comma or full stop after it is kept
    with it (no line starts with the punctuation), and nothing else is wrapped."""
    text = "Where $a^2$, and $b$. Then $c$ alone, ($d$) too.\n\n$$\ne^2\n$$\n"
    root = make_site({"content/p.md": "---\ntitle: p\n---\n\n" + text})
    build(load_config(root))
    page = (root / "_site" / "p" / "index.html").read_text()
    nowrap = r'<span class="xw-nowrap"><math alttext="([^"]*)".*?</math>([^<]*)</span>'
    kept = re.findall(nowrap, page)
    assert kept == [("a^2", ","), ("b", "."), ("d", ")")]
    assert re.search(r'<math alttext="c">.*?</math> alone', page)
    assert page.count('class="xw-nowrap"') == 3  # display math and text untouched


def test_a_value_inside_math_is_an_error_and_headings_keep_clean_ids(make_site):
    _, _, problems = _split("Where $x = {py}`n`$ holds.\n")
    assert problems[0].startswith("a.md:1: error: a {py} value cannot go inside math")
    root = make_site(
        {
            "content/h.md": "---\ntitle: h\n---\n\n```python build\nn = 42\n```\n\n"
            "## The answer is {py}`n` and $x^2$\n\nText.\n"
        }
    )
    build(load_config(root))
    page = (root / "_site" / "h" / "index.html").read_text()
    assert 'id="the-answer-is-42-and-x2"' in page
    assert "XWPLACEHOLDER" not in page


def test_values_formulas_and_references_in_attributes_are_their_text(make_site):
    """A heading's "#" link is named after the heading, an image's alt is its text: a
    value, a formula or a {ref} there is its plain text (a heading's id names a reference
    by its target), never markup inside an attribute."""
    from html.parser import HTMLParser

    root = make_site(
        {
            "content/h/index.md": "---\ntitle: h\n---\n\n```python build\nn = 42\n```\n\n"
            "## The answer is {py}`n` and $x^2$\n\n![a plot of {py}`n` and $y$](a.png)\n\n"
            "## As {ref}`fig` shows\n\n```widget\nid: fig\noutputs:\n  - value: 1\n```\n",
            "content/h/a.png": b"PNG",
        }
    )
    build(load_config(root))
    page = (root / "_site" / "h" / "index.html").read_text()
    attributes = []

    class Attributes(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attributes.extend((tag, name, value or "") for name, value in attrs)

    Attributes().feed(page)
    assert [a for a in attributes if "<" in a[2] or "XW" in a[2]] == []
    labels = [v for _, name, v in attributes if name == "aria-label" and "section" in v]
    assert labels == [
        "Link to this section: The answer is 42 and x2",
        "Link to this section: As Figure 1 shows",
    ]
    assert ("img", "alt", "a plot of 42 and y") in attributes
    assert 'id="as-fig-shows"' in page and '<a href="#as-fig-shows">As Figure 1 shows</a>' in page


def _csp(page: str) -> str:
    return html.unescape(re.search(r'Content-Security-Policy" content="([^"]*)"', page)[1])


def test_the_policy_allows_exactly_the_styles_of_the_typeset_math(make_site):
    root = make_site(
        {
            "content/s.md": "---\ntitle: s\n---\n\n$$\n\\begin{pmatrix} a & b \\\\ c & d "
            "\\end{pmatrix}\n$$\n\n<b>plain</b>\n",
            "content/n.md": "---\ntitle: n\n---\n\nNo math here.\n",
        }
    )
    build(load_config(root))
    page = (root / "_site" / "s" / "index.html").read_text()
    styles = set(re.findall(r'style="([^"]*)"', page))
    assert styles  # Temml pads matrix columns with style attributes
    policy = _csp(page)
    style_src = next(d for d in policy.split("; ") if d.startswith("style-src "))
    hashes = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in styles
    }
    assert set(style_src.split()[1:]) == {"'self'", "'unsafe-hashes'", *hashes}
    other = (root / "_site" / "n" / "index.html").read_text()
    assert "style-src 'self';" in _csp(other) and "temml" not in other
