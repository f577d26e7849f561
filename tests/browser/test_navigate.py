"""One Python per visit (static/js/navigate.js): links to the site's pages are followed
within the document and the Python worker is kept for the next article, which still gets
a clean Python of its own; everything unusual is a normal navigation."""

from __future__ import annotations

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.browser.test_audit import AXE, axe
from tests.conftest import READY, open_ready, serve_folder, write_site

pytestmark = pytest.mark.browser

FILLER = "\n\n".join(f"Paragraph {k} of text to scroll past." for k in range(40))

ALPHA = f"""---
title: Alpha
---

```python exec
import helpers
secret = 41
with open("left-by-alpha.txt", "w") as f:
    f.write("alpha was here")
```

Go on to [the beta article](../b/), or [gamma](../c/), or [delta](../d/).

```widget
inputs:
  k: {{type: range, min: 0, max: 2, step: 1, value: 1}}
outputs:
  - value: f"{{helpers.VALUE}} {{k}}"
```

{FILLER}

The end: [beta again](../b/).
"""

BETA = """---
title: Beta
---

```python exec
import os
import helpers
```

Back to [alpha](../a/).

```widget
inputs:
  k: {type: range, min: 0, max: 2, step: 1, value: 1}
outputs:
  - value: f"{helpers.VALUE} {'secret' in globals()} {os.path.exists('left-by-alpha.txt')} {k}"
```
"""

DELTA = """---
title: Delta
---

A matrix, whose columns Temml pads with style attributes:

$$
\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}
$$
"""

GAMMA = """---
title: Gamma
csp:
  img-src: [https://images.example.org]
---

A page whose policy allows more than the others'.
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = write_site(
        tmp_path_factory.mktemp("navigate") / "site",
        {
            "content/a/index.md": ALPHA,
            "content/a/helpers.py": 'VALUE = "alpha"\n',
            "content/b/index.md": BETA,
            "content/b/helpers.py": 'VALUE = "beta"\n',
            "content/c.md": GAMMA,
            "content/d.md": DELTA,
        },
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    yield url
    server.shutdown()


def state(page) -> dict:
    return page.evaluate(
        """() => ({state: document.documentElement.dataset.xwState,
                  from: document.documentElement.dataset.xwStartedFrom,
                  title: document.title, focused: document.activeElement?.tagName,
                  said: document.querySelector('body > p[aria-live]')?.textContent})"""
    )


def ready_kept(page, title: str = "") -> dict:
    """The page's state once the page titled *title* is there and its Python ready."""
    for _ in range(300):
        found = state(page)
        if found["title"].startswith(title) and found["state"] in ("ready", "error"):
            return found
        page.wait_for_timeout(50)
    raise AssertionError(f"no ready page titled {title!r}: {state(page)}")


def test_the_next_article_opens_in_the_same_python_and_sees_nothing_of_the_last(browser, site):
    page = browser.new_page()
    try:
        open_ready(page, site + "a/")
        page.evaluate("() => { window.sameDocument = true; }")
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        page.get_by_role("link", name="the beta article").click()
        found = ready_kept(page, "Beta")
        assert found["state"] == "ready" and found["from"] == "kept", found
        assert page.url == site + "b/" and page.evaluate("window.sameDocument") is True
        assert found["title"].startswith("Beta") and found["said"] == found["title"]
        assert found["focused"] == "H1"  # as after a page load, at the new page's heading
        assert page.evaluate("document.documentElement.lang") == "en"
        runtime = [u for u in fetched if "/_pyodide/" in u or "python_stdlib" in u]
        assert runtime == []  # no Python runtime bytes for the next article
        assert any(u.endswith(".json") and "/b/page." in u for u in fetched)
        # The browser's own Python: beta's module, none of alpha's globals or files.
        results = page.evaluate("window.xw.renderAll()")
        assert results["outputs"]["w0o0"]["value"] == "beta False False 1"
        assert page.locator(READY).count() == 1
    finally:
        page.close()


