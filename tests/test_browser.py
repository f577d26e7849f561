"""Real Chromium against built sites served on 127.0.0.1: what a reader sees and can do."""

import math
import re
import sys
import time

import pytest

from site_builder.build import build
from site_builder.config import load_config
from tests.conftest import ROOT, open_page, open_ready, seen, serve_folder

pytestmark = pytest.mark.browser
ARTICLE = "neural-network-math/"
POST = (-0.016852, 0.704039, -0.116309)

sys.path.insert(0, str(ROOT / "content" / "neural-network-math"))
import nn  # noqa: E402  (the article's own module, run here in CPython as the oracle)

PEOPLE = None


def people():
    """[id, name, age or None, sex, survived] per passenger, read with the csv module."""
    global PEOPLE
    if PEOPLE is None:
        import csv

        with open(ROOT / "content" / "neural-network-math" / "data" / "train.csv") as f:
            PEOPLE = [
                [
                    int(r["PassengerId"]),
                    r["Name"],
                    float(r["Age"]) if r["Age"] else None,
                    int(r["Sex"] == "female"),
                    int(r["Survived"]),
                ]
                for r in csv.DictReader(f)
            ]
    return PEOPLE


def updates(page):
    return int(page.evaluate("document.documentElement.dataset.xwUpdates || '0'"))


def wait_update(page, before, timeout=30.0):
    """Wait until the page has applied an update after *before* and has nothing pending."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if updates(page) > before and page.evaluate(
            "!('xwPending' in document.documentElement.dataset)"
        ):
            return
        time.sleep(0.02)
    raise AssertionError("the page did not finish updating")


def text(page, output):
    return seen(page, f"[data-xw-output={output}] .xw-result")


def set_range(page, name, value):
    before = updates(page)
    page.eval_on_selector(
        f"#xw-in-{name}",
        "(e, v) => { e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); }",
        str(value),
    )
    wait_update(page, before)


def test_static_page_is_complete_without_javascript(browser, example_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(example_url + ARTICLE)
    assert text(page, "w0o1") == "0.500000"  # sigmoid(0), computed at build time
    page.click(".xw-rows-static summary")  # every passenger, one click away
    assert page.locator(".xw-rows-table tbody tr").count() == 891
    assert page.locator(".xw-rows-table tbody tr").last.is_visible()
    assert page.locator(".xw-rows-pages").count() == 0  # one page holds them all
    assert "38.1%" in seen(page, "[data-xw-output=w1o0]")
    assert page.locator("svg.xw-plot").count() >= 3
    shown = seen(page, "p:has-text('213 of the 291')")
    assert "73.20%: 213 of the 291 held-out passengers" in shown
    context.close()


def test_contents_links_reach_sections_not_yet_laid_out(page, example_url):
    """Sections far down are skipped until the reader nears them; a link still lands on
    its heading and shows the section."""
    open_ready(page, example_url + ARTICLE)
    target = "activation-functions-and-relu"
    heading = page.locator(f"#{target}")
    assert heading.inner_text() == ""  # not laid out yet: nobody has scrolled there
    page.click(f".toc a[href='#{target}']")
    deadline = time.monotonic() + 5
    while abs(heading.evaluate("h => h.getBoundingClientRect().top")) > 1:
        assert time.monotonic() < deadline, "the link did not bring its heading to the top"
        time.sleep(0.05)
    assert heading.inner_text().startswith("Activation functions and ReLU")
    assert "rectified linear unit" in page.locator(f"#{target} + p").inner_text()


def test_sigmoid_slider_by_keyboard_and_by_value(page, example_url):
    open_ready(page, example_url + ARTICLE)
    page.focus("#xw-in-x")
    before = updates(page)
    page.keyboard.press("ArrowRight")  # step 0.01 over 40: the arrow moves by 0.2
    wait_update(page, before)
    assert page.input_value("#xw-in-x") == "0.2"
    assert text(page, "w0o1") == f"{nn.sigmoid(0.2):.6f}"
    for x in (2, -7.5, 19.99):
        set_range(page, "x", x)
        assert text(page, "w0o1") == f"{nn.sigmoid(x):.6f}"
        assert seen(page, "#xw-in-x-readout") == f"{x:.2f}"
        label = page.get_attribute("[data-xw-output=w0o2] svg", "aria-label")
        assert f"at x = {x:.2f}, σ(x) = {nn.sigmoid(x):.4f}" in label
    slots = page.locator("[data-xw-output=w0o0] [data-slot]").all_text_contents()
    assert slots == ["19.99", "19.99", f"{nn.sigmoid(19.99):.6f}"]
    assert page.errors == []


def test_relu_explorer(page, example_url):
    open_ready(page, example_url + ARTICLE)
    for r in (-3.25, 0, 7.5):
        set_range(page, "r", r)
        assert text(page, "w3o1") == f"{max(0.0, r):.2f}"


# The markup as Python wrote it: without the sizes the page gives text to keep it readable.
LESS_TEXT_FITTING = """e => {
  const copy = e.cloneNode(true);
  for (const t of copy.querySelectorAll("[data-xw-size]")) {
    t.removeAttribute("data-xw-size");
    t.removeAttribute("style");
  }
  return copy.innerHTML;
}"""


def test_browser_matches_build_for_every_widget(page, example_url):
    """Parity: Pyodide's initial outputs equal what CPython rendered into the page."""
    open_ready(page, example_url + ARTICLE)
    results = page.evaluate("xw.renderAll()")["outputs"]
    assert len(results) == page.locator("[data-xw-output]").count() > 5
    for output_id, result in results.items():
        assert result["ok"], (output_id, result)
        element = page.locator(f"[data-xw-output={output_id}]")
        classes = element.get_attribute("class")
        if "xw-formula" in classes:
            assert element.locator("[data-slot]").all_text_contents() == result["value"]
        elif "xw-value" in classes:
            assert seen(page, f"[data-xw-output={output_id}] .xw-result") == result["value"]
        else:
            rendered = element.locator(".xw-result").evaluate(LESS_TEXT_FITTING)
            fresh = page.evaluate(
                "html => { const d = document.createElement('div');"
                " d.innerHTML = html; return d.innerHTML; }",
                result["value"],
            )
            assert rendered == fresh, output_id


