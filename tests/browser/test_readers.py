"""Readers who are not on a fast desktop: phones, keyboards, long lists, no JavaScript.

The article in tests/fixtures/readers.md has what breaks those readers: a 50,000-row
rows input, a long inline formula, a long live formula, a long line of code, a plot.
"""

from __future__ import annotations

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import ROOT, open_page, open_ready, seen, serve_folder, write_site

pytestmark = pytest.mark.browser

ARTICLE = (ROOT / "tests" / "fixtures" / "readers.md").read_text(encoding="utf-8")
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def readers(tmp_path_factory):
    root = write_site(tmp_path_factory.mktemp("readers"), {"content/readers.md": ARTICLE})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    yield root / "_site", url
    server.shutdown()


def wait_rows(page):
    page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached", timeout=30_000)


def wait_text(page, selector, text):
    """Wait until the element at *selector* shows *text* (the page's CSP forbids eval, so
    the condition is a function, not a string)."""
    page.wait_for_function(
        "([s, t]) => document.querySelector(s)?.textContent === t", arg=[selector, text]
    )


def test_fifty_thousand_rows_are_a_windowed_listbox(browser, readers):
    _, url = readers
    with open_page(browser) as page:
        open_ready(page, url + "readers/")
        wait_rows(page)
        listbox = page.locator("[role=listbox]")
        assert listbox.get_attribute("aria-label") == "People (50000 rows)"
        assert 0 < page.locator("[role=option]").count() < 100  # only the rows in view
        active = listbox.get_attribute("aria-activedescendant")
        assert page.get_attribute(f"#{active}", "aria-selected") == "true"
        assert page.locator(f"#{active}").aria_snapshot() == (
            '- option "2500 Person 02500 b" [selected]'
        )
        assert page.get_attribute(f"#{active}", "aria-posinset") == "2501"
        assert page.get_attribute(f"#{active}", "aria-setsize") == "50000"
        listbox.focus()
        page.keyboard.press("End")  # the last row, far outside the first window
        wait_text(page, "#widget-1 .xw-value .xw-result", "Person 49999")
        active = listbox.get_attribute("aria-activedescendant")
        assert page.get_attribute(f"#{active}", "aria-posinset") == "50000"
        assert page.locator(f"#{active}").is_visible()  # scrolled into view
        page.keyboard.press("PageUp")
        page.keyboard.press("ArrowUp")
        active = listbox.get_attribute("aria-activedescendant")
        position = int(page.get_attribute(f"#{active}", "aria-posinset"))
        assert 49_980 < position < 49_999
        # Scrolling half way down shows the rows there, still from a small window.
        listbox.evaluate("l => { l.scrollTop = l.scrollHeight / 2; }")
        page.wait_for_timeout(200)
        assert page.locator("[role=option][aria-posinset='25001']").count() == 1
        assert page.locator("[role=option]").count() < 100
        # Search reaches any row; the count is announced; a click chooses.
        page.fill(".xw-rows-search input", "person 12345")
        assert seen(page, ".xw-rows-count") == "1 of 50000 rows match “person 12345”"
        page.locator("[role=option][data-row='12345']").click()
        page.mouse.move(0, 0)
        wait_text(page, "#widget-1 .xw-value .xw-result", "Person 12345")
        assert page.errors == []


def test_without_javascript_every_row_is_reached_page_by_page(browser, readers):
    _, url = readers
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(url + "readers/")
    # The chosen row's page is on the article, behind a summary (a closed table costs the
    # first screen no layout), with a link to every page of rows.
    summary = page.locator(".xw-rows-static summary")
    assert summary.inner_text() == "People: rows 2,001–3,000 of 50,000"
    summary.click()
    chosen = page.locator(".xw-rows-static tr.xw-chosen")
    assert chosen.is_visible() and chosen.inner_text().split()[:3] == ["2500", "Person", "02500"]
    links = page.locator(".xw-rows-pages a[href]")
    assert links.count() == 49 and page.locator(".xw-rows-pages a[aria-current]").count() == 1
    page.click(".xw-rows-pages a:text-is('49,001–50,000')")
    assert page.locator("h1").inner_text() == "People, rows 49,001–50,000 of 50,000"
    assert page.locator("tbody tr").count() == 1000
    assert page.locator("tbody tr").last.inner_text().split()[:3] == ["49999", "Person", "49999"]
    page.click("text=← Readers")
    assert page.url.endswith("/readers/")
    context.close()


