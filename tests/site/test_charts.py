"""Charts: several marks on shared axes, checked at build time, drawn the same at build time
and in the browser, readable on a phone, with hover and keyboard tooltips."""

from __future__ import annotations

import html
import json
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.build import BuildError, build
from site_builder.config import load_config
from site_builder.runtime.charts import (
    PHONE_FONT,
    ChartError,
    Scale,
    _label,
    _labels,
    _numbers,
    _rows,
    chart,
    columns,
)


def _ticks(svg: str) -> list[str]:
    return re.findall(r'<text class="tick"[^>]*>([^<]*)</text>', svg)


def circles(svg: str, shape: str = "dot") -> list[dict]:
    """The circles of a chart's scatter (dot) or point (marker) marks, in drawing order:
    colour class, centre, radius, tip and key, read from their paths and lists."""
    found = []
    for m in re.finditer(rf'<path class="{shape} (xw-c\d)" d="([^"]*)" ([^>]*?)/?>', svg):
        # as Python writes them ('…'), or as a browser serialises them ("…")
        attrs = re.findall(r"data-xw-(\w+)=(?:'([^']*)'|\"([^\"]*)\")", m[3])
        data = {k: a or b for k, a, b in attrs}
        tips = json.loads(html.unescape(data["tips"]))
        keys = json.loads(html.unescape(data.get("keys", "null"))) or [None] * len(tips)
        arcs = re.findall(r"M(-?[\d.]+) (-?[\d.]+)a([\d.]+) ", m[2])
        assert len(arcs) == len(tips) == len(keys)
        for (x, y, r), tip, key in zip(arcs, tips, keys, strict=True):
            r = float(r)
            found.append(
                {"color": m[1], "cx": float(x) + r, "cy": float(y), "r": r, "tip": tip, "key": key}
            )
    return found


def test_points_at_the_domains_ends_are_whole_and_painted_in_order():
    """A circle is drawn only when its centre is in the domain, so it is not clipped: one
    at a corner of the plot is whole. Lines stay clipped, and marks keep their order."""
    svg = chart(
        [
            {"mark": "line", "data": [(0, 0), (1, 2)]},
            {"mark": "scatter", "data": [(0, 0), (1, 1)]},
            {"mark": "rule", "y": 0.5},
        ],
        {"domain": [0, 1]},
        {"domain": [0, 1]},
        ident="e",
    )
    groups = re.findall(r'<g clip-path="url\(#xw-clip-e\)">(.*?)</g>', svg)
    assert len(groups) == 2 and "polyline" in groups[0] and "rule" in groups[1]
    dots = svg.index('class="dot')
    assert svg.index("polyline") < dots < svg.index('class="rule')
    assert not any('class="dot' in g for g in groups)
    assert len(circles(svg, "dot")) == 2  # both corners drawn, neither cut


def test_a_log_axis_within_a_decade_has_ticks_to_read_it_by():
    """Over 0.14–1.01 the powers of ten give one tick, 1-2-5 three: the axis is ruled as
    log paper is (1…8 times the power), and where that does not fit, 1-2-5, then powers."""
    scale = Scale("log", 0.14, 1.01, 0, 500)
    assert [t for _, t in scale.ticks(500, False)] == [
        "0.2",
        "0.3",
        "0.4",
        "0.5",
        "0.6",
        "0.8",
        "1",
    ]
    decades = [t for _, t in Scale("log", 1, 1000, 0, 500).ticks(500, False)]
    assert {"1", "10", "100", "1000"} <= set(decades)  # the powers are always among them
    narrow = [t for _, t in Scale("log", 0.14, 1.01, 0, 60).ticks(60, False)]
    assert 2 <= len(narrow) < 7  # fewer, never overlapping (the property test checks that)


