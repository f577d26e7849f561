"""More ways to play: play/pause on a range, presets, reset, and every input's state in the
address (shared links and the back button)."""

from __future__ import annotations

import pytest

from site_builder.build import BuildError, build
from site_builder.config import load_config

from .conftest import open_page, open_ready, serve_folder

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


@pytest.mark.browser
def test_presets_reset_and_the_address_hold_the_state(browser, make_site):
    root = make_site({"content/i.md": ARTICLE})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "i/")
            assert _value(page) == "2-False-a"
            page.get_by_role("button", name="high").click()
            _wait_value(page, "8-True-a")
            assert page.locator("#xw-in-z").input_value() == "8"
            assert page.locator("#xw-in-c").is_checked()
            page.wait_for_function("() => location.search === '?z=8&c=true'")
            page.get_by_role("button", name="letter b").click()
            _wait_value(page, "8-True-b")
            page.wait_for_function("() => location.search === '?z=8&c=true&s=b'")
            page.get_by_role("button", name="Reset").click()
            _wait_value(page, "2-False-a")
            page.wait_for_function("() => location.search === '?z=2&c=false&s=a'")
            page.go_back()  # the step before: preset "letter b" applied
            _wait_value(page, "8-True-b")
            assert page.locator("#xw-in-s").input_value() == "b"
            page.go_back()
            _wait_value(page, "8-True-a")
            page.go_back()  # the address as opened: every input at the build's value
            _wait_value(page, "2-False-a")
            assert not page.locator("#xw-in-c").is_checked()
            assert page.errors == []
        with open_page(browser) as page:  # a shared link opens what its sender saw
            open_ready(page, url + "i/?s=b&z=5&unrelated=1")
            _wait_value(page, "5-False-b")
            assert page.locator("#xw-in-z").input_value() == "5"
            assert page.locator("#xw-in-z-readout").inner_text() == "5"
            assert page.errors == []
    finally:
        server.shutdown()


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


@pytest.mark.browser
def test_inputs_named_like_javascripts_own_properties_keep_their_state(browser, make_site):
    """Any Python name is an input's name in the page too: one called __proto__ or
    constructor is sent, kept in the address and restored from a link like any other."""
    root = make_site({"content/n.md": ODD_NAMES})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "n/")
            page.locator("[data-xw-input='__proto__'] input").fill("4")
            _wait_value(page, "4-False-0.5")
            page.locator("[data-xw-input=constructor] input").check()
            page.locator("[data-xw-input='α'] input").fill("0.9")
            _wait_value(page, "4-True-0.9")
            page.wait_for_function(
                "() => location.search === '?__proto__=4&constructor=true&%CE%B1=0.9'"
            )
            shared = page.url
            assert page.errors == []
        with open_page(browser) as page:
            open_ready(page, shared)
            _wait_value(page, "4-True-0.9")
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_play_moves_the_range_to_its_end_and_pauses_on_demand(browser, make_site):
    root = make_site({"content/i.md": ARTICLE})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "i/")
            play = page.locator(".xw-play")
            assert play.get_attribute("aria-pressed") == "false" and play.is_enabled()
            play.click()
            assert play.get_attribute("aria-pressed") == "true" and play.inner_text() == "Pause"
            _wait_value(page, "10-False-a")  # every value on the way, then the end
            page.wait_for_function(
                "() => document.querySelector('.xw-play').textContent === 'Play'"
            )
            assert play.get_attribute("aria-pressed") == "false"
            play.click()  # at the end: from the start again, and a second press pauses
            page.wait_for_function("() => Number(document.querySelector('#xw-in-z').value) < 10")
            play.click()
            held = page.locator("#xw-in-z").input_value()
            page.wait_for_timeout(300)
            assert page.locator("#xw-in-z").input_value() == held
            assert play.inner_text() == "Play"
            assert page.errors == []
        # With reduced motion asked for, it moves in bigger, slower steps.
        context = browser.new_context(reduced_motion="reduce")
        page = context.new_page()
        open_ready(page, url + "i/")
        page.locator(".xw-play").click()
        page.wait_for_timeout(250)
        assert page.locator("#xw-in-z").input_value() == "10"  # one step of ten, clamped
        context.close()
    finally:
        server.shutdown()


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


@pytest.mark.browser
def test_radio_toggle_text_and_button_drive_python(browser, make_site):
    root = make_site({"content/k.md": KINDS})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "k/")
            page.get_by_label("Bananas").check()
            _wait_value(page, "b|False|hi|0|int")
            page.get_by_role("switch", name="loud").check()
            _wait_value(page, "b|True|HI|0|int")
            page.get_by_label("words").fill("hello there")
            _wait_value(page, "b|True|HELLO THERE|0|int")
            press = page.get_by_role("button", name="Add one")
            press.click()
            press.click()
            _wait_value(page, "b|True|HELLO THERE|2|int")
            page.get_by_label("Bananas").focus()
            page.keyboard.press("ArrowLeft")  # radios: arrows move the choice
            _wait_value(page, "a|True|HELLO THERE|2|int")
            page.wait_for_function("() => location.search.includes('words=hello+there')")
            page.get_by_role("button", name="Reset").click()
            _wait_value(page, "a|False|hi|0|int")
            assert page.errors == []
    finally:
        server.shutdown()


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


@pytest.mark.browser
def test_one_input_in_two_widgets_and_the_text_stays_in_step(browser, make_site):
    root = make_site({"content/s.md": SAME})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            open_ready(page, url + "s/")
            second = page.locator("figure", has_text="Second")
            second.locator("input[type=range]").fill("7")
            page.wait_for_function(
                "() => [...document.querySelectorAll('.xw-value .xw-result')]"
                ".map(e => e.textContent).join('|') === 'first 7 False|second 7 False'"
            )
            assert page.locator("#xw-in-z").input_value() == "7"
            assert page.locator(".xw-adjust").inner_text() == "7"
            page.locator("#xw-in-on").check()  # the first widget's checkbox
            assert second.locator("input[type=checkbox]").is_checked()
            page.wait_for_function(
                "() => document.querySelectorAll('.xw-value .xw-result')[1].textContent"
                " === 'second 7 True'"
            )
            assert page.errors == []
    finally:
        server.shutdown()