def rendered_text_sizes(page) -> list[float]:
    """The on-screen size (CSS px) of every SVG text of the page, after scrolling each
    section into view (the page sizes text as drawings are laid out)."""
    page.evaluate(
        """async () => {
             for (const el of document.querySelectorAll('main svg')) {
               el.scrollIntoView({block: 'center'});
               await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
             }
           }"""
    )
    page.wait_for_timeout(200)
    return page.evaluate(
        """() => [...document.querySelectorAll('main svg text')].map((t) => {
             const m = t.getScreenCTM();
             return parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b);
           })"""
    )


def overflowing(page) -> list[str]:
    """Elements that stick out of the page's width (none may: nothing scrolls the page
    sideways); boxes that scroll their own content are fine."""
    return page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          const scrolls = (e) => getComputedStyle(e).overflowX !== 'visible';
          const out = [];
          for (const e of document.querySelectorAll('main *')) {
            const r = e.getBoundingClientRect();
            if (!r.width || (r.right <= width + 0.5 && r.left >= -0.5)) continue;
            let p = e.parentElement;
            while (p && !scrolls(p)) p = p.parentElement;
            if (!p) out.push(e.tagName + '.' + (e.getAttribute('class') || ''));
          }
          if (document.documentElement.scrollWidth > width) out.push('the page scrolls sideways');
          return out;
        }"""
    )


@pytest.mark.parametrize("where", ["readers", "example"])
def test_on_a_phone_text_is_readable_and_nothing_overflows(browser, readers, example_url, where):
    url = readers[1] + "readers/" if where == "readers" else example_url + "neural-network-math/"
    context = browser.new_context(**PHONE)
    page = context.new_page()
    open_ready(page, url)
    sizes = rendered_text_sizes(page)
    assert sizes and min(sizes) >= 11, sorted(sizes)[:5]
    assert overflowing(page) == [], overflowing(page)
    if where == "readers":  # the long live formula scrolls inside its card
        formula = page.locator("[data-xw-output=w1o0] math")
        assert formula.evaluate("m => m.scrollWidth > m.clientWidth")
        card = page.locator("#widget-2").bounding_box()
        box = formula.bounding_box()
        assert box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"]
        # After the figure updates, its new drawing is sized too.
        page.eval_on_selector(
            "#xw-in-t",
            "e => { e.value = -2; e.dispatchEvent(new Event('input', {bubbles: true})); }",
        )
        wait_text(page, "[data-xw-output=w1o0] [data-slot='4']", "-8.0000")
        assert min(rendered_text_sizes(page)) >= 11
    context.close()


def test_boxes_that_scroll_sideways_are_named_tab_stops(browser, readers):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    open_ready(page, readers[1] + "readers/")
    code = page.locator(".highlight pre").first
    code.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('.highlight pre').tabIndex === 0")
    assert code.get_attribute("role") == "group"
    assert code.get_attribute("aria-label") == "Code (scrolls sideways)"
    # Reached by Tab, with a visible ring, and scrolled by the arrow keys.
    page.focus(".skip")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.highlight pre')"):
            break
    assert page.evaluate("document.activeElement.matches('.highlight pre')")
    ring = code.evaluate(
        "e => getComputedStyle(e).outlineWidth + ' ' + getComputedStyle(e).outlineStyle"
    )
    assert ring == "3px solid"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.highlight pre').scrollLeft > 0")
    # A box wide enough for its content is no tab stop.
    wide = browser.new_context(viewport={"width": 1600, "height": 900})
    desk = wide.new_page()
    open_ready(desk, readers[1] + "readers/")
    desk.wait_for_timeout(300)
    assert desk.locator("pre[tabindex]").count() == 0 or desk.evaluate(
        "[...document.querySelectorAll('pre[tabindex]')].every(p => p.scrollWidth > p.clientWidth)"
    )
    wide.close()
    context.close()