@pytest.mark.parametrize("pid", [1, 2, 6, 8, 891])  # 6 (Moran, Mr. James) has no age
def test_choosing_a_passenger_shows_the_prediction(page, example_url, pid):
    open_ready(page, example_url + ARTICLE)
    person = people()[pid - 1]
    before = updates(page)
    row = pick_row(page, pid)
    wait_update(page, before)
    shown = seen(page, "[data-xw-output=w1o0]")
    assert person[1] in shown
    if person[2] is None:
        assert "No age was recorded" in shown
    else:
        p = nn.sigmoid(person[2] * POST[0] + person[3] * POST[1] + POST[2])
        assert f"Probability of survival {p:.1%}: predicted {nn.verdict(p > 0.5)}" in shown
    assert f"actually {nn.verdict(bool(person[4]))}" in shown.lower()
    assert row.get_attribute("aria-selected") == "true"
    listbox = page.locator("[role=listbox]")
    assert listbox.get_attribute("aria-activedescendant") == row.get_attribute("id")


def pick_row(page, key):
    """Search the rows listbox for passenger *key*'s name and click their row."""
    name = people()[int(key) - 1][1]
    page.fill(".xw-rows-search input", name)
    row = page.locator(f"[role=option][data-row='{int(key) - 1}']")
    row.click()
    page.mouse.move(0, 0)  # a pointer left over the list would preview the row under it
    page.fill(".xw-rows-search input", "")
    return row


def test_keyboard_and_search_reach_any_passenger(page, example_url):
    """The rows are one listbox (one tab stop, aria-activedescendant), reached by Tab."""
    open_ready(page, example_url + ARTICLE)
    page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached")
    page.fill(".xw-rows-search input", "Moran")
    assert "rows match" in seen(page, ".xw-rows-count")
    page.keyboard.press("Tab")  # from the search field to the list: one stop
    assert page.evaluate("document.activeElement.getAttribute('role')") == "listbox"
    before = updates(page)
    page.keyboard.press("ArrowDown")
    wait_update(page, before)
    active = page.evaluate(
        "document.getElementById(document.activeElement.getAttribute('aria-activedescendant'))"
        ".dataset.row"
    )
    name = people()[int(active)][1]
    assert "Moran" in name and name in seen(page, "[data-xw-output=w1o0]")
    option = page.locator(f"[role=option][data-row='{active}']").aria_snapshot()
    assert option.startswith(f'- option "{int(active) + 1} {name} ') and "▶" not in option
    page.keyboard.press("Tab")  # and on out of the list: no stop per row
    assert page.evaluate("document.activeElement.closest('[role=listbox]')") is None


def test_weight_sliders_update_both_accuracies(page, example_url):
    open_ready(page, example_url + ARTICLE)
    assert text(page, "w2o1") == "73.20% (213 of 291)"
    for w_sex in (2.5, 0.3):
        set_range(page, "w_sex", w_sex)
        for output, (first, last) in (("w2o0", (1, 600)), ("w2o1", (601, 891))):
            assert text(page, output) == nn.score(people(), POST[0], w_sex, POST[2], first, last)
    set_range(page, "w_age", 0)
    assert text(page, "w2o0") == nn.score(people(), 0, 0.3, POST[2], 1, 600)
    assert "women survive" in seen(page, "[data-xw-output=w2o2]")


