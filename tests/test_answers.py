"""Answers before Python (site_builder/answers.py): outputs whose inputs have small, finite
spaces are computed for every combination at build time and answered from those tables
at first paint, with or without the runtime; exactly what the browser's Python renders."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder import answers
from site_builder.build import build
from site_builder.config import load_config
from site_builder.runtime.reactive import Page
from tests.conftest import READY, open_page, seen, serve_folder, write_site

# --- the encoding -------------------------------------------------------------------------

numbers = st.one_of(
    st.integers(-(10**12), 10**12).map(str),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.2f}"),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:g}"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["-0", "-0.00", "007", "1e-07", "+3", "1.50", "10.000"]),
)
pieces = st.one_of(numbers, st.text(max_size=6), st.sampled_from(['<a x="', '">', " ", "-", "."]))
texts = st.lists(pieces, max_size=12).map("".join)
results = st.one_of(
    texts.map(lambda t: {"ok": True, "value": t}),
    texts.map(lambda t: {"ok": True, "value": t, "html": True}),
    st.lists(texts, max_size=3).map(lambda v: {"ok": True, "value": v}),
    texts.map(lambda t: {"ok": False, "error": t}),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(results, min_size=1, max_size=40), st.data())
def test_every_entry_comes_back_exactly(found, data):
    """Whatever the results (numbers written any way, text, repeats), each combination
    decodes to its own result, through JSON as the page reads the file."""
    # Results that share a skeleton, as a moving marker gives, mixed with the others.
    template = data.draw(st.lists(st.sampled_from(["<c x=", '"', " r=", "/>", "a"]), max_size=6))
    for k in range(data.draw(st.integers(0, 30))):
        found.append({"ok": True, "value": "".join(template) + f"{k * 0.37:.2f} {k}"})
    order = data.draw(st.permutations(range(len(found))))
    texts_ = [answers._key(found[k]) for k in order]
    table = json.loads(json.dumps(answers.encode_results(texts_)))
    for combination, k in enumerate(order):
        assert answers.decode(table, combination) == json.loads(json.dumps(found[k]))


def test_a_moving_marker_costs_its_numbers_not_the_curve():
    """A fixed curve of 400 points with a marker moving over 2,001 positions: the table
    grows with the marker's numbers (a few bytes each), not with the drawing."""
    curve = " ".join(f"{x:.2f},{(x * x) % 97:.2f}" for x in range(400))
    found = [
        answers._key(
            {
                "ok": True,
                "value": f'<svg><path d="{curve}"/><circle cx="{k / 10:.1f}" '
                f'cy="{(k * k) % 1000 / 7:.2f}"/><title>x = {k / 100:.2f}</title></svg>',
            }
        )
        for k in range(2001)
    ]
    table = answers.encode_results(found)
    raw = sum(len(f) for f in found)
    encoded = len(json.dumps(table))
    assert encoded < raw / 100, (encoded, raw)
    assert answers.decode(table, 1234) == json.loads(found[1234])


def test_input_spaces():
    def space(spec, rows=None, limit=100):
        return answers.input_space(spec, rows, limit)

    grid = space({"name": "x", "type": "range", "min": -1, "max": 1, "step": 0.25, "value": 0.5})
    assert grid.values == [
        "-1.00",
        "-0.75",
        "-0.50",
        "-0.25",
        "0.00",
        "0.25",
        "0.50",
        "0.75",
        "1.00",
    ]
    assert grid.domain == {"grid": [-1, 0.25, 9], "first": 6}
    whole = space({"name": "n", "type": "number", "min": 0, "max": 3, "step": 1, "value": 2})
    assert whole.values == ["0", "1", "2", "3"] and whole.domain["first"] == 2
    assert "no min and max" in space({"name": "n", "type": "number", "step": 1, "value": 2})
    fine = {"name": "x", "type": "range", "min": 0, "max": 1, "step": 0.001, "value": 0}
    assert "1,001 positions" in space(fine, limit=1000)
    pick = space({"name": "s", "type": "select", "options": [1, 2.5, "a"], "value": "a"})
    assert pick.values == ["1", "2.5", "a"]
    assert pick.domain == {"keys": ["1", "2.5", "a"], "first": 2}
    box = space({"name": "c", "type": "toggle", "value": True})
    assert box.values == [False, True] and box.domain["first"] == 1
    rows = [{"id": 3}, {"id": 1}, {"id": 2}]
    chosen = space({"name": "r", "type": "rows", "key": "id", "value": 1}, rows)
    assert chosen.values == [3, 1, 2] and chosen.domain == {"keys": [3, 1, 2], "first": 1}
    assert "free text" in space({"name": "t", "type": "text", "value": ""})
    assert "count with no end" in space({"name": "b", "type": "button", "value": 0})
    nan = [{"id": float("nan")}, {"id": 1}]
    assert "not numbers or text" in space(
        {"name": "r", "type": "rows", "key": "id", "value": 1}, nan
    )


