"""Charts, in the browser (the build side: tests/site/test_charts.py)."""

from __future__ import annotations

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_page, open_ready, serve_folder
from tests.site.test_charts import (
    ARTICLE,
    DRAG,
    LEGEND_BOXES,
    LEGENDS,
    LINKED,
    SIDE,
    _charts,
    _normal,
    circles,
    on_screen,
)

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_the_browser_draws_what_the_build_draws_and_reads_points_aloud(
    browser, make_site, tmp_path
):
    from tests.conftest import write_site

    root = make_site({"content/c.md": ARTICLE.format(z=1)})
    build(load_config(root))
    other = write_site(tmp_path / "other", {"content/c.md": ARTICLE.format(z=-2.5)})
    build(load_config(other))
    (expected,) = _charts((other / "_site" / "c" / "index.html").read_text())
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "c/")
            page.locator("input[type=range]").fill("-2.5")
            page.wait_for_function(
                "() => document.querySelector('svg.xw-chart text.note')?.textContent === 'z = -2.5'"
            )
            drawn = page.eval_on_selector("svg.xw-chart", "svg => svg.outerHTML")
            # Attribute order and the void elements' spelling differ; the drawing does not.
            assert _normal(drawn) == _normal(expected)
            svg = page.locator("svg.xw-chart")
            svg.focus()
            page.keyboard.press("End")
            tip = page.locator(".xw-tip")
            assert tip.is_visible() and tip.get_attribute("aria-live") == "polite"
            last = page.eval_on_selector("svg.xw-chart .xw-active", "el => el.dataset.xwTip")
            assert tip.inner_text() == last and last.startswith("age ")
            page.keyboard.press("ArrowLeft")
            assert tip.inner_text() != last
            page.keyboard.press("Escape")
            assert not tip.is_visible()
            first = circles(drawn)[0]
            page.mouse.move(*on_screen(page, first))
            assert tip.inner_text() == first["tip"]
            assert page.locator("svg.xw-chart .xw-active").count() == 1
            page.mouse.move(0, 0)
            assert not tip.is_visible()
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_a_tap_on_a_phone_shows_a_points_tooltip(browser, make_site):
    """On a touch screen no pointer moves over the chart, and it leaves when the finger
    lifts: a tap on a circle shows its tooltip until a tap elsewhere, in the chart or not."""
    root = make_site({"content/c.md": ARTICLE.format(z=1)})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    phone = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True}
    try:
        with open_page(browser, **phone) as page:
            open_ready(page, url + "c/")
            drawn = page.eval_on_selector("svg.xw-chart", "svg => svg.outerHTML")
            dot = circles(drawn)[3]
            page.touchscreen.tap(*on_screen(page, dot))
            tip = page.locator(".xw-tip")
            assert tip.is_visible() and tip.inner_text() == dot["tip"]
            corner = page.locator("svg.xw-chart").bounding_box()
            page.touchscreen.tap(corner["x"] + 4, corner["y"] + 4)
            assert not tip.is_visible()
            page.touchscreen.tap(*on_screen(page, dot))
            assert tip.is_visible()
            page.touchscreen.tap(5, 5)  # outside the chart
            assert not tip.is_visible()
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_on_a_phone_chart_labels_are_readable_and_apart(browser, make_site):
    root = make_site({"content/c.md": ARTICLE.format(z=1)})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            page.set_viewport_size({"width": 375, "height": 800})
            page.goto(url + "c/")
            page.locator("svg.xw-chart").scroll_into_view_if_needed()
            page.wait_for_function(
                "() => [...document.querySelectorAll('svg.xw-chart text.tick')]"
                ".every(t => t.getBoundingClientRect().height >= 11)"
            )
            boxes = page.eval_on_selector_all(
                "svg.xw-chart text.tick",
                "ts => ts.map(t => { const r = t.getBoundingClientRect();"
                " return [r.left, r.top, r.right, r.bottom]; })",
            )
            assert all(b[3] - b[1] >= 11 for b in boxes)  # 11 px or more on screen
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                    assert apart, (a, b)
    finally:
        server.shutdown()