def test_several_series_share_axes_with_a_legend_gaps_and_clipping():
    svg = chart(
        [
            # not defined between -1 and 1: a gap
            {"mark": "line", "fn": lambda v: math.sqrt(abs(v) - 1), "label": "1/x"},
            {"mark": "line", "data": [(-2, 0.5), (0, float("nan")), (2, 3)], "label": "data"},
            {"mark": "point", "at": [(1, 1), (5, 1)]},  # the second is outside the x domain
            {"mark": "rule", "y": 0},
            {"mark": "area", "fn": lambda v: 0.5 * v, "label": "band"},
        ],
        {"domain": [-3, 3], "label": "x"},
        {"domain": [-1, 1], "label": "y"},
        ident="t",
    )
    assert svg.count('class="xw-legend"') == 1 and ">1/x</text>" in svg and ">band</text>" in svg
    curves = re.findall(r'<polyline class="curve xw-c0" points="([^"]*)"', svg)
    assert len(curves) == 2  # broken where the function has no value
    assert len(re.findall(r'<polyline class="curve xw-c1"', svg)) == 2  # NaN splits the data
    assert [d["tip"] for d in circles(svg, "marker")] == ["x 1, y 1"]  # (5, 1) is outside:
    # not drawn at the edge
    # Values beyond the y domain are clipped by the plot area, never moved onto it.
    assert '<clipPath id="xw-clip-t">' in svg and 'clip-path="url(#xw-clip-t)"' in svg
    ys = [float(p.split(",")[1]) for c in curves for p in c.split()]
    box_top = float(re.search(r'<clipPath id="xw-clip-t"><rect x="[\d.]+" y="([\d.]+)"', svg)[1])
    assert min(ys) < box_top  # sqrt(2) > 1: drawn where it is, above the clip box
    assert 'class="rule"' in svg and 'class="area xw-c4"' in svg


def test_scatter_colours_by_a_field_and_sizes_by_another():
    rows = [
        {"age": 22, "fare": 7.25, "sex": "male", "n": 1},
        {"age": 38, "fare": 71.3, "sex": "female", "n": 4},
        {"age": 26, "fare": 7.9, "sex": "female", "n": 9},
        {"age": None, "fare": 8.05, "sex": "male", "n": 1},  # no age: not drawn
    ]
    svg = chart(
        [
            {
                "mark": "scatter",
                "data": rows,
                "x": "age",
                "y": "fare",
                "color": "sex",
                "size": "n",
                "key": "n",
            }
        ],
        y={"scale": "log"},
    )
    dots = circles(svg)
    assert [(d["color"], d["tip"], d["key"]) for d in dots] == [
        ("xw-c1", "age 22, fare 7.25, sex male", "1"),  # one path per colour
        ("xw-c0", "age 38, fare 71.3, sex female", "4"),
        ("xw-c0", "age 26, fare 7.9, sex female", "9"),
    ]
    radii = [d["r"] for d in dots]
    assert radii[2] > radii[1] > radii[0]  # area grows with the size field
    assert ">female</text>" in svg and ">male</text>" in svg  # colour legend
    assert ">age</text>" in svg and ">fare</text>" in svg  # axes named by their fields
    assert _ticks(svg)[-3:] == ["10", "20", "50"]  # a log axis: 1, 2, 5 times powers of 10
    assert 'tabindex="0"' in svg


def test_a_paths_tooltips_and_keys_survive_any_text():
    """A scatter's circles are one path with their tooltips and keys as JSON in
    single-quoted attributes: quotes, ampersands, angle brackets, line breaks and non-ASCII
    text in a field come back as written, in the circles' order, and a missing key is null."""
    names = ["it's", 'say "hi"', "a&b <c>", "two\nlines", "café ☕", "</svg>"]
    rows = [{"x": k, "y": k * 2, "who": w, "id": w if k % 2 else None} for k, w in enumerate(names)]
    svg = chart([{"mark": "scatter", "data": rows, "color": "who", "key": "id"}])
    assert "</svg>" not in svg[:-6] and "'s" not in svg  # nothing ends the attribute or the svg
    drawn = sorted(circles(svg), key=lambda c: c["cx"])
    assert [c["tip"] for c in drawn] == [f"x {k}, y {k * 2}, who {w}" for k, w in enumerate(names)]
    assert [c["key"] for c in drawn] == [w if k % 2 else None for k, w in enumerate(names)]


def test_a_note_near_the_right_edge_ends_at_its_point():
    """A text mark starts right of its point unless it would run past the plot's right
    edge with more room on the left: then it ends at its point, inside the plot."""
    note = "the walker ends here, far from home"
    axes = {"x": {"domain": [0, 10]}, "y": {"domain": [0, 1]}}
    for x, anchored in ((1, False), (4, False), (7, True), (9, True)):
        svg = str(chart([{"mark": "text", "text": note, "at": (x, 0.5)}], **axes))
        text = re.search(r'<text class="note" ([^>]*)>', svg)[1]
        assert ('text-anchor="end"' in text) == anchored, (x, text)
    short = str(chart([{"mark": "text", "text": "n", "at": (9, 0.5)}], **axes))
    assert 'text-anchor="end"' not in re.search(r'<text class="note"[^>]*>', short)[0]