def _page(code: str, inputs: list[dict], outputs: list[dict]) -> tuple[Page, dict]:
    ns: dict = {}
    exec(code, ns)
    page = Page(ns, inputs, outputs)
    return page, page.render_all()


INPUTS = [
    {"name": "x", "type": "range", "min": 0, "max": 2, "step": 0.5, "value": 1, "integer": False},
    {"name": "s", "type": "select", "options": ["a", "b", "c"], "value": "b"},
    {"name": "on", "type": "checkbox", "value": False},
    {"name": "t", "type": "text", "value": "hi"},
]


def test_tables_hold_what_the_page_would_compute_for_every_combination():
    page, initial = _page(
        "import random\ndef f(x, s, on): return f'{x:.2f} {s} {on}'\n"
        "def sneaky(x): return x + (1 if on else 0)\n",
        INPUTS,
        [
            {"id": "a", "type": "value", "expr": "f(x, s, on)", "deps": ["on", "s", "x"]},
            {"id": "b", "type": "value", "expr": "len(t) + x", "deps": ["t", "x"]},
            {"id": "c", "type": "value", "expr": "sneaky(x)", "deps": ["x"]},
            {"id": "d", "type": "value", "expr": "x + random.random()", "deps": ["x"]},
            {"id": "e", "type": "value", "expr": "x * 2", "deps": ["x"], "precompute": False},
            {"id": "f", "type": "value", "expr": "s * 3", "deps": ["s"]},
        ],
    )
    spaces = answers.spaces_of(page, {}, answers.COMBINATIONS)
    found, left = answers.precompute(page, spaces, initial, answers.Limits(), time.monotonic() + 60)
    assert sorted(found) == ["a", "f"]
    assert "free text" in left["b"]
    assert "reads input 'on'" in left["c"]  # through a global its expression does not name
    assert "different results for the same inputs" in left["d"]
    assert "precompute: false" in left["e"]
    # Every combination, decoded, is what the page computes for those values.
    spaces = [answers.input_space(i, None, 100) for i in INPUTS[:3]]
    deps = ["on", "s", "x"]
    by_name = dict(zip(["x", "s", "on"], spaces, strict=True))
    combination = 0
    for on in by_name["on"].values:
        for s in by_name["s"].values:
            for x in by_name["x"].values:
                page.set_inputs({"on": on, "s": s, "x": x})
                assert answers.decode(found["a"], combination) == page.compute(page.by_id["a"])
                combination += 1
    assert found["a"]["deps"] == deps and combination == 2 * 3 * 5


def test_limits_leave_outputs_to_python_and_say_why():
    page, initial = _page(
        "import time\n",
        INPUTS,
        [
            {"id": "a", "type": "value", "expr": "x", "deps": ["on", "s", "x"]},
            {"id": "slow", "type": "value", "expr": "time.sleep(0.05) or s", "deps": ["s", "x"]},
        ],
    )
    few = answers.Limits(combinations=20)
    spaces = answers.spaces_of(page, {}, few.combinations)
    found, left = answers.precompute(page, spaces, initial, few, time.monotonic() + 60)
    assert left["a"] == "30 combinations (2 × 3 × 5) > 20"
    assert "slow" in found
    found, left = answers.precompute(
        page, spaces, initial, answers.Limits(), time.monotonic() + 0.2
    )
    assert left["slow"].startswith("too slow")
    files, too_large = answers.files(
        {"a": {"deps": ["x"], "i": [0] * 5, "g": [{"n": 5, "t": ["x"], "c": []}]}},
        {"x": {"grid": [0, 0.5, 5], "first": 2}},
        budget=10,
    )
    assert files == [] and "too large" in too_large["a"] and "budget is 0 KB" in too_large["a"]


