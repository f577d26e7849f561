"""Math, in the browser (the build side: tests/site/test_math.py)."""

from __future__ import annotations

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_page, serve_folder

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
            violations: list[str] = []
            page.on(
                "console",
                lambda m: "Content Security Policy" in m.text and violations.append(m.text),
            )
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