def test_bars_of_categories_and_their_errors():
    svg = chart(
        [
            {
                "mark": "bar",
                "data": {"class": ["first", "second", "third"], "n": [216, 184, 491]},
                "x": "class",
                "y": "n",
            }
        ]
    )
    assert _ticks(svg)[:3] == ["first", "second", "third"]
    heights = [float(h) for h in re.findall(r'<rect class="bar[^"]*"[^>]* height="([\d.]+)"', svg)]
    assert heights[2] > heights[0] > heights[1] > 0
    for marks, message in [
        (
            [{"mark": "bar", "data": {"a": [1, 2], "b": [1]}, "x": "a", "y": "b"}],
            "mark 1 (bar): columns of different lengths (a: 2, b: 1)",
        ),
        (
            [{"mark": "scatter", "data": [{"x": 1}], "x": "x", "y": "y"}],
            "mark 1 (scatter): row 0 has no field 'y' (it has x)",
        ),
        (
            [{"mark": "line", "fn": math.sin}],
            "the x axis has no finite values to span: give it a domain",
        ),
        ([{"mark": "pie", "data": []}], "mark 1: unknown kind 'pie'"),
    ]:
        with pytest.raises(ChartError) as caught:
            chart(marks)
        assert str(caught.value).startswith(message)


@settings(max_examples=200, deadline=None)
@given(
    lo=st.floats(-1e6, 1e6, allow_nan=False),
    span=st.floats(1e-6, 1e7, allow_nan=False),
    room=st.floats(120, 460),
    log=st.booleans(),
    vertical=st.booleans(),
)
def test_tick_labels_never_overlap_at_their_phone_size(lo, span, room, log, vertical):
    if log:
        lo = abs(lo) + 1e-3
    hi = lo + span
    if not (hi > lo):
        return
    scale = Scale("log" if log else "linear", lo, hi, 0, room)
    ticks = scale.ticks(room, vertical)
    assert ticks  # an axis always says where it is
    for (a, ta), (b, tb) in zip(ticks, ticks[1:], strict=False):
        gap = abs(b - a)
        if vertical:
            assert gap >= PHONE_FONT * 1.2, (ta, tb, gap)
        else:  # labels centred on their ticks, about 0.6 em per character
            assert gap >= (len(ta) + len(tb)) / 2 * PHONE_FONT * 0.6, (ta, tb, gap)