# --- in a build ---------------------------------------------------------------------------

ARTICLE = """---
title: Answers
---

```python exec
def shape(k, kind):
    return f"{kind} with {k} sides"

def slow(n):
    while n == 7:  # never ends for this one value
        pass
    return n * n
```

```widget
label: Polygons
inputs:
  k: {type: range, min: 3, max: 12, step: 1, value: 5, label: sides}
  kind: {type: select, options: [regular, star], value: regular, label: kind}
  fine: {type: range, min: 0, max: 1, step: 0.001, value: 0.5, label: fine}
outputs:
  - value: shape(k, kind)
    label: polygon
  - value: f"{fine:.3f}"
    label: fine
  - chart:
      - line: "lambda t: t * k"
      - point: (k, k * k)
    x: {domain: [0, 12]}
```

A {py}`shape(k, kind)` in a sentence, and {py}`slow(k)` too.
"""


def _built(make_site, files, toml=""):
    root = make_site({"content/answers.md": ARTICLE, **files})
    if toml:
        (root / "site.toml").write_text((root / "site.toml").read_text() + toml)
    result = build(load_config(root))
    return root, result


def _answers_of(site: Path, slug: str) -> dict:
    html = (site / slug / "index.html").read_text()
    found = re.search(r'data-xw-answers="([^"]*)"', html)
    assert found, "the page carries no answers"
    return json.loads(found[1].replace("&#34;", '"').replace("&quot;", '"'))


def test_a_build_writes_tables_and_says_what_it_left(make_site):
    root, result = _built(
        make_site, {}, "[runtime]\ntimeout = 20\nprecompute = 1000\nprecompute_seconds = 4\n"
    )
    spec = _answers_of(root / "_site", "answers")
    assert sorted(spec["outputs"]) == ["p0", "w0o0", "w0o2"]
    # k moves an output no table answers (slow(7) never ends); "fine" has 1,001 positions.
    assert spec["inputs"] == ["kind"]
    for url in spec["files"]:
        assert (root / "_site" / url.lstrip("/")).is_file()
    ran, note = result.notes  # its Python ran (no cache yet), then what it answers ahead
    assert ran.startswith("content/answers.md: ran its Python in ")
    assert note.startswith("content/answers.md: answers before Python: 3 output(s)")
    assert "w0o1: 'fine' has 1,001 positions" in note
    # The value that never ends was stopped, the build went on, and Python answers it.
    assert "p1: too slow: stopped at the article's time for answers" in note


def test_settings_turn_answers_off_and_a_page_without_python_keeps_them(make_site):
    root, result = _built(make_site, {}, "[runtime]\nprecompute = 0\n")
    assert not any("answers before Python" in n for n in result.notes)
    assert "data-xw-answers" not in (root / "_site" / "answers" / "index.html").read_text()
    root = make_site(
        {"content/answers.md": ARTICLE.replace("title: Answers", "title: A\nruntime: none")}
    )
    build(load_config(root))
    html = (root / "_site" / "answers" / "index.html").read_text()
    assert "data-xw-answers" in html and "data-xw-spec" not in html
    assert "data-xw-worker" not in html


def test_a_rebuild_with_nothing_changed_computes_nothing(make_site, monkeypatch):
    from site_builder import cells

    root, first = _built(make_site, {}, "[runtime]\nprecompute_seconds = 2\n")
    runs = []
    real = cells._run_in_box
    monkeypatch.setattr(cells, "_run_in_box", lambda *a, **k: runs.append(1) or real(*a, **k))
    again = build(load_config(root), incremental=False)
    assert runs == []  # the answers came from the cell cache with the rest
    assert again.notes == first.notes[1:]  # the same answers; no Python ran
    html = (root / "content" / "answers.md").read_text()
    (root / "content" / "answers.md").write_text(html.replace("with {k} sides", "of {k} sides"))
    build(load_config(root))
    assert runs == [1]


# --- in the browser -----------------------------------------------------------------------

BLOCKED = (re.compile(r".*/_pyodide/.*"), lambda route: route.abort())


def _value(page, output):
    return seen(page, f"[data-xw-output={output}] .xw-result")


