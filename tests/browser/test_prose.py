"""Live prose, in the browser (the build side: tests/site/test_prose.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_ready, serve_folder
from tests.site.test_prose import SPARK, live

pytestmark = pytest.mark.browser


@pytest.mark.browser
def test_prose_follows_the_inputs_in_the_browser(page, prose_site: Path) -> None:
    server, url = serve_folder(prose_site)
    try:
        open_ready(page, url + "p/")
        built = live(page.content())
        rendered = page.evaluate("xw.renderAll()")["outputs"]
        assert {k: rendered[k]["value"] for k in built} == built  # the build's text exactly
        slider = page.locator("input[type=range]")
        slider.focus()
        for _ in range(3):
            slider.press("ArrowLeft")  # 1 → -0.5, by the keyboard
        page.wait_for_function(
            "() => document.querySelector('[data-xw-output=p2] .xw-result').textContent === '-1'"
        )
        texts = page.evaluate(
            "[...document.querySelectorAll('.xw-inline .xw-result')].map(e => e.textContent)"
        )
        assert texts == ["-0.5", "0.378", "-1"]

        # The number in the text follows the slider, and moves it: keys and dragging.
        adjust = page.locator("[data-xw-adjust=z]")
        assert adjust.get_attribute("role") == "slider"
        assert adjust.get_attribute("aria-valuetext") == "-0.5" == adjust.inner_text()
        assert adjust.get_attribute("aria-label") == "z"
        adjust.focus()
        adjust.press("End")
        page.wait_for_function(
            "() => document.querySelector('[data-xw-output=p2] .xw-result').textContent === '10'"
        )
        assert slider.input_value() == "5" == adjust.get_attribute("aria-valuenow")
        assert adjust.inner_text() == "5.0"  # as the widget's readout shows it
        adjust.press("PageDown")  # ten keyboard steps of 0.5
        assert slider.input_value() == "0"
        box = adjust.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 240, box["y"] + box["height"] / 2)
        page.mouse.up()
        assert slider.input_value() == "-5"  # 240 px sideways cross the whole range
        page.wait_for_function(
            "() => document.querySelector('[data-xw-output=p1] .xw-result').textContent === '0.007'"
        )
        assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_a_sparkline_in_a_sentence_follows_the_inputs(page, make_site) -> None:
    root = make_site({"content/s.md": SPARK})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        open_ready(page, url + "s/")
        built = re.search(
            r'data-xw-output="p1"><span class="xw-result">(.*?)</span>',
            (root / "_site" / "s" / "index.html").read_text(),
        )[1]
        rendered = page.evaluate("xw.renderAll()")["outputs"]
        assert rendered["p1"] == {"ok": True, "value": built, "html": True}  # the build's own
        assert rendered["w0o0"]["html"] is True
        label = "() => document.querySelector('[data-xw-output=p1] svg').getAttribute('aria-label')"
        before = page.evaluate(label)
        page.locator("input[type=range]").fill("1.5")
        page.wait_for_function(f"() => ({label})() !== {before!r}")
        spark = page.locator("[data-xw-output=p1] svg.xw-spark")
        assert spark.get_attribute("role") == "img"
        assert spark.get_attribute("aria-label").startswith("30 values from 0.9975 to ")
        box = spark.bounding_box()
        line = spark.evaluate("e => parseFloat(getComputedStyle(e.closest('p')).fontSize)")
        assert box is not None and abs(box["height"] - line) < 1  # a word's height, in the line
        assert page.locator("[data-xw-output=w0o0] svg.xw-spark polyline").count() == 2
        assert page.errors == []
    finally:
        server.shutdown()