@pytest.mark.browser
def test_a_table_and_a_scatter_highlight_each_other(browser, make_site):
    root = make_site({"content/l.md": LINKED})
    build(load_config(root))
    page_html = (root / "_site" / "l" / "index.html").read_text()
    assert 'data-xw-link="who"' in page_html
    assert "3" in [c["key"] for c in circles(page_html)]
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "l/")
            page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached")
            linked = "svg.xw-chart .xw-linked"
            page.wait_for_function(
                f"() => document.querySelector('{linked}')?.dataset.xwKey === '3'"
            )
            page.locator("[role=listbox]").focus()
            page.keyboard.press("ArrowDown")  # the table chooses row 4: its point is marked
            page.wait_for_function(
                f"() => document.querySelector('{linked}')?.dataset.xwKey === '4'"
            )
            assert page.locator(linked).count() == 1
            (seven,) = [c for c in circles(page.inner_html(".xw-chart")) if c["key"] == "7"]
            page.mouse.click(*on_screen(page, seven))  # a point chooses its row
            page.wait_for_function(
                "() => document.querySelector('.xw-value .xw-result').textContent === 'chosen 7'"
            )
            selected = page.locator("[role=option][aria-selected=true]").inner_text()
            assert selected.split()[0] == "7"
            svg = page.locator("svg.xw-chart")
            svg.focus()
            page.keyboard.press("Home")  # the keyboard way: walk to a point, Enter chooses it
            page.keyboard.press("Enter")
            page.wait_for_function(
                "() => document.querySelector('.xw-value .xw-result').textContent === 'chosen 1'"
            )
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_a_handle_on_a_chart_moves_its_inputs_by_pointer_and_keyboard(browser, make_site):
    root = make_site({"content/d.md": DRAG})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "d/")
            handle = page.locator("svg.xw-chart .handle").nth(1)  # the 2-D one
            svg = page.locator("svg.xw-chart").nth(1)
            svg.scroll_into_view_if_needed()
            box = handle.bounding_box()
            # Where a = 7, b = 5 is on screen, from the chart's own scales.
            target = page.evaluate(
                """svg => { const s = JSON.parse(svg.dataset.xwScales);
                  const x = s.x[3] + (7 - s.x[1]) / (s.x[2] - s.x[1]) * (s.x[4] - s.x[3]);
                  const y = s.y[3] + (5 - s.y[1]) / (s.y[2] - s.y[1]) * (s.y[4] - s.y[3]);
                  const p = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
                  return [p.x, p.y]; }""",
                svg.element_handle(),
            )
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.mouse.down()
            page.mouse.move(target[0] + 3, target[1] - 3, steps=8)  # a little off: snapped
            page.mouse.up()
            page.wait_for_function(
                "() => document.querySelector('.xw-value .xw-result').textContent === '0.0 7 5'"
            )
            assert page.locator("#xw-in-a").input_value() == "7"
            moved = page.locator("svg.xw-chart .handle").nth(1).bounding_box()
            assert abs(moved["x"] + moved["width"] / 2 - target[0]) < 2  # drawn where it is now
            curve = page.locator("svg.xw-chart").first
            curve.focus()
            for expected in (0.5, 1):  # the keyboard moves the 1-D handle along x, and the
                page.keyboard.press("ArrowRight")  # redrawn chart keeps the focus
                page.wait_for_function(
                    "v => Number(document.querySelector('#xw-in-z').value) === v", arg=expected
                )
            assert page.evaluate("document.activeElement.matches('svg.xw-chart')")
            page.keyboard.press("ArrowUp")  # bound to nothing on y: nothing happens
            page.wait_for_function(
                "() => document.querySelector('.xw-value .xw-result').textContent === '1.0 7 5'"
            )
            page.wait_for_function(
                "() => document.querySelector('svg.xw-chart').getAttribute('aria-label')"
                ".includes('a handle at x 1, y 0.7311 (drag the handle')"
            )
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_a_side_figure_sits_beside_the_text_on_wide_screens_and_in_the_flow_on_phones(
    browser, make_site
):
    root = make_site({"content/s.md": SIDE})
    build(load_config(root))
    assert (
        '<figure class="xw-widget xw-side" id="widget-1"'
        in (root / "_site" / "s" / "index.html").read_text()
    )
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            sizes, visible = {}, {}
            for width in (1500, 1000, 375):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(url + "s/")
                figure = page.locator("figure.xw-side").bounding_box()
                text = page.locator("section > p").first.bounding_box()
                main = page.locator("main").bounding_box()
                sizes[width] = (figure, text, main)
                page.locator("figure.xw-side").scroll_into_view_if_needed()
                visible[width] = page.evaluate(
                    """() => { const f = document.querySelector('figure.xw-side');
                      const r = f.getBoundingClientRect();
                      const hit = document.elementFromPoint(r.right - 8, r.top + r.height / 2);
                      return f.contains(hit); }"""
                )
            figure, text, main = sizes[1500]
            assert figure["x"] + figure["width"] > main["x"] + main["width"]  # in the margin
            assert visible[1500]  # and painted there, not clipped by its section
            assert figure["y"] < text["y"] + text["height"]  # beside the text, not after it
            figure, text, main = sizes[1000]
            assert figure["x"] > text["x"] and figure["width"] < main["width"] * 0.6  # floated
            figure, text, main = sizes[375]
            assert figure["width"] > main["width"] * 0.85  # a phone: in the flow, full width
            assert page.evaluate("document.documentElement.scrollWidth") <= 375
    finally:
        server.shutdown()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 375])