_values = st.one_of(
    st.floats(-1e3, 1e3) | st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0]),
    st.integers(-1000, 1000),
    st.sampled_from([None, True, "7", "x", "1e400"]),
)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.lists(_values, min_size=2, max_size=4).map(lambda r: r if len(r) % 2 else tuple(r)),
        max_size=30,
    )
)
def test_rows_read_as_columns_and_numbers_as_each_value_alone(rows):
    """Pairs (and longer rows, lists or tuples) read as columns by position, whatever the
    mix of lengths; a column of numbers reads as each value alone: NaN for what is not
    a number (None, True, "x"), floats for the rest."""
    assert columns(rows, ["x", "y"]) == [[r[0] for r in rows], [r[1] for r in rows]]
    for col in columns(rows, ["x", "y"]):
        plain = [float("nan") if v is None or isinstance(v, bool) else _float(v) for v in col]
        assert [repr(v) for v in _numbers(col)] == [repr(v) for v in plain]


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True)
        | st.floats(-1e5, 1e5).map(round).map(float)  # whole numbers, some past 4 digits
        | st.sampled_from([-0.0, 0.0, 1e-5, 9999.0, 10000.0, 1e15, 0.00012345]),
        max_size=40,
    ),
    mixed=st.booleans(),
)
def test_a_column_of_labels_reads_as_each_value_alone(values, mixed):
    """Tooltips label a column of floats in one format call (charts._labels); each label
    must be the one _label gives the value alone (a `.4g` that leaks '1e+04', 'nan' or
    '-0' fails this)."""
    if mixed:
        values = [*values, 7, "x", None]
    assert _labels(values) == [_label(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(
    names=st.lists(st.text("xy%{}\n ,", min_size=1, max_size=6), min_size=1, max_size=3),
    cells=st.lists(st.text("ab%s{}\n ,é", max_size=6), max_size=12),
)
def test_a_tooltip_names_each_value_whatever_the_text(names, cells):
    """charts._rows writes every tooltip with one format call unless a line break is in
    the text; names with % or braces, and texts with line breaks, read the same."""
    columns = [cells[k :: len(names)] for k in range(len(names))]
    count = min(len(c) for c in columns)
    columns = [c[:count] for c in columns]
    expected = [
        ", ".join(f"{name} {col[i]}" for name, col in zip(names, columns, strict=True))
        for i in range(count)
    ]
    assert _rows(names, columns) == expected


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(_values, _values, st.sampled_from(["a", 'b"<&', None, 3]), st.integers(0, 9)),
        max_size=30,
    ),
    shape=st.sampled_from(["dicts", "rows", "pairs"]),
    coloured=st.booleans(),
    keyed=st.booleans(),
    kind=st.sampled_from(["scatter", "point"]),
    domain=st.tuples(st.floats(-600, 0), st.floats(1, 600)),
)
def test_circles_on_linear_axes_are_drawn_as_the_general_path_draws_them(
    rows, shape, coloured, keyed, kind, domain
):
    """Circles on two linear axes take a fast path (charts._dots); on any data it must
    draw exactly what the general path draws (which log axes and sizes still take).
    Rows as dicts, as longer rows, or as exact pairs."""
    as_dicts = shape == "dicts"
    if shape == "pairs":
        rows = [(a, b, None, 0) for a, b, _, _ in rows]  # x, y only, as the data gives
    if kind == "point":
        mark = {"mark": "point", "at": [(a, b) for a, b, _, _ in rows] or [(0.0, 0.0)]}
    else:
        fields = ["u", "v", "c", "k"]
        data = [dict(zip(fields, r, strict=True)) for r in rows] if as_dicts else rows
        if shape == "pairs":
            data = [r[:2] for r in rows]
        mark = {"mark": "scatter", "data": data, "x": "u", "y": "v"}
        if not as_dicts:
            mark.update(x="x", y="y")
        if coloured and as_dicts:
            mark["color"] = "c"
        if keyed and as_dicts:
            mark["key"] = "k"
    axes = {"x": {"domain": list(domain)}, "y": {"domain": [-500, 500]}}
    try:
        fast = str(chart([mark], **axes))
    except ChartError:
        return
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(Scale, "__init__", _general_scale(Scale.__init__))
        general = str(chart([mark], **axes))
    assert fast == general


def _general_scale(init):
    """Scale.__init__, then the fast path switched off for this scale."""

    def wrapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.linear = False

    return wrapped


ARTICLE = """---
title: Chart
---

```python exec
import math
def sigmoid(z):
    return 1 / (1 + math.exp(-z))
people = [{{"age": a, "fare": (a * 7) % 50 + 2, "group": "ab"[a % 2], "id": a}}
          for a in range(1, 80, 3)]
```

```widget
inputs:
  z: {{type: range, min: -6, max: 6, step: 0.5, value: {z}, label: z}}
outputs:
  - chart:
      - line: sigmoid
        label: sigmoid
      - line: "lambda v: sigmoid(2 * v)"
        label: steeper
      - point: (z, sigmoid(z))
      - rule: z
      - scatter: "[p for p in people if p['age'] < 40 + 5 * z]"
        x: age
        y: fare
        color: group
        key: id
      - text: "f'z = {{z}}'"
        at: (z, 0.5)
    x: {{label: z or age}}
    y: {{domain: [0, 60], label: value}}
```
"""


