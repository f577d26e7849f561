"""More ways to play, in the browser (the build side: tests/site/test_inputs.py)."""

from __future__ import annotations

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import open_page, open_ready, serve_folder
from tests.site.test_inputs import ARTICLE, KINDS, ODD_NAMES, SAME, _value, _wait_value

pytestmark = pytest.mark.browser


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