def test_back_and_forward_restore_the_page_its_inputs_and_scroll(browser, site):
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    try:
        open_ready(page, site + "a/")
        slider = page.locator("input[type=range]")
        slider.focus()
        page.keyboard.press("End")  # k = 2, into the address
        for _ in range(40):
            if "k=2" in page.url:
                break
            page.wait_for_timeout(100)
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(200)
        scrolled = page.evaluate("scrollY")
        assert scrolled > 500
        # (clicked where it is: Playwright's click would scroll to the link first)
        page.evaluate(
            "() => [...document.links].find((a) => a.textContent === 'beta again').click()"
        )
        assert ready_kept(page, "Beta")["from"] == "kept" and page.evaluate("scrollY") == 0
        page.go_back()
        found = ready_kept(page, "Alpha")
        assert found["title"].startswith("Alpha") and found["from"] == "kept"
        assert page.url == site + "a/?k=2"
        assert abs(page.evaluate("scrollY") - scrolled) < 5
        assert page.locator("input[type=range]").input_value() == "2"
        page.go_forward()
        assert ready_kept(page, "Beta")["title"].startswith("Beta") and page.url == site + "b/"
    finally:
        page.close()


def test_unusual_links_and_pages_are_normal_navigations(browser, site):
    context = browser.new_context()
    try:
        page = context.new_page()
        open_ready(page, site + "a/")
        page.evaluate("() => { window.sameDocument = true; }")
        with context.expect_page() as opened:  # a modified click: the browser's own
            page.get_by_role("link", name="the beta article").click(modifiers=["Control"])
        opened.value.close()
        assert page.url == site + "a/"
        # A page whose policy allows more than this one's cannot live in this document.
        page.get_by_role("link", name="gamma").click()
        page.wait_for_url(site + "c/")
        assert page.evaluate("window.sameDocument") is None
    finally:
        context.close()
    plain = browser.new_context(java_script_enabled=False)
    try:
        page = plain.new_page()
        page.goto(site + "a/")
        page.get_by_role("link", name="the beta article").click()
        page.wait_for_url(site + "b/")
        assert "beta" in page.locator("[data-xw-output=w0o0]").inner_text()  # as built
    finally:
        plain.close()


def test_a_page_reached_in_the_document_passes_axe(browser, site):
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        open_ready(page, site + "a/")
        page.get_by_role("link", name="the beta article").click()
        assert ready_kept(page, "Beta")["from"] == "kept"
        assert AXE.exists() and axe(page) == []
    finally:
        context.close()


def test_an_article_with_other_packages_gets_a_python_of_its_own(browser, example_url):
    """From the widget reference (no packages) by the home page to the sigmoid precision
    article (mpmath): still in the document, but with a worker that loads its packages."""
    page = browser.new_page()
    try:
        open_ready(page, example_url + "widget-reference/")
        page.evaluate("() => { window.sameDocument = true; }")
        fetched: list[str] = []
        page.on("request", lambda r: fetched.append(r.url))
        page.locator("header .site-title").click()
        page.wait_for_url(example_url)
        page.locator("main a[href$='sigmoid-precision/']").first.click()
        found = ready_kept(page, "How many digits")
        assert found["state"] == "ready" and found["from"] in ("scratch", "snapshot"), found
        assert page.evaluate("window.sameDocument") is True
        assert any("/_pyodide/packages/image." in u for u in fetched)  # its packages
        assert page.evaluate("window.xw.renderAll()")["outputs"]  # and its Python answers
    finally:
        page.close()


def test_math_reached_in_the_document_is_styled_as_its_own_policy_allows(browser, site):
    """A page with a matrix, reached from one without math: the matrix's style attributes
    (hashes the next page's policy lists, not this one's) are applied, and nothing is
    refused by the policy on the way."""
    from tests.conftest import policy_refusals

    page = browser.new_page()
    refused = policy_refusals(page)
    try:
        page.goto(site + "d/")
        loaded = page.evaluate(PADDING)
        open_ready(page, site + "a/")
        page.evaluate("() => { window.sameDocument = true; }")
        page.get_by_role("link", name="delta").click()
        page.wait_for_url(site + "d/")
        for _ in range(50):
            if page.evaluate(PADDING) == loaded:
                break
            page.wait_for_timeout(50)
        assert page.evaluate("window.sameDocument") is True
        assert loaded and page.evaluate(PADDING) == loaded  # as when the page is loaded
        assert refused == []
    finally:
        page.close()


PADDING = """() => [...document.querySelectorAll("math mtd")].map((el) => {
  const s = getComputedStyle(el); return s.paddingLeft + " " + s.paddingRight; })"""