def test_hidden_layer_prediction_follows_the_selected_passenger(page, example_url):
    open_ready(page, example_url + ARTICLE)
    spec_url = page.get_attribute("article", "data-xw-spec")
    net = page.evaluate("url => fetch(url).then(r => r.json())", spec_url)["exports"]["hidden_net"]
    for pid in (8, 6):  # a young boy; a passenger without an age
        person = people()[pid - 1]
        before = updates(page)
        pick_row(page, pid)
        wait_update(page, before)
        _, _, p = nn.forward(net, [net["fill_age"] if person[2] is None else person[2], person[3]])
        shown = seen(page, "[data-xw-output=w4o0]")
        assert f"Probability of survival {p:.1%}: predicted {nn.verdict(p > 0.5)}" in shown
        assert math.isfinite(p)


def test_runtime_blocked_leaves_the_page_readable(browser, example_url):
    blocked = (re.compile(r".*/_pyodide/.*"), lambda route: route.fulfill(status=404))
    with open_page(browser, blocked) as page:
        page.goto(example_url + ARTICLE)
        page.wait_for_selector("html[data-xw-state=error]", state="attached", timeout=60_000)
        assert "Interactive figures are unavailable" in seen(page, ".xw-status")
        assert "could not be downloaded" in seen(page, ".xw-status")
        assert text(page, "w0o1") == "0.500000"
        assert page.locator(".xw-rows-table tbody tr").count() == 891
        assert page.errors == []


FAULTS = """---
title: Faults
---

```widget
label: Other inputs
inputs:
  k: {type: number, min: 0, max: 100, step: 1, value: 4, label: k}
  unit: {type: select, options: {cm: centimetres, in: inches}, value: cm, label: unit}
  loud: {type: checkbox, value: false, label: loud}
outputs:
  - value: "k * (2.54 if unit == 'in' else 1)"
    format: .2f
  - value: "'LOUD' if loud else 'quiet'"
```

```python exec
import time

def slow(v):
    if v > 5:
        time.sleep(3)
    return v
```

```widget
inputs:
  a: {type: range, min: 0, max: 10, step: 1, value: 0, label: a}
outputs:
  - value: 1 / (a - 3)
    format: .3f
  - value: a * 2
  - value: slow(a)
  - html: "'<b onmouseover=alert(1)>' + str(a)"
```
"""


@pytest.fixture(scope="module")
def faults_url(tmp_path_factory):
    from tests.conftest import write_site

    root = write_site(tmp_path_factory.mktemp("faults"), {"content/faults.md": FAULTS})
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    yield url + "faults/"
    server.shutdown()


def test_an_exception_in_one_output_leaves_the_others_working(page, faults_url):
    open_ready(page, faults_url)
    set_range(page, "a", 3)
    assert page.is_visible("[data-xw-output=w1o0] .xw-error")
    assert "ZeroDivisionError" in seen(page, "[data-xw-output=w1o0] .xw-error")
    assert text(page, "w1o1") == "6.0"
    set_range(page, "a", 4)
    assert page.is_hidden("[data-xw-output=w1o0] .xw-error")
    assert text(page, "w1o0") == "1.000"


