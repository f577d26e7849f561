"""Real Chromium against built sites served on 127.0.0.1: what a reader sees and can do."""

import json
import math
import re
import sys
import time

import pytest

from site_builder.build import build
from site_builder.config import load_config
from site_builder.markup import STATIC_NOTE
from tests.conftest import (
    READY,
    ROOT,
    open_page,
    open_ready,
    policy_refusals,
    saved_snapshots,
    seen,
    serve_folder,
)

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
    # Controls that could not move their figures are disabled, and each widget says why.
    assert page.is_disabled("#xw-in-x") and page.is_disabled("#xw-in-w_sex")
    assert seen(page, "#widget-1 .xw-note") == STATIC_NOTE
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
        assert text(page, "w4o1") == f"{max(0.0, r):.2f}"


# The markup as Python wrote it: without the sizes the page gives text to keep it readable,
# the marks it puts on a chart's linked or shown point, and a chart's tooltip.
LESS_TEXT_FITTING = """e => {
  const copy = e.cloneNode(true);
  for (const t of copy.querySelectorAll("[data-xw-size]")) {
    t.removeAttribute("data-xw-size");
    t.removeAttribute("style");
  }
  for (const t of copy.querySelectorAll(".xw-mark")) t.remove();
  for (const t of copy.querySelectorAll(".xw-linked, .xw-active")) {
    t.classList.remove("xw-linked", "xw-active");
  }
  for (const t of copy.querySelectorAll(".xw-tip")) t.remove();
  copy.classList.remove("xw-chart-box");
  return copy.innerHTML;
}"""


@pytest.mark.parametrize("article", [ARTICLE, "widget-reference/"])
def test_browser_matches_build_for_every_widget(page, example_url, article):
    """Parity: Pyodide's initial outputs equal what CPython rendered into the page."""
    open_ready(page, example_url + article)
    results = page.evaluate("xw.renderAll()")["outputs"]
    assert len(results) == page.locator("[data-xw-output]").count() > 5
    for output_id, result in results.items():
        assert result["ok"], (output_id, result)
        element = page.locator(f"[data-xw-output={output_id}]")
        classes = element.get_attribute("class")
        if "xw-formula" in classes:
            assert element.locator("[data-slot]").all_text_contents() == result["value"]
        elif "xw-value" in classes and not result.get("html"):  # text, not a sparkline
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


def test_the_passenger_table_aligns_numbers_and_says_what_to_search(page, example_url):
    open_ready(page, example_url + ARTICLE)
    page.wait_for_selector(".xw-rows[data-xw-ready]", state="attached")
    assert page.get_attribute(".xw-rows-search input", "placeholder") == "name, age, sex…"
    aligned = page.evaluate(
        """() => [...document.querySelectorAll('.xw-rows-head > span')].map((s) =>
             [s.textContent, getComputedStyle(s).textAlign])"""
    )
    assert aligned == [["#", "right"], ["Name", "start"], ["Age", "right"], ["Sex", "start"],
                       ["Survived", "start"]]  # fmt: skip
    ages = page.evaluate(
        """() => [...document.querySelectorAll('[role=option]')].slice(0, 4)
             .map((o) => o.children[2].textContent)"""
    )
    assert ages == ["22", "38", "26", "35"]  # format: {age: g}: no trailing .0


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
    spec = page.evaluate("url => fetch(url).then(r => r.json())", spec_url)
    net = json.loads(spec["exports"])["hidden_net"]  # JSON text, read as the build wrote it
    for pid in (8, 6):  # a young boy; a passenger without an age
        person = people()[pid - 1]
        before = updates(page)
        pick_row(page, pid)
        wait_update(page, before)
        _, _, p = nn.forward(net, [net["fill_age"] if person[2] is None else person[2], person[3]])
        shown = seen(page, "[data-xw-output=w5o0]")
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
        # A readout never moves without its figure: what no table answers waits for Python.
        assert page.is_disabled("#xw-in-w_age")
        assert seen(page, "#widget-3 .xw-note").startswith("Not interactive: ")
        assert page.is_enabled("#xw-in-x")  # the sigmoid explorer answers from its table
        assert page.errors == []