def _until(page, script, arg=None, timeout=20.0):
    """Wait until *script* (a function of *arg*) is true in the page. (Playwright's
    wait_for_function evaluates text, which the page's policy forbids.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script, arg):
        assert time.monotonic() < deadline, f"never true: {script}"
        time.sleep(0.02)


def _settle(page, before):
    _until(
        page,
        "n => Number(document.documentElement.dataset.xwUpdates || 0) > n"
        " && !('xwPending' in document.documentElement.dataset)",
        before,
    )


def _updates(page):
    return int(page.evaluate("document.documentElement.dataset.xwUpdates || '0'"))


def _set(page, name, value):
    """Set input NAME as the address or a preset would, and wait for its answers. (A
    change marks the page pending at once: nothing pending and no update means the input
    had that value already.)"""
    before = _updates(page)
    changed = page.eval_on_selector(
        f'[data-xw-input="{name}"]',
        "(box, v) => { box.dispatchEvent(new CustomEvent('xw-set', {detail: v}));"
        " return 'xwPending' in document.documentElement.dataset; }",
        value,
    )
    if changed or _updates(page) > before:
        _settle(page, before)


@pytest.mark.browser
def test_the_flagship_answers_with_the_runtime_blocked(browser, example_url):
    """Five of the flagship's six widgets answer at first paint without Python: sliders,
    prose, charts, the passenger table, play and a shared link; the sixth says it waits."""
    from tests.browser.test_pages import nn

    with open_page(browser, BLOCKED) as page:
        page.goto(example_url + "neural-network-math/?x=2.5&pid=3")
        _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
        assert _value(page, "w0o1") == f"{nn.sigmoid(2.5):.6f}"  # from the address
        assert "2.50" in page.get_attribute("[data-xw-output=w0o0] math", "alttext")
        for name in ("x", "t", "r"):
            assert page.is_enabled(f"#xw-in-{name}")
        for name in ("w_age", "w_sex", "b"):
            assert page.is_disabled(f"#xw-in-{name}")
        note = seen(page, "#widget-3 .xw-note")
        assert note.startswith("Not interactive") and "could not" in seen(page, ".xw-status")
        assert page.locator("#widget-1 .xw-note").is_hidden()
        _set(page, "x", "-1.25")
        assert _value(page, "w0o1") == f"{nn.sigmoid(-1.25):.6f}"
        prose = page.locator(".xw-inline .xw-result").all_inner_texts()
        assert f"{nn.sigmoid(-1.25):.4f}" in prose and f"{nn.sigmoid(-1.25):.1%}" in prose
        marker = page.get_attribute("[data-xw-output=w0o2] svg circle", "cx")
        _set(page, "x", "3")
        assert page.get_attribute("[data-xw-output=w0o2] svg circle", "cx") != marker
        # The passenger table, by a click on a row.
        page.wait_for_selector('[data-xw-input="pid"][data-xw-ready]', state="attached")
        html = _value(page, "w1o0")
        assert "Bonnell" in html or "Heikkinen" in html  # passenger 3 from the address
        _set(page, "pid", 2)
        assert "Cumings" in _value(page, "w1o0") and "Cumings" in _value(page, "w5o0")
        # Play moves the replay without Python.
        chart = page.inner_html("[data-xw-output=w3o1] .xw-result")
        page.click('[data-xw-input="t"] .xw-play')
        _until(page, "() => Number(document.getElementById('xw-in-t').value) >= 3")
        page.click('[data-xw-input="t"] .xw-play')
        page.wait_for_timeout(200)
        assert page.inner_html("[data-xw-output=w3o1] .xw-result") != chart
        assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("article", ["neural-network-math/", "widget-reference/"])
def test_table_answers_equal_what_pyodide_renders(browser, example_url, article):
    """Exact by construction: for sampled combinations of every answerable input, each
    answer equals what the page's own Python (Pyodide, in Chromium) computes."""
    with open_page(browser) as page:
        page.goto(example_url + article)
        page.wait_for_selector(READY, state="attached", timeout=90_000)
        spec = json.loads(page.get_attribute("article", "data-xw-answers"))
        files = [page.evaluate("u => fetch(u).then(r => r.json())", u) for u in spec["files"]]
        domains = {n: d for f in files for n, d in f["inputs"].items()}
        rng = random.Random(25)
        compared = 0
        for _ in range(6):
            for name, domain in domains.items():
                if "grid" in domain:
                    lo, step, count = domain["grid"]
                    k = rng.randrange(count)
                    value = f"{lo + k * step:.{_places(step)}f}"
                else:
                    value = rng.choice(domain["keys"])
                if name == "pid":
                    page.wait_for_selector('[data-xw-input="pid"][data-xw-ready]', state="attached")
                _set(page, name, value)
            answered = page.evaluate("xw.answered()")
            python = page.evaluate("xw.renderAll()")["outputs"]
            assert answered and all(v is not None for v in answered.values())
            for oid, answer in answered.items():
                assert answer == python[oid], (oid, answer, python[oid])
                compared += 1
        assert compared >= 6 * len(spec["outputs"])
        assert page.errors == []


