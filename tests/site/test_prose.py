"""Live prose: an inline value that reads an input is recomputed in the browser with the
same format, inside the sentence (article_program.live_inlines); one that does not stays text."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.errors import BuildError

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
    from tests.conftest import write_site

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


SPARK = """---
title: Spark
---

```python exec
import math


def wave(shift):
    return [math.sin(shift + k / 4) for k in range(30)]
```

```widget
inputs:
  shift: {type: range, min: 0, max: 6, step: 0.5, value: 0, label: shift}
outputs:
  - value: "[shift, shift + 1, float('nan'), shift + 3, shift + 2]"
    format: spark
```

Fixed {py:spark}`[1, 3, 2, 5, 4]`, and the wave {py:spark}`wave(shift)` moves with it.

```python build
class Badge:
    def __init__(self, text):
        self.text = text

    def _repr_html_(self):
        return f"<mark>{self.text}</mark>"
```

Markup in a sentence: {py}`Badge("new")`; text stays text: {py}`"<b>"`.
"""


def _sparks(html: str) -> list[str]:
    return re.findall(r'<svg class="xw-spark".*?</svg>', html, re.S)


def test_a_sparkline_is_drawn_inside_the_sentence() -> None:
    from site_builder.runtime.views import HTML, inline_value, sparkline

    svg = sparkline([1, 3, 2, float("nan"), 5, 4])
    # a gap for NaN: two lines; the last value marked; read aloud by its numbers
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1
    assert 'aria-label="6 values from 1 to 4, lowest 1, highest 5"' in svg
    points = [p.split(",") for p in re.findall(r'points="([^"]*)"', svg)[0].split()]
    assert float(points[0][1]) > float(points[1][1])  # higher values are drawn higher
    assert 'aria-label="1 value: 7"' in sparkline([7])
    assert 'aria-label="no values"' in sparkline([])
    for bad, said in [(3, "int"), ("123", "str"), ([1, "2"], "a str"), ([True], "a bool")]:
        with pytest.raises(TypeError, match=f"spark needs a sequence of numbers, got {said}"):
            sparkline(bad)
    # A long sequence is drawn by its envelope: as high and as low, gaps kept, a few
    # hundred points whatever its length.
    long = [math.sin(k / 5000) * (k % 7) for k in range(200_000)]
    long[50_000:60_000] = [float("nan")] * 10_000
    drawn = sparkline(long)
    ys = [float(p.split(",")[1]) for r in re.findall(r'points="([^"]*)"', drawn) for p in r.split()]
    assert drawn.count("<polyline") == 2 and len(ys) <= 400
    assert min(ys) == 2.5 and max(ys) == 17.5  # the highest and lowest values are drawn
    assert 'aria-label="200000 values from 0 to ' in drawn
    assert isinstance(inline_value([1, 2], "spark"), HTML)
    assert inline_value(HTML("<b>x</b>")) == "<b>x</b>"  # markup stays markup
    assert inline_value(2 / 3, ".2f") == "0.67" and not isinstance(inline_value(1), HTML)


def test_sparklines_are_markup_in_the_prose_and_in_value_outputs(make_site) -> None:
    root = make_site({"content/s.md": SPARK})
    build(load_config(root))
    html = (root / "_site" / "s" / "index.html").read_text()
    paragraph = re.search(r"<p>Fixed .*?</p>", html, re.S)[0]
    fixed, moving = _sparks(paragraph)
    assert 'aria-label="5 values from 1 to 4' in fixed  # no input: built once, plain markup
    assert '<span class="xw-result"><svg class="xw-spark"' in paragraph  # live prose
    assert "Markup in a sentence: <mark>new</mark>; text stays text: &lt;b&gt;." in html
    (output,) = re.findall(r'data-xw-output="w0o0">.*?</svg>', html, re.S)
    assert output.count("<polyline") == 2  # the widget's value output, NaN as a gap


def test_a_sparkline_of_what_is_not_numbers_names_its_line(make_site) -> None:
    root = make_site(
        {"content/s.md": SPARK.replace("{py:spark}`[1, 3, 2, 5, 4]`", "{py:spark}`7`")}
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    message = caught.value.diagnostics[0].format()
    assert "content/s.md:21" in message and "spark needs a sequence of numbers, got int" in message