def test_a_slow_call_never_freezes_the_page(page, faults_url):
    open_ready(page, faults_url)
    before = updates(page)
    page.eval_on_selector(
        "#xw-in-a", "e => { e.value = 9; e.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    # While Python sleeps in the worker, the main thread still answers and shows the wait.
    page.wait_for_selector("[data-xw-output][data-busy=true]", state="attached")
    assert page.evaluate("1 + 1") == 2
    assert updates(page) == before
    wait_update(page, before)
    assert text(page, "w1o2") == "9.0"
    assert page.locator("[data-busy]").count() == 0


def test_author_html_output_and_csp(page, faults_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    open_ready(page, faults_url)
    set_range(page, "a", 1)
    page.hover("[data-xw-output=w1o3] b")
    assert dialogs == []  # the site's CSP forbids inline handlers even in author HTML
    assert violations and all("inline event handler" in v or "script-src" in v for v in violations)
    assert page.errors == []


def test_python_starts_from_the_snapshot(page, example_url):
    open_ready(page, example_url + ARTICLE)
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "snapshot"


def test_without_the_snapshot_python_starts_from_scratch(browser, example_url):
    no_snapshot = (re.compile(r".*/snapshot-[0-9a-f]+\.bin$"), lambda r: r.fulfill(status=404))
    with open_page(browser, no_snapshot) as page:
        open_ready(page, example_url + ARTICLE)
        assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "scratch"
        set_range(page, "x", 1)
        assert text(page, "w0o1") == f"{nn.sigmoid(1):.6f}"
        assert page.errors == []


def test_number_select_and_checkbox_inputs(page, faults_url):
    open_ready(page, faults_url)
    assert text(page, "w0o0") == "4.00"
    before = updates(page)
    page.fill("#xw-in-k", "10")
    wait_update(page, before)
    assert text(page, "w0o0") == "10.00"
    before = updates(page)
    page.select_option("#xw-in-unit", "in")
    wait_update(page, before)
    assert text(page, "w0o0") == f"{10 * 2.54:.2f}"
    before = updates(page)
    page.focus("#xw-in-loud")
    page.keyboard.press("Space")
    wait_update(page, before)
    assert text(page, "w0o1") == "LOUD"


def test_the_latest_value_wins_and_nothing_queues(page, faults_url):
    open_ready(page, faults_url)
    before = updates(page)
    # The first value makes Python sleep 3 s; the next ones arrive while it is busy.
    page.eval_on_selector(
        "#xw-in-a",
        """e => { for (const v of [9, 1, 2, 5]) {
        e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); } }""",
    )
    wait_update(page, before)
    # One update for 9 (in flight), then one for the latest value only; 1 and 2 never ran.
    assert updates(page) == before + 2
    assert text(page, "w1o1") == "10.0"
    assert text(page, "w1o2") == "5.0"


LISTEN = """() => {
  window.__said = [];
  for (const region of document.querySelectorAll(".xw-announce"))
    new MutationObserver(() => window.__said.push(region.textContent)).observe(
      region, {childList: true, characterData: true, subtree: true});
}"""


def test_one_announcement_per_settled_input_and_none_on_hover(page, example_url):
    open_ready(page, example_url + "neural-network-math/")
    # Figures are not live regions, and a slider's readout is not read out twice.
    assert page.locator(".xw-output [aria-live], .xw-output output").count() == 0
    readouts = page.locator(".xw-readout")
    assert readouts.count() > 0
    assert page.locator(".xw-readout[aria-hidden=true]").count() == readouts.count()
    page.evaluate(LISTEN)
    page.focus("#xw-in-x")
    for _ in range(4):  # quick steps of one slider: one settled input
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(2000)
    said = page.evaluate("window.__said")
    assert len(said) == 1, said
    assert said[0].startswith("σ(x): 0.") and said[0] == seen(page, "#widget-1 .xw-announce")
    for row in page.locator("[role=option]").all()[:8]:
        row.hover()
    page.mouse.move(0, 0)
    page.wait_for_timeout(2000)
    assert page.evaluate("window.__said") == said  # hovering previews, silently


def test_a_fine_step_slider_moves_by_a_keyboard_step(page, example_url):
    open_ready(page, example_url + ARTICLE)
    slider = "#xw-in-w_age"  # step 0.000001 from -0.1 to 0.1: 200,000 steps
    assert page.get_attribute(slider, "data-xw-key-step") == "0.001"
    page.focus(slider)
    for key, expected in (("ArrowRight", -0.015852), ("PageUp", -0.005852),
                          ("ArrowLeft", -0.006852), ("PageDown", -0.016852)):  # fmt: skip
        before = updates(page)
        page.keyboard.press(key)
        wait_update(page, before)
        assert float(page.input_value(slider)) == pytest.approx(expected, abs=1e-9), key
        assert seen(page, "#xw-in-w_age-readout") == f"{expected:.6f}"
    page.keyboard.press("End")
    assert page.input_value(slider) == "0.1"
    assert page.errors == []


def test_live_formulas_state_their_current_numbers(page, example_url):
    open_ready(page, example_url + ARTICLE)
    formula = "[data-xw-output=w0o0] math"
    alt = page.get_attribute(formula, "alttext")
    assert "918273" not in alt and "0.00" in alt and "0.500000" in alt  # as built
    set_range(page, "x", 2)
    alt = page.get_attribute(formula, "alttext")
    assert "2.00" in alt and f"{nn.sigmoid(2):.6f}" in alt and "⟨" not in alt


def test_printing_the_article_shows_every_section_and_every_row(page, example_url, tmp_path):
    import unicodedata

    import pypdf

    open_ready(page, example_url + ARTICLE)
    pdf = tmp_path / "article.pdf"
    page.pdf(path=str(pdf))  # Chromium prints with the print stylesheet
    raw = " ".join(p.extract_text() for p in pypdf.PdfReader(pdf).pages)
    text = " ".join(unicodedata.normalize("NFKC", raw).split())  # ligatures, line breaks
    headings = page.locator(".article-body h2").all_text_contents()
    assert len(headings) > 5
    for heading in headings:
        assert " ".join(heading.rstrip("#").split())[:30] in text, heading
    names = page.locator(".xw-rows-static tbody tr[data-key] td:nth-child(2)").all_text_contents()
    assert len(names) == 891
    for name in (names[0], names[445], names[-1]):  # first, middle and last passengers
        assert name.split(",")[0] in text, name
    assert "Loading Python" not in text and "Interactive: Python" not in text