def _places(step: float) -> int:
    text = repr(step)
    return len(text.split(".")[1]) if "." in text else 0


NONE_SITE = """---
title: No Python
---

```widget
label: Steps
inputs:
  n: {type: range, min: 0, max: 20, step: 1, value: 4, label: n}
  unit: {type: radio, options: [cm, in], value: cm, label: unit}
outputs:
  - value: f"{n * (2.54 if unit == 'in' else 1):.2f} cm"
    label: length
```

Twice that is {py}`2 * n`.
"""


@pytest.mark.browser
def test_a_site_without_a_runtime_answers_from_its_tables(browser, tmp_path):
    root = write_site(
        tmp_path / "none",
        {"content/steps.md": NONE_SITE, "site.toml": 'title = "T"\n[runtime]\nsource = "none"\n'},
    )
    build(load_config(root))
    assert not (root / "_site" / "_pyodide").exists()
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            asked = []
            page.on("request", lambda r: asked.append(r.url))
            page.goto(url + "steps/")
            page.wait_for_selector("html[data-xw-interactive=true]", state="attached")
            assert "without Python" in seen(page, ".xw-status")
            _set(page, "n", "7")
            _set(page, "unit", "in")
            assert _value(page, "w0o0") == "17.78 cm"
            assert seen(page, ".xw-inline .xw-result") == "14"
            assert not any("worker" in u or "_pyodide" in u for u in asked)
            _until(page, "() => location.search.includes('n=7')")
            page.reload()
            _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
            assert _value(page, "w0o0") == "17.78 cm"  # from the address, at first paint
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_an_address_is_untrusted_input(browser, tmp_path):
    """Values an input cannot take are ignored (the build's value kept) and the address
    stays as the reader wrote it; good ones in the same address still apply."""
    root = write_site(
        tmp_path / "addr",
        {"content/steps.md": NONE_SITE, "site.toml": 'title = "T"\n[runtime]\nsource = "none"\n'},
    )
    build(load_config(root))
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            for query in ("?n=abc&unit=zzz&other=1", "?n=99&unit=", "?n=1e400&unit=%00"):
                page.goto(url + "steps/" + query)
                page.wait_for_selector("html[data-xw-interactive=true]", state="attached")
                page.wait_for_timeout(700)  # past the settle time that writes the address
                assert page.input_value("#xw-in-n") == "4"
                assert page.is_checked("input[value=cm]")
                assert _value(page, "w0o0") == "4.00 cm"
                assert page.evaluate("location.search") == query
            page.goto(url + "steps/?n=abc&unit=in")
            _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
            assert _value(page, "w0o0") == "10.16 cm"  # the good value applied
            assert page.errors == []
    finally:
        server.shutdown()


SPLIT_SITE = """---
title: Split
---

```widget
label: Coarse
inputs:
  a: {type: range, min: 0, max: 10, step: 1, value: 2, label: a}
outputs:
  - value: a * a
```

```widget
label: Fine
inputs:
  b: {type: range, min: 0, max: 100, step: 1, value: 2, label: b}
outputs:
  - value: b + 1000
```
"""


