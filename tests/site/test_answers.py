"""Answers before Python (site_builder/answers.py): outputs whose inputs have small, finite
spaces are computed for every combination at build time and answered from those tables
at first paint, with or without the runtime; exactly what the browser's Python renders."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder import answers
from site_builder.build import build
from site_builder.config import load_config
from site_builder.runtime.reactive import Page
from tests.conftest import seen

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