@pytest.mark.parametrize(
    ("chart_yaml", "expected"),
    [
        (
            "  - chart: sigmoid\n",
            "content/c.md:7: error: a chart is a list of marks, e.g. - line: sigmoid",
        ),
        (
            "  - chart:\n      - pie: data\n",
            "content/c.md:8: error: each mark needs exactly one of: line",
        ),
        (
            "  - chart:\n      - scatter: data\n        colour: group\n",
            "content/c.md:9: error: unknown option 'colour' for a scatter mark",
        ),
        (
            "  - chart:\n      - line: f\n    y: {scale: log, domain: [0, 1]}\n",
            "content/c.md:9: error: y: a log axis needs a domain above 0, got [0, 1]",
        ),
        (
            "  - chart:\n      - text: \"'a'\"\n",
            "content/c.md:8: error: a text mark needs at: (x, y)",
        ),
        (
            "  - chart:\n      - bar: \"{'a': [1, 2], 'b': [3]}\"\n        x: a\n        y: b\n",
            "content/c.md:7: error: output failed: ChartError: mark 1 (bar): columns of different "
            "lengths (a: 2, b: 1)",
        ),
    ],
)
def test_a_bad_chart_is_an_error_at_its_line(make_site, chart_yaml, expected):
    root = make_site(
        {"content/c.md": "---\ntitle: c\n---\n\n```widget\noutputs:\n" + chart_yaml + "```\n"}
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(expected)


def _charts(page: str) -> list[str]:
    return re.findall(r'<svg class="xw-plot xw-chart".*?</svg>', page, re.S)


def on_screen(page, circle: dict) -> tuple[float, float]:
    """Where a chart's circle (see circles) is on the screen, 1 unit right of its centre
    (the chart scrolled into view)."""
    return page.evaluate(
        """([x, y]) => {
          const svg = document.querySelector("svg.xw-chart");
          svg.scrollIntoView({ block: "center" });
          const at = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
          return [at.x, at.y];
        }""",
        [circle["cx"] + 1, circle["cy"]],
    )


def _normal(svg: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """An SVG as (tag, sorted attributes) and texts, whatever wrote it."""
    found = []
    for m in re.finditer(r"<(/?)([\w:-]+)([^>]*?)/?>|([^<]+)", svg):
        if m[4] is not None:
            found.append(("#text", ((m[4], ""),)))
        elif not m[1]:
            attrs = tuple(
                sorted(
                    (k, html.unescape(a or b))
                    for k, a, b in re.findall(r"""([\w:-]+)=(?:'([^']*)'|"([^"]*)")""", m[3])
                )
            )
            # What the page adds for a reader (text kept readable, the point shown) aside.
            kept = tuple(
                (k, v)
                for k, v in attrs
                if k not in ("data-xw-size", "style") and not (k == "class" and "xw-active" in v)
            )
            found.append((m[2], kept))
    return found


LINKED = """---
title: Linked
---

```python exec
people = [{"id": i, "age": 10 + 7 * i, "fare": 5 + i * i} for i in range(1, 9)]
```

```widget
inputs:
  who:
    type: rows
    rows: people
    key: id
    value: 3
outputs:
  - value: f"chosen {who}"
  - chart:
      - scatter: people
        x: age
        y: fare
        key: id
        link: who
```
"""


FIGURE = """---
title: Figure
---

```python build
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot([0, 1, 2], [0, 1, 4], label="squares", linestyle="--")
ax.set_title("Squares & more")
ax.legend()
fig
```
"""


def test_a_matplotlib_figure_becomes_inline_svg_the_page_policy_allows(make_site, tmp_path):
    from tests.conftest import write_site

    pytest.importorskip("matplotlib")  # not a dependency of the builder; the tests have it
    root = make_site({"content/f.md": FIGURE})
    build(load_config(root))
    page = (root / "_site" / "f" / "index.html").read_text()
    svg = re.search(r"<svg class=\"xw-figure\".*?</svg>", page, re.S)[0]
    head = svg[: svg.index(">")]
    assert 'role="img" aria-label="Squares &amp; more"' in head and 'viewBox="0 0 360 216"' in head
    assert "width=" not in head and "height=" not in head  # scales to its column
    assert "style=" not in svg and "<style" not in svg  # presentation as attributes
    assert 'stroke-dasharray="' in svg and ">squares</text>" in svg  # text stays text
    other = write_site(tmp_path / "again", {"content/f.md": FIGURE})
    build(load_config(other))
    assert (other / "_site" / "f" / "index.html").read_text() == page  # the same bytes


DRAG = """---
title: Drag
---

```python exec
import math
def sigmoid(z):
    return 1 / (1 + math.exp(-z))
```

```widget
inputs:
  z: {type: range, min: -6, max: 6, step: 0.5, value: 0, label: z}
  a: {type: range, min: 0, max: 10, step: 1, value: 2, label: a}
  b: {type: range, min: 0, max: 10, step: 1, value: 3, label: b}
outputs:
  - chart:
      - line: sigmoid
      - drag: z
        y: sigmoid(z)
    x: {domain: [-6, 6], label: z}
    y: {domain: [0, 1], label: sigmoid}
  - chart:
      - drag: [a, b]
    x: {domain: [0, 10], label: a}
    y: {domain: [0, 10], label: b}
  - value: f"{z} {a} {b}"
```
"""


def test_a_handle_bound_to_no_such_input_is_an_error(make_site):
    root = make_site(
        {
            "content/d.md": "---\ntitle: d\n---\n\n```widget\ninputs:\n  z: {type: checkbox}\n"
            "outputs:\n  - chart:\n      - drag: [z, w]\n```\n"
        }
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).split("\n")[0::2] == [
        "content/d.md:10: error: drag: 'w' is not a range or number input of this article",
        "content/d.md:10: error: drag: 'z' is not a range or number input of this article",
    ]


SIDE = (
    """---
title: Side
---

## A section

```widget
place: side
label: Beside the text
inputs:
  z: {type: range, min: 0, max: 1, step: 0.1, value: 0.5}
outputs:
  - value: z * 2
```

Some prose that flows beside the figure on a wide screen. """
    + "More words here. " * 60
    + "\n"
)


LEGENDS = """---
title: Legends
---

```python exec
species = ["setosa", "versicolor", "virginica", "a much longer species name", "fifth kind"]
rows = [{"x": i, "y": i * i, "s": species[i % 5]} for i in range(20)]
```

```widget
outputs:
  - chart:
      - scatter: rows
        x: x
        y: y
        color: s
      - line: "lambda x: x * 10"
        label: ten times x
      - rule: 3
        label: a rule at three
```
"""

LEGEND_BOXES = """() => [...document.querySelectorAll("svg.xw-chart")].map((svg) => {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("g.xw-legend text")].map((t) => {
    const r = t.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom, t.textContent];
  });
  return { box: [box.left, box.top, box.right, box.bottom], texts };
})"""


def test_a_rules_legend_entry_looks_like_the_rule_and_goes_with_it():
    from site_builder.runtime.charts import chart

    svg = str(
        chart(
            [
                {"mark": "line", "fn": lambda v: v, "label": "identity"},
                {"mark": "rule", "x": 3, "label": "inside"},
                {"mark": "rule", "x": 99, "label": "outside"},
            ],
            {"domain": [0, 10]},
        )
    )
    legend = re.search(r'<g class="xw-legend">(.*?)</g>', svg)[1]
    assert re.findall(r'<text class="legend"[^>]*>([^<]*)', legend) == ["identity", "inside"]
    assert '<line class="rule"' in legend  # dashed, in the text's colour, as drawn


def test_a_drag_handle_is_named_by_the_inputs_it_moves():
    from site_builder.runtime.charts import chart

    axes = {"domain": [0, 10]}, {"domain": [0, 10], "label": "σ(z)"}
    moved = str(chart([{"mark": "drag", "at": (2, 4), "bind": ["speed", "angle"]}], *axes))
    assert 'data-xw-tip="speed 2, angle 4"' in moved
    along = str(chart([{"mark": "drag", "at": (2, 4), "bind": ["z"]}], *axes))
    assert 'data-xw-tip="z 2, σ(z) 4"' in along


# --- a grammar that follows the inputs: expressions, histograms, equal units, groups ------


def _page(marks, **chart_options):
    from site_builder.runtime.reactive import Page

    ns: dict = {"__name__": "__main__"}
    exec(
        "rows = [{'a': i, 'b': i * i, 'c': -i, 'kind': 'odd' if i % 2 else 'even'}"
        " for i in range(1, 7)]\n",
        ns,
    )
    inputs = [
        {"name": "field", "type": "select", "value": "b", "options": ["b", "c"]},
        {"name": "top", "type": "range", "value": 10, "integer": True},
    ]
    spec = {"id": "w0o0", "type": "chart", "marks": marks, "deps": ["field", "top"]}
    return Page(ns, inputs, [spec | chart_options])


def test_any_option_may_be_an_expression_of_the_inputs():
    page = _page(
        [{"mark": "scatter", "expr": "rows", "x": "a", "y": {"=": "field"}, "label": "pts"}],
        x={"domain": {"=": "[0, top]"}, "label": {"=": "f'a up to {top}'"}},
        y={"label": {"=": "field.upper()"}},
        title={"=": "f'{field} against a'"},
    )
    svg = page.render_all()["w0o0"]["value"]
    assert "a up to 10" in svg and ">B</text>" in svg and 'aria-label="b against a:' in svg
    assert "b 36" in svg  # b of the last row: 6 * 6
    changed = json.loads(page.update('{"field": "c", "top": 20}'))["outputs"]["w0o0"]["value"]
    assert "a up to 20" in changed and ">C</text>" in changed and "c -6" in changed
    x_ticks = r'<text class="tick"[^>]*text-anchor="middle">([^<]*)'
    assert re.findall(x_ticks, svg)[-1] == "10" and re.findall(x_ticks, changed)[-1] == "20"


def test_expression_options_make_the_output_depend_on_their_inputs(make_site):
    from site_builder.article_program import output_spec
    from site_builder.model import Output

    marks = [{"mark": "scatter", "expr": "rows", "line": 9, "x": {"=": "across"}}]
    options = {"marks": marks, "x": {"label": {"=": "unit"}}, "title": {"=": "heading"}}
    spec = output_spec(Output("w0o0", "chart", 8, options), {"across", "unit", "heading", "no"})
    assert spec["deps"] == ["across", "heading", "unit"]


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("        bins: 0\n", "content/c.md:9: error: bins: a whole number from 1 to 1000, got 0"),
        ("        thresholds: [1]\n", "content/c.md:9: error: thresholds: a list of two edges"),
        ("        x: =(\n", "content/c.md:9: error: invalid Python expression '('"),
        ("        x: 3\n", "content/c.md:9: error: x: expected a field name or a label"),
        ("        label: =f'{n}'\n    aspect: square\n", "content/c.md:10: error: aspect: equal"),
    ],
)
def test_a_bad_grammar_option_is_an_error_at_its_line(make_site, option, expected):
    text = "---\ntitle: c\n---\n\n```widget\noutputs:\n  - chart:\n      - histogram: [1, 2]\n"
    root = make_site({"content/c.md": text + option + "```\n"})
    with pytest.raises(BuildError) as caught:
        build(load_config(root))
    assert str(caught.value).startswith(expected)