@pytest.mark.browser
def test_what_no_table_answers_waits_for_python_then_python_answers(browser, tmp_path):
    """Past the budget (here 50 combinations) a widget waits for Python and says so;
    once Python is ready it answers it, and the tables keep answering the rest."""
    root = write_site(
        tmp_path / "split",
        {"content/split.md": SPLIT_SITE, "site.toml": 'title = "T"\n[runtime]\nprecompute = 50\n'},
    )
    result = build(load_config(root))
    assert "w1o0: 'b' has 101 positions" in result.notes[-1]
    server, url = serve_folder(root / "_site")
    held: list = []  # the runtime's requests, answered only when the test lets them

    try:
        hold = (re.compile(r".*/pyodide\.asm\.wasm.*"), lambda route: held.append(route))
        with open_page(browser, hold) as page:
            page.goto(url + "split/")
            page.wait_for_selector("html[data-xw-state=loading]", state="attached")
            assert page.is_enabled("#xw-in-a") and page.is_disabled("#xw-in-b")
            assert seen(page, "#widget-2 .xw-note").startswith("Loading Python (")
            assert "MB" in seen(page, "#widget-2 .xw-note")
            _set(page, "a", "7")
            assert _value(page, "w0o0") == "49"
            page.wait_for_timeout(300)
            for route in held:
                route.continue_()
            page.wait_for_selector(READY, state="attached", timeout=90_000)
            _set(page, "b", "55")
            assert _value(page, "w1o0") == "1055"
            _set(page, "a", "9")
            assert _value(page, "w0o0") == "81"
            assert page.errors == []
    finally:
        server.shutdown()


@pytest.mark.browser
def test_saving_data_the_tables_answer_and_python_stays_away(browser, example_url):
    from tests.browser.test_pages import SAVE_DATA

    context = browser.new_context()
    context.add_init_script(SAVE_DATA)
    page = context.new_page()
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    try:
        page.goto(example_url + "neural-network-math/")
        page.wait_for_selector(".xw-status .xw-load", state="visible")
        page.wait_for_timeout(500)
        assert not any("answers" in u for u in fetched)  # nothing before the reader reaches
        page.focus("#xw-in-x")  # a figure a table answers: no Python for it
        page.keyboard.press("ArrowRight")
        _until(page, "() => document.documentElement.dataset.xwUpdates >= 1")
        assert _value(page, "w0o1") != "0.500000"
        assert any("answers" in u for u in fetched)
        assert not any("_pyodide" in u for u in fetched)
        assert page.is_disabled("#xw-in-w_age") and "save data" in seen(page, "#widget-3 .xw-note")
    finally:
        context.close()


CSV_ARTICLE = """---
title: Rows of text
---

```python exec
import csv
import io

def fields(line):
    return next(csv.reader(io.StringIO(line)))
```

```widget
inputs:
  n: {type: text, value: "a,b", label: line}
outputs:
  - value: "' | '.join(fields(n))"
```
"""


@pytest.mark.browser
def test_a_page_fetches_the_standard_library_modules_it_imports_not_the_rest(browser, tmp_path):
    """Browser code importing csv (outside the core) makes the page fetch a zip of csv
    and what it imports, named by the build, instead of the whole rest of the library."""
    import io
    import zipfile

    root = write_site(tmp_path / "csv", {"content/rows.md": CSV_ARTICLE})
    build(load_config(root))
    html = (root / "_site" / "rows" / "index.html").read_text()
    own = re.search(r'data-xw-stdlib="[^"]* [^"]* ([^"]+)"', html)
    assert own, "the page names no modules of its own"
    names = zipfile.ZipFile(io.BytesIO((root / "_site" / own[1].lstrip("/")).read_bytes()))
    assert "csv.pyc" in names.namelist() and len(names.namelist()) < 10
    server, url = serve_folder(root / "_site")
    try:
        with open_page(browser) as page:
            fetched: list[str] = []
            page.on("request", lambda r: fetched.append(r.url))
            page.goto(url + "rows/")
            page.wait_for_selector(READY, state="attached", timeout=90_000)
            assert _value(page, "w0o0") == "a | b"
            page.fill("#xw-in-n", 'x,"y,z"')
            _until(
                page,
                "() => document.querySelector('[data-xw-output=w0o0] .xw-result')"
                ".textContent === 'x | y,z'",
            )
            assert any("stdlib-page." in u for u in fetched)
            assert not any("stdlib-rest." in u for u in fetched)
            assert page.errors == []
    finally:
        server.shutdown()
