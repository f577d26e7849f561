"""More ways to play: play/pause on a range, presets, reset, and every input's state in the
address (shared links and the back button)."""

from __future__ import annotations

import pytest

from site_builder.build import BuildError, build
from site_builder.config import load_config

ARTICLE = """---
title: Inputs
---

```widget
label: Knobs
inputs:
  z: {type: range, min: 0, max: 10, step: 1, value: 2, label: z, play: {every: 40}}
  c: {type: checkbox, value: false, label: on}
  s: {type: select, options: [a, b], value: a, label: letter}
outputs:
  - value: f"{z}-{c}-{s}"
presets:
  high: {z: 8, c: true}
  letter b: {s: b}
```
"""


def _value(page) -> str:
    return page.locator(".xw-output.xw-value .xw-result").inner_text()


def _wait_value(page, text: str) -> None:
    page.wait_for_function(
        "t => document.querySelector('.xw-output.xw-value .xw-result').textContent === t", arg=text
    )


ODD_NAMES = """---
title: Names
---

```widget
inputs:
  __proto__: {type: range, min: 0, max: 5, step: 1, value: 2, label: proto}
  constructor: {type: checkbox, value: false, label: made}
  α: {type: range, min: 0, max: 1, step: 0.1, value: 0.5, label: alpha}
outputs:
  - value: f"{__proto__}-{constructor}-{α}"
```
"""


@pytest.mark.parametrize(
    ("widget", "expected"),
    [
        (
            "inputs:\n  z: {type: range, min: 0, max: 1, step: 0.1, value: 0, play: {speed: 2}}\n",
            "content/w.md:7: error: input 'z': play: unknown option 'speed' (step, every, loop)",
        ),
        (
            "inputs:\n  z: {type: range, min: 0, max: 1, step: 0.1, value: 0, play: {every: 1}}\n",
            "content/w.md:7: error: input 'z': play every: milliseconds from 16 to 5000, got 1",
        ),
        (
            "inputs:\n  z: {type: range, min: 0, max: 1, step: 0.1, value: 0}\n"
            "presets:\n  big: {z: 2}\n",
            "content/w.md:8: error: preset 'big': z must be within [0, 1], got 2",
        ),
        (
            "inputs:\n  z: {type: range, min: 0, max: 1, step: 0.1, value: 0}\n"
            "presets:\n  other: {y: 1}\n",
            "content/w.md:8: error: preset 'other' sets 'y', which is not an input of this widget",
        ),
    ],
)
def test_bad_play_and_presets_are_errors_at_their_line(make_site, widget, expected):
    root = make_site({"content/w.md": "---\ntitle: w\n---\n\n```widget\n" + widget + "```\n"})
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(expected)


KINDS = """---
title: Kinds
---

```widget
inputs:
  r: {type: radio, options: {a: Apples, b: Bananas}, value: a, label: fruit}
  on: {type: toggle, value: false, label: loud}
  words: {type: text, value: hi, label: words, placeholder: say something}
  n: {type: button, label: Add one}
outputs:
  - value: f"{r}|{on}|{(words.upper() if on else words)}|{n}|{type(n).__name__}"
```
"""


def test_radio_toggle_text_and_button_are_built_as_controls(make_site):
    root = make_site({"content/k.md": KINDS})
    build(load_config(root))
    page = (root / "_site" / "k" / "index.html").read_text()
    assert "<fieldset><legend>fruit</legend>" in page and 'value="a" checked disabled' in page
    assert '<input type="checkbox" role="switch" id="xw-in-on"' in page
    assert 'placeholder="say something"' in page and 'value="hi"' in page
    assert '<button type="button" id="xw-in-n" class="xw-press" data-xw-count="0" disabled>' in page
    assert ">a|False|hi|0|int<" in page


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (
            "  r: {type: radio, value: a}\n",
            "content/w.md:7: error: input 'r': a radio needs 'options'",
        ),
        (
            "  t: {type: toggle, value: 1}\n",
            "content/w.md:7: error: input 't': a toggle value must be true or false",
        ),
        (
            "  n: {type: button, value: -1}\n",
            "content/w.md:7: error: input 'n': a button's value counts presses",
        ),
        (
            "  s: {type: text, value: 3}\n",
            "content/w.md:7: error: input 's': a text input's value must be a string",
        ),
    ],
)
def test_bad_new_inputs_are_errors_at_their_line(make_site, inputs, expected):
    root = make_site(
        {"content/w.md": "---\ntitle: w\n---\n\n```widget\ninputs:\n" + inputs + "```\n"}
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(expected)


SAME = """---
title: Same
---

```widget
label: First
inputs:
  z: {type: range, min: 0, max: 10, step: 1, value: 2, label: z}
  on: {type: checkbox, value: false, label: on}
outputs:
  - value: f"first {z} {on}"
```

The same z in the text: {input}`z`.

```widget
label: Second
inputs:
  z: same
  on: same
outputs:
  - value: f"second {z} {on}"
```
"""


def test_one_input_in_two_widgets_is_built_twice_with_its_own_ids(make_site):
    root = make_site({"content/s.md": SAME})
    build(load_config(root))
    page = (root / "_site" / "s" / "index.html").read_text()
    assert page.count('data-xw-input="z" data-xw-type="range"') == 2
    assert 'id="xw-in-z"' in page and 'id="xw-in-z-19"' in page  # ids stay unique
    bad = "---\ntitle: b\n---\n\n```widget\ninputs:\n  q: same\n```\n"
    (root / "content" / "s.md").write_text(bad)
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(
        "content/s.md:7: error: input 'q': same needs a q input defined in another widget"
    )
    # A widget with an error is left out: its mistake is the one error, not also a
    # "same" or a handle that names one of its inputs.
    broken = SAME.replace("value: 2, label: z}", "value: 2, label: z, colour: red}")
    broken += "\n```widget\ninputs:\n  w: {type: range, min: 0, max: 1, step: 1, value: 0}\n"
    broken += "outputs:\n  - chart:\n      - drag: z\n        y: 0\n```\n"
    (root / "content" / "s.md").write_text(broken)
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert [line for line in str(caught.value).splitlines() if ": error: " in line] == [
        "content/s.md:8: error: input 'z': unknown option 'colour' for type range"
    ]