def test_a_fixed_option_cannot_be_an_expression(make_site):
    text = (
        "---\ntitle: c\n---\n\n```widget\noutputs:\n  - chart:\n      - scatter: [(1, 2)]\n"
        "        link: =name\n```\n"
    )
    with pytest.raises(BuildError) as caught:
        build(load_config(make_site({"content/c.md": text})))
    assert "content/c.md:9: error: this option must be written as it is" in str(caught.value)


def _bars(svg: str) -> list[tuple[float, float, float, float, str]]:
    found = re.findall(
        r'<rect class="bar[^"]*" x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)" '
        r'data-xw-tip="([^"]*)"',
        svg,
    )
    return [(float(a), float(b), float(c), float(d), t) for a, b, c, d, t in found]


def test_a_histogram_counts_each_value_once_in_round_bins():
    values = [0.1, 0.2, 0.25, 0.9, 1.0, 1.5, 2.0, math.nan, 2.0]
    bars = _bars(str(chart([{"mark": "histogram", "data": values, "bins": 4}])))
    assert [t for *_, t in bars] == ["0 to 0.5, count 3", "0.5 to 1, count 1", "1 to 1.5, count 1",
                                     "1.5 to 2, count 3"]  # fmt: skip
    # Adjacent bins, a hairline apart; heights proportional to the counts.
    for (x0, _, w0, _, _), (x1, *_) in zip(bars, bars[1:], strict=False):
        assert 0 < x1 - (x0 + w0) <= 1.02
    assert bars[0][3] == pytest.approx(bars[3][3], abs=0.02)
    assert bars[0][3] == pytest.approx(3 * bars[1][3], abs=0.02)
    # Edges of its own, from rows: values outside them are not counted.
    rows = [{"v": v} for v in (1, 2, 2, 3, 3, 3, 10)]
    edged = str(chart([{"mark": "histogram", "data": rows, "x": "v", "thresholds": [0, 2, 4]}]))
    assert [t for *_, t in _bars(edged)] == ["0 to 2, count 1", "2 to 4, count 5"]
    assert _ticks(edged)[0] == "0" and "4" in _ticks(edged)