def test_every_legend_entry_is_drawn_whole_and_apart(browser, example_url, tmp_path, width):
    """Legends wrap onto as many rows as they need: every entry inside its chart, none on
    another, at a desktop's and a phone's width (where the page enlarges small text)."""
    from tests.conftest import open_page, serve_folder, write_site

    root = write_site(tmp_path / "legends", {"content/legends.md": LEGENDS})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser, viewport={"width": width, "height": 900}) as page:
            for address in (url + "legends/", example_url + "widget-reference/"):
                page.goto(address)
                page.wait_for_timeout(400)  # the page sizes text to the screen (ResizeObserver)
                charts = page.evaluate(LEGEND_BOXES)
                entries = [t for c in charts for t in c["texts"]]
                assert entries, address
                for chart_ in charts:
                    left, top, right, bottom = chart_["box"]
                    for x0, y0, x1, y1, name in chart_["texts"]:
                        assert left - 0.5 <= x0 and x1 <= right + 0.5, (address, name)
                        assert top - 0.5 <= y0 and y1 <= bottom + 0.5, (address, name)
                    boxes = chart_["texts"]
                    for i, a in enumerate(boxes):
                        for b in boxes[i + 1 :]:
                            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
                            assert apart, (address, a[4], b[4])
                if "legends" in address:
                    names = {t[4] for t in entries}
                    assert "a much longer species name" in names and "a rule at three" in names
    finally:
        server.shutdown()


CIRCLE_BOX = """() => {
  const fig = [...document.querySelectorAll("figure.xw-widget")].find((f) =>
    f.querySelector("figcaption")?.textContent.includes("a circle is round"));
  const r = fig.querySelector("svg.xw-chart polyline.curve").getBoundingClientRect();
  return [r.width, r.height];
}"""


@pytest.mark.parametrize("width", [1280, 375])
def test_equal_units_draw_a_circle_round_as_the_inputs_move(browser, example_url, width):
    """aspect: equal: the radius circle of the widget reference is as wide as it is tall on
    the screen (within a pixel), at a desktop's width and a phone's, before and after the
    reader moves the radius (answered by the build's tables)."""
    with open_page(browser, viewport={"width": width, "height": 900}) as page:
        page.goto(example_url + "widget-reference/")
        w, h = page.evaluate(CIRCLE_BOX)
        assert w > 100 and abs(w - h) <= 1, (w, h)
        slider = page.get_by_role("slider", name="radius")
        slider.focus()
        page.keyboard.press("End")  # radius 2.5
        for _ in range(50):
            moved = page.evaluate(CIRCLE_BOX)
            if moved[0] > w * 1.3:
                break
            page.wait_for_timeout(100)
        assert moved[0] == pytest.approx(w * 2.5 / 1.5, rel=0.02) and abs(moved[0] - moved[1]) <= 1
