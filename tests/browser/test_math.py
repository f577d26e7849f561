"""Math, in the browser (the build side: tests/site/test_math.py)."""

from __future__ import annotations

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_page, policy_refusals, serve_folder

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_typeset_math_renders_in_chromium_without_policy_violations(browser, make_site):
    root = make_site(
        {
            "content/b.md": "---\ntitle: b\n---\n\n$$\n\\begin{aligned} z &= w x + b \\\\ "
            "\\hat y &= \\sigma(z) \\end{aligned}\n$$\n\n"
            "$$\nf(x) = \\begin{cases} 0 & x < 0 \\\\ x & x \\ge 0 \\end{cases}\n$$\n\n"
            "$$\n\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}\n$$\n"
        }
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            violations = policy_refusals(page)
            page.goto(url + "b/")
            page.wait_for_load_state("load")
            rows = page.eval_on_selector_all(
                "math mtr", "rows => rows.map(r => r.getBoundingClientRect().top)"
            )
            # aligned: 2 rows, cases: 2, matrix: 2, each on its own line
            assert len(rows) == 6 and len({round(t) for t in rows}) == 6
            pad = page.eval_on_selector(
                "math mtable mtd + mtd", "td => getComputedStyle(td).paddingLeft"
            )
            # the matrix's column gap, from a style attribute the policy allows
            gaps = page.eval_on_selector_all(
                "math mtd", "tds => tds.map(td => getComputedStyle(td).paddingLeft)"
            )
            assert any(g not in ("0px", "") for g in gaps), (pad, gaps)
            assert violations == [] and page.errors == []
    finally:
        server.shutdown()


ROOTS = """() => [...document.querySelectorAll("msqrt")].map((root) => {
  const content = root.firstElementChild.getBoundingClientRect();
  return root.getBoundingClientRect().height / content.height;
})"""


def test_the_site_ships_a_math_font_so_radicals_stretch(browser, make_site):
    """Where the reader has no math font (this machine, Linux and Android), the page's
    own (STIX Two Math, from the site, not another origin) draws radicals over what they
    hold: a root over a fraction is taller than the fraction by a quarter and more
    (without a math font, by an eighth: the bar sits on the content)."""
    root = make_site(
        {"content/r.md": "---\ntitle: r\n---\n\nRoots $\\sqrt{n}$ and $\\sqrt{\\frac{a}{b}}$.\n"}
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            fonts: list[str] = []
            page.on("requestfinished", lambda r: r.url.endswith(".woff2") and fonts.append(r.url))
            page.goto(url + "r/")
            page.evaluate("document.fonts.ready")
            assert page.evaluate("document.fonts.check('16px \"XW STIX Two Math\"')")
            assert [f.rsplit("/", 1)[1].split(".")[0] for f in fonts] == ["stix-two-math"]
            assert all(f.startswith(url) for f in fonts)
            over_n, over_fraction = page.evaluate(ROOTS)
            assert over_fraction > 1.25 and over_n > 2
    finally:
        server.shutdown()


WIDE = """---
title: Wide
---

```python exec
def wide(n):
    terms = " + ".join(f"<msup><mi>x</mi><mn>{k}</mn></msup>" for k in range(n))
    return f'<math display="block"><mrow>{terms}</mrow></math>'
```

```widget
inputs:
  n: {type: range, min: 10, max: 60, step: 10, value: 60}
outputs:
  - html: wide(n)
    label: a wide formula
```
"""


def test_a_wide_formula_in_an_html_output_scrolls_in_its_box(browser, make_site):
    """On a phone a formula wider than the screen scrolls inside its output, as code does
    (a named tab stop, so a keyboard scrolls it too); the page itself stays as wide as the
    screen and nothing of the formula is cut off."""
    root = make_site({"content/m.md": WIDE})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser, viewport={"width": 375, "height": 800}) as page:
            page.goto(url + "m/")
            box = page.locator(".xw-html div.xw-result")
            for _ in range(40):  # the page marks scrolling boxes once laid out
                if box.get_attribute("data-xw-scrolls") == "true":
                    break
                page.wait_for_timeout(50)
            found = box.evaluate(
                """(el) => [el.clientWidth, el.scrollWidth, el.tabIndex,
                    el.getAttribute('role'), el.getAttribute('aria-label'),
                    document.documentElement.scrollWidth]"""
            )
            client, scroll, tab, role, name, page_width = found
            assert scroll > 2 * client and tab == 0 and role == "group" and name
            assert page_width <= 375
            box.focus()
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(300)  # smooth scrolling
            assert box.evaluate("(el) => el.scrollLeft") > 0  # the keyboard scrolls it
    finally:
        server.shutdown()