def test_equal_aspect_draws_a_unit_as_long_on_both_axes():
    ring = [(math.cos(t / 20 * math.pi), 3 + math.sin(t / 20 * math.pi)) for t in range(41)]
    for x_domain in ([-1, 1], [-8, 8], [-0.3, 0.3]):  # square, wide, tall
        svg = str(chart([{"mark": "line", "data": ring}], {"domain": x_domain}, aspect="equal"))
        points = [
            tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]*)"', svg)[1].split()
        ]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        assert max(xs) - min(xs) == pytest.approx(max(ys) - min(ys), abs=0.05)
        height = float(re.search(r'viewBox="0 0 480 ([\d.]+)"', svg)[1])
        assert 100 < height < 700
    with pytest.raises(ChartError, match="aspect: equal needs two linear axes"):
        chart([{"mark": "line", "data": ring}], y={"scale": "log"}, aspect="equal")


def test_one_table_draws_several_coloured_lines_with_their_legend():
    rows = [{"t": t, "v": t * k, "k": f"k={k}"} for k in (1, 2, 3) for t in range(5)]
    svg = str(chart([{"mark": "line", "data": rows, "x": "t", "y": "v", "color": "k"}]))
    lines = re.findall(r'<polyline class="curve (xw-c\d)" points="([^"]*)"', svg)
    assert [c for c, _ in lines] == ["xw-c0", "xw-c1", "xw-c2"]
    assert all(len(p.split()) == 5 for _, p in lines)
    legend = re.search(r'<g class="xw-legend">(.*?)</g>', svg)[1]
    assert re.findall(r'<text class="legend"[^>]*>([^<]*)', legend) == ["k=1", "k=2", "k=3"]
    assert legend.count('<line class="curve') == 3  # swatches drawn as lines
    grouped = str(chart([{"mark": "line", "data": rows, "x": "t", "y": "v", "z": "k"}]))
    assert re.findall(r'<polyline class="curve (xw-c\d)"', grouped) == ["xw-c0"] * 3
    assert "xw-legend" not in grouped


