"""Live prose: an inline value that reads an input is recomputed in the browser with the
same format, inside the sentence (cells.live_inlines); one that does not stays text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.errors import BuildError

from .conftest import open_ready, serve_folder

ARTICLE = """---
title: Prose
---

```python exec
import math


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def doubled():
    return 2 * z  # reads the input itself: a prose value calling it depends on z
```

```widget
inputs:
  z: {type: range, min: -5, max: 5, step: 0.5, value: 1, label: z}
outputs:
  - value: sigmoid(z)
    format: .3f
```

At z = {py}`z` the sigmoid is {py:.3f}`sigmoid(z)`, and twice z is {py:g}`doubled()`.
A constant: {py:>4}`1 + 1`; code stays code: `{py}` and `{py:x}`.

Or set z right here: z = {input}`z`.
"""


@pytest.fixture(scope="module")
def prose_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .conftest import write_site

    root = write_site(tmp_path_factory.mktemp("prose") / "site", {"content/p.md": ARTICLE})
    build(load_config(root))
    return root / "_site"


def live(html: str) -> dict[str, str]:
    pattern = r'data-xw-output="(p\d+)"><span class="xw-result">([^<]*)</span>'
    return dict(re.findall(pattern, html))


def test_prose_values_that_read_inputs_are_live_and_formatted(prose_site: Path) -> None:
    html = (prose_site / "p" / "index.html").read_text()
    assert live(html) == {"p0": "1.0", "p1": "0.731", "p2": "2"}
    assert "A constant:    2;" in html  # no input: plain text, formatted
    assert "<code>{py}</code> and <code>{py:x}</code>" in html
    # The input in the text: its value as the widget's readout shows it.
    assert 'z = <span class="xw-adjust" data-xw-adjust="z">1.0</span>.' in html


@pytest.mark.parametrize(
    ("placed", "problem"),
    [("{input}`nope`", "not an input of this article"), ("{input}`pick`", "a select input")],
)
def test_only_range_inputs_can_be_adjusted_in_the_text(make_site, placed, problem) -> None:
    root = make_site(
        {
            "content/p.md": "---\ntitle: P\n---\n\n```widget\ninputs:\n"
            "  pick: {type: select, options: [a, b], value: a}\noutputs:\n  - value: pick\n"
            f"```\n\nChoose {placed}.\n"
        }
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    message = caught.value.diagnostics[0].format()
    assert f"content/p.md:12: error: {placed}: {problem}" in message


def test_a_live_prose_value_must_be_computable_in_the_browser(make_site) -> None:
    root = make_site(
        {
            "content/p.md": "---\ntitle: P\n---\n\n```python build\nscale = 3\n```\n\n"
            "```widget\ninputs:\n  z: {type: range, min: 0, max: 5, step: 1, value: 1}\n"
            "outputs:\n  - value: z\n```\n\nScaled: {py}`scale * z`.\n"
        }
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    message = caught.value.diagnostics[0].format()
    assert "content/p.md:16" in message and "scale" in message and "export=" in message


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