def test_a_damaged_runtime_ends_in_the_error_state(browser, example_url):
    """A runtime file cut short (a broken deploy, say) stops the start within seconds,
    instead of "Loading Python…" for ever."""

    def truncated(route):
        body = route.fetch().body()
        route.fulfill(status=200, body=body[: len(body) // 3], content_type="application/wasm")

    with open_page(browser, (re.compile(r".*\.wasm(\.gz)?$"), truncated)) as page:
        page.goto(example_url + ARTICLE)
        page.wait_for_selector("html[data-xw-state=error]", state="attached", timeout=20_000)
        assert "pyodide.asm.wasm) did not compile" in seen(page, ".xw-status")
        assert page.is_disabled("#xw-in-w_age")


FAULTS = """---
title: Faults
browser_time_limit: 3
---

```widget
label: Other inputs
inputs:
  k: {type: number, min: 0, max: 100, step: 1, value: 4, label: k}
  unit: {type: select, options: {cm: centimetres, in: inches}, value: cm, label: unit}
  loud: {type: checkbox, value: false, label: loud}
  share: {type: range, min: 0, max: 1, step: 0.005, value: 0.25, format: .1%, label: share}
outputs:
  - value: "k * (2.54 if unit == 'in' else 1)"
    format: .2f
  - value: "'LOUD' if loud else 'quiet'"
  - value: "f'{k:d} is an {type(k).__name__}'"
  - value: share
```

```python exec
import time

def slow(v):
    if v > 5:
        time.sleep(2)
    return v


def forever(v):
    while v == 7:
        pass
    return f"finished for {v}"


def heavy(v):
    time.sleep(0.05)  # slow at build time too: the browser computes it after light ones
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
  - value: forever(a)
  - value: heavy(a)
  - value: a + 100
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
    # Its last result belongs to other inputs: hidden while the error stands.
    assert page.is_hidden("[data-xw-output=w1o0] .xw-result")
    assert text(page, "w1o1") == "6"  # an integer step gives ints
    set_range(page, "a", 4)
    assert page.is_hidden("[data-xw-output=w1o0] .xw-error")
    assert page.is_visible("[data-xw-output=w1o0] .xw-result")
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
    assert text(page, "w1o2") == "9"
    assert page.locator("[data-busy]").count() == 0


def test_author_html_output_and_csp(page, faults_url):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    violations = policy_refusals(page)
    open_ready(page, faults_url)
    set_range(page, "a", 1)
    page.hover("[data-xw-output=w1o3] b")
    assert dialogs == []  # the site's CSP forbids inline handlers even in author HTML
    assert violations and all("inline event handler" in v or "script-src" in v for v in violations)
    assert page.errors == []


def test_large_runtime_files_travel_gzipped(page, example_url):
    """A host that sends .wasm as it is (GitHub Pages) still sends ~3.5 MB of it, not
    9.6 MB: the worker fetches the gzipped copy and decompresses it itself. No memory
    snapshot is downloaded: the first visit makes one in the browser."""
    fetched = []
    page.on("requestfinished", lambda r: "_pyodide" in r.url and fetched.append(r.url))
    open_ready(page, example_url + ARTICLE)
    names = {url.rsplit("/", 1)[1] for url in fetched}
    assert "pyodide.asm.wasm.gz" in names and "pyodide.asm.wasm" not in names
    assert not any("snapshot" in n for n in names)
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "scratch"
    # The standard library's compiled core, not Pyodide's source zip, nor the rest.
    assert any(re.fullmatch(r"stdlib\.[0-9a-f]{10}\.zip", n) for n in names)
    assert "python_stdlib.zip" not in names and not any("stdlib-rest" in n for n in names)


def test_the_worker_runs_under_a_policy_without_unsafe_eval(browser, example_site):
    """A host may send the Content-Security-Policy as a header, where it binds the worker
    as well as the page; the flagship's Python starts and answers under one that allows
    WebAssembly but no JavaScript evaluated from strings."""
    server, url = serve_folder(example_site, strict=True)
    try:
        with open_page(browser) as page:
            refused = policy_refusals(page)
            open_ready(page, url + ARTICLE)
            assert "Python 3." in page.text_content(".xw-status")
            set_range(page, "x", 3)
            assert text(page, "w0o1") == f"{nn.sigmoid(3):.6f}"
            assert page.errors == [] and refused == []
    finally:
        server.shutdown()


def test_a_later_visit_starts_from_the_snapshot_the_first_one_saved(page, example_url):
    """The first visit starts CPython and saves its memory in Cache Storage; the next one
    starts from it, downloads no more than the first, and computes the same values. A
    saved snapshot that does not load is dropped, and the page starts as a first visit
    does and saves a good one again."""
    open_ready(page, example_url + ARTICLE)
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "scratch"
    [key] = saved_snapshots(page)
    assert key.startswith(example_url + "_pyodide/314.0.7/xw-snapshot?")
    assert "modules=ast+html+json+math+sys+traceback" in key
    fetched = []
    page.on("requestfinished", lambda r: "_pyodide" in r.url and fetched.append(r.url))
    open_ready(page, example_url + ARTICLE)
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "snapshot"
    assert not any("snapshot" in url for url in fetched)
    set_range(page, "x", 1)
    assert text(page, "w0o1") == f"{nn.sigmoid(1):.6f}"
    # A damaged snapshot (right length, wrong bytes): a normal start, then a new one saved.
    page.evaluate(
        """async (key) => {
          const cache = await caches.open("xw-python-snapshots");
          const bytes = new Uint8Array(4096).fill(7);
          await cache.put(key, new Response(bytes, {headers: {"X-Length": "4096"}}));
        }""",
        key,
    )
    open_ready(page, example_url + ARTICLE)
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "scratch"
    set_range(page, "x", 2)
    assert text(page, "w0o1") == f"{nn.sigmoid(2):.6f}"
    deadline = time.monotonic() + 30
    while (
        page.evaluate(
            """async (key) => (await (await caches.open("xw-python-snapshots")).match(key))
             .headers.get("X-Length")""",
            key,
        )
        == "4096"
    ):
        assert time.monotonic() < deadline, "the damaged snapshot was not replaced"
        time.sleep(0.1)
    open_ready(page, example_url + ARTICLE)
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "snapshot"
    assert page.errors == []


WHERE_ARTICLE = """---
title: Where
---

```python exec
try:
    import js  # the browser's globals, from Pyodide
    def where(n):
        return js.location.protocol + "#" + str(n)  # the worker's location
except ImportError:
    def where(n):
        return "built#" + str(n)
```

```widget
inputs:
  n: {type: range, min: 1, max: 3, step: 1, value: 1, label: n}
outputs:
  - value: where(n)
```
"""


def visits_making_then_using_a_snapshot(browser, root, path, fetched=None):
    """Build the site at *root* and open *path* twice in one browser context: the visit
    that starts from scratch and saves a snapshot, then one that starts from it. Yields
    the page, ready, after each (with *fetched* holding the URLs that visit fetched);
    checks how it started, that a snapshot was saved and that nothing failed. The site is
    served with a Content-Security-Policy header without 'unsafe-eval', which binds the
    worker too: no visit may need JavaScript evaluated from a string."""
    build(load_config(root))
    server, url = serve_folder(root / "_site", strict=True)
    with open_page(browser) as page:
        refused = policy_refusals(page)
        if fetched is not None:
            page.on("requestfinished", lambda r: fetched.append(r.url))
        try:
            for started in ("scratch", "snapshot"):
                if fetched is not None:
                    fetched.clear()
                open_ready(page, url + path)
                assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == started
                yield page
                saved_snapshots(page)
            assert page.errors == [] and refused == []
        finally:
            server.shutdown()


def test_browser_code_reads_the_page_on_visits_that_make_and_use_a_snapshot(make_site, browser):
    """Making a snapshot puts Python's view of the JavaScript globals behind a recording
    proxy whose getters fail; the worker gives Python the real globals back, so author
    code reading js.location works on the visit that saves the snapshot and on the next."""
    root = make_site({"content/where.md": WHERE_ARTICLE})
    for page in visits_making_then_using_a_snapshot(browser, root, "where/"):
        assert seen(page, "[data-xw-output=w0o0] .xw-result") == "built#1"
        set_range(page, "n", 2)
        assert text(page, "w0o0") == "http:#2"


REST_ARTICLE = """---
title: Thirds
---

```python exec
import fractions  # not in the standard library's core: fetched when first imported
import statistics
import logging.handlers  # a package in the core (logging), a module of it in the rest


def latin(text):
    return text.encode("cp1252").hex()  # a codec beyond the few the core holds
```

```widget
inputs:
  n: {type: range, min: 1, max: 5, step: 1, value: 1, label: n}
outputs:
  - value: str(fractions.Fraction(n, 3) + statistics.median_low([n, 1]))
  - value: latin("é" * n) + " " + logging.handlers.QueueHandler.__name__
```
"""


def test_standard_library_modules_outside_the_core_load_when_imported(make_site, browser):
    """The page starts with the compiled core of the standard library; the first import
    of a module outside it fetches the rest once, on the visit that saves a snapshot and
    on the one that starts from it."""
    root = make_site({"content/thirds.md": REST_ARTICLE})
    fetched: list[str] = []
    for page in visits_making_then_using_a_snapshot(browser, root, "thirds/", fetched):
        assert seen(page, "[data-xw-output=w0o0] .xw-result") == "4/3"
        set_range(page, "n", 2)
        assert text(page, "w0o0") == "5/3"  # 2/3 + 1
        assert text(page, "w0o1") == "e9e9 QueueHandler"
        assert sum("stdlib-rest." in u for u in fetched) == 1


def test_number_select_and_checkbox_inputs(page, faults_url):
    open_ready(page, faults_url)
    assert text(page, "w0o0") == "4.00"
    before = updates(page)
    page.fill("#xw-in-k", "10")
    wait_update(page, before)
    assert text(page, "w0o0") == "10.00"
    assert text(page, "w0o2") == "10 is an int"  # a whole-number input stays an int
    before = updates(page)
    page.select_option("#xw-in-unit", "in")
    wait_update(page, before)
    assert text(page, "w0o0") == f"{10 * 2.54:.2f}"
    before = updates(page)
    page.focus("#xw-in-loud")
    page.keyboard.press("Space")
    wait_update(page, before)
    assert text(page, "w0o1") == "LOUD"


def test_a_number_entry_out_of_range_says_why_and_changes_nothing(page, faults_url):
    open_ready(page, faults_url)
    page.fill("#xw-in-k", "150")  # max is 100
    problem = "#xw-in-k-problem"
    page.wait_for_selector(problem, state="visible")
    assert seen(page, problem).startswith("Not used: ")
    assert page.get_attribute("#xw-in-k", "aria-invalid") == "true"
    page.wait_for_timeout(300)
    assert text(page, "w0o0") == "4.00"  # the figure keeps the value it shows
    before = updates(page)
    page.fill("#xw-in-k", "7")
    wait_update(page, before)
    assert text(page, "w0o0") == "7.00" and page.is_hidden(problem)


def test_a_range_readout_uses_its_format(page, faults_url):
    open_ready(page, faults_url)
    assert seen(page, "#xw-in-share-readout") == "25.0%"  # as built, by Python
    for value in (0.335, 0.005, 1):
        set_range(page, "share", value)
        assert seen(page, "#xw-in-share-readout") == format(value, ".1%")
        assert text(page, "w0o3") == str(float(value))  # a float: the step is not whole


def test_the_latest_value_wins_and_nothing_queues(page, faults_url):
    open_ready(page, faults_url)
    before = updates(page)
    # Values arrive faster than Python computes: the worker takes each in between two
    # outputs, so every output is computed once, with the latest value; 9 (which would
    # make slow() sleep) is never computed by slow().
    page.eval_on_selector(
        "#xw-in-a",
        """e => { for (const v of [9, 1, 2, 5]) {
        e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); } }""",
    )
    wait_update(page, before)
    assert updates(page) == before + 1
    assert text(page, "w1o1") == "10"
    assert text(page, "w1o2") == "5"
    assert page.locator("[data-busy]").count() == 0


RESULT_ORDER = """() => {
  window.__order = [];
  new MutationObserver((records) => {
    for (const r of records) {
      const out = r.target.parentElement?.closest('[data-xw-output]');
      const id = out?.dataset.xwOutput;
      if (id && !window.__order.includes(id)) window.__order.push(id);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_light_outputs_do_not_wait_for_heavy_ones(page, faults_url):
    open_ready(page, faults_url)
    page.evaluate(RESULT_ORDER)
    set_range(page, "a", 6)  # slow() now sleeps 2 s; heavy() was slow at build time
    order = page.evaluate("window.__order")
    # Each result reached the page as soon as it was computed: the light outputs after a,
    # ahead of the one the build measured as heavy, and not held for the sleeping one.
    assert order.index("w1o6") < order.index("w1o5") and order.index("w1o1") < order.index("w1o2")
    assert text(page, "w1o6") == "106" and text(page, "w1o5") == "6"


def test_a_runaway_output_is_stopped_and_the_page_answers_again(page, faults_url):
    open_ready(page, faults_url)
    before = updates(page)
    page.eval_on_selector(
        "#xw-in-a", "e => { e.value = 7; e.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    # forever(7) never returns: after the article's 3 s the page stops Python there ...
    error = "[data-xw-output=w1o4] .xw-error"
    page.wait_for_selector(error, state="visible", timeout=10_000)
    assert seen(page, error) == "Stopped after 3 s: this output's Python ran too long."
    assert page.is_hidden("[data-xw-output=w1o4] .xw-result")  # no stale value above it
    # ... and restarts it (a worker started half way to the limit takes over at once, so
    # the status may already say so): the other outputs answer again, with the reader's values.
    status = seen(page, ".xw-status")
    assert "restarting Python" in status or "Python restarted after an output ran" in status
    page.wait_for_selector("html[data-xw-interactive=true]", state="attached", timeout=30_000)
    assert "Interactive again" in seen(page, ".xw-status")
    wait_update(page, before)
    assert text(page, "w1o1") == "14" and text(page, "w1o6") == "107"
    set_range(page, "a", 4)
    assert text(page, "w1o1") == "8" and text(page, "w1o0") == "1.000"
    assert page.is_visible(error)  # stopped until the reader asks again
    before = updates(page)
    page.click("[data-xw-output=w1o4] .xw-retry")
    wait_update(page, before)
    assert text(page, "w1o4") == "finished for 4" and page.is_hidden(error)
    assert page.errors == []


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


READER = """---
title: Data reader
---

```python exec
import csv


def column(name, n):
    with open("data/points.csv", newline="") as f:  # read again on every call
        rows = list(csv.DictReader(f))
    return ", ".join(r[name] for r in rows[:n])
```

```widget
inputs:
  n: {type: range, min: 1, max: 3, step: 1, value: 1, label: n}
outputs:
  - value: column("y", n)
```
"""


def test_bundle_files_are_there_for_the_browsers_python(page, tmp_path):
    from tests.conftest import write_site

    root = write_site(
        tmp_path / "reader",
        {
            "content/data-reader/index.md": READER,
            "content/data-reader/data/points.csv": "x,y\n1,10\n2,20\n3,30\n",
        },
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        open_ready(page, url + "data-reader/")
        spec = page.evaluate(
            "url => fetch(url).then(r => r.json())", page.get_attribute("article", "data-xw-spec")
        )
        assert spec["files"] == ["data/points.csv"]  # what the build saw the Python open
        assert text(page, "w0o0") == "10"
        set_range(page, "n", 3)
        assert text(page, "w0o0") == "10, 20, 30"  # read in the browser, at the same path
        assert page.errors == []
    finally:
        server.shutdown()


SAVE_DATA = """Object.defineProperty(Navigator.prototype, "connection", {
  get: () => ({ saveData: true, effectiveType: "4g" }),
});"""


def test_a_reader_saving_data_loads_python_only_when_asking(browser, example_url):
    context = browser.new_context()
    context.add_init_script(SAVE_DATA)
    page = context.new_page()
    fetched = []
    page.on("request", lambda r: "_pyodide" in r.url and fetched.append(r.url))
    page.goto(example_url + ARTICLE)
    page.wait_for_selector(".xw-status .xw-load", state="visible")
    page.wait_for_timeout(1000)
    assert fetched == []  # not a byte of Python yet
    assert page.is_disabled("#xw-in-w_age") and "to save data" in seen(page, "#widget-3 .xw-note")
    page.click(".xw-status .xw-load")
    page.wait_for_selector(READY, state="attached", timeout=90_000)
    assert any(url.endswith("pyodide.asm.wasm.gz") for url in fetched)
    set_range(page, "x", 2)
    assert text(page, "w0o1") == f"{nn.sigmoid(2):.6f}"
    # Having loaded it once, the reader gets Python on the next visit without asking: its
    # snapshot is saved and its files are cached.
    saved_snapshots(page)
    page.goto(example_url + ARTICLE)
    page.wait_for_selector(READY, state="attached", timeout=90_000)
    assert page.locator(".xw-status .xw-load").count() == 0
    assert page.evaluate("document.documentElement.dataset.xwStartedFrom") == "snapshot"
    context.close()