def test_lines_and_rules_are_drawn_in_the_style_they_ask_for_legend_too():
    svg = str(
        chart(
            [
                {"mark": "line", "fn": lambda v: v, "label": "a", "style": "dotted"},
                {"mark": "rule", "x": 0.5, "label": "r", "style": "solid"},
            ],
            {"domain": [0, 1]},
        )
    )
    assert '<polyline class="curve xw-c0 dotted"' in svg and svg.count('class="rule solid"') == 2
    assert '<line class="curve xw-c0 dotted" x1=' in svg  # the swatch
    with pytest.raises(ChartError, match="style must be one of solid, dashed, dotted"):
        chart([{"mark": "scatter", "data": [(1, 2)], "style": "dashed"}])


def test_text_marks_from_lists_and_their_errors():
    svg = str(chart([{"mark": "text", "at": [(1, 1), (2, 2)], "text": ["one", "two"]},
                     {"mark": "point", "at": [(0, 0), (3, 3)]}]))  # fmt: skip
    assert re.findall(r'<text class="note"[^>]*>([^<]*)', svg) == ["one", "two"]
    with pytest.raises(ChartError, match="2 texts for 3 points"):
        chart([{"mark": "text", "at": [(1, 1), (2, 2), (3, 3)], "text": ["a", "b"]}])


def test_bars_are_whole_beside_a_function_and_rules_widen_the_domain():
    svg = str(chart([{"mark": "bar", "data": [(1, 2), (2, 3), (3, 1)]},
                     {"mark": "line", "fn": lambda v: v}]))  # fmt: skip
    left = float(re.search(r'<clipPath [^>]*><rect x="([\d.]+)"', svg)[1])
    right = left + float(re.search(r'<clipPath [^>]*><rect [^>]*width="([\d.]+)"', svg)[1])
    bars = _bars(svg)
    assert left <= bars[0][0] and bars[-1][0] + bars[-1][2] <= right + 0.01
    wide = _bars(str(chart([{"mark": "bar", "data": [(1, 2), (3, 1)], "width": 1.5}])))
    assert wide[0][2] == pytest.approx(wide[1][2]) and wide[0][2] > 100  # 1.5 of 4.5 units
    ruled = str(chart([{"mark": "scatter", "data": [(1, 2), (2, 3)]}, {"mark": "rule", "x": 10}]))
    assert ruled.count('<line class="rule"') == 1 and "10" in _ticks(ruled)
