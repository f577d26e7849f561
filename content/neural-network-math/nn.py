"""The article's networks in plain Python: forward passes and diagrams drawn from a description.

Standard library only, so the same code runs at build time and in the reader's browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from site_builder.runtime import HTML, escape


def sigmoid(x: float) -> float:
    """The logistic function, written so large |x| never overflows."""
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    e = math.exp(x)
    return e / (1 + e)


def relu(x: float) -> float:
    return max(0.0, x)


def fmt(x: float, digits: int = 4) -> str:
    """A signed number with a real minus sign, for diagrams."""
    text = f"{x:.{digits}f}"
    return text.replace("-", "−") if not text.strip("-0.") == "" else text.lstrip("-")


# --- diagrams --------------------------------------------------------------------------


@dataclass
class Node:
    """One circle of a diagram: *label* inside, *note* (a value) beneath."""

    id: str
    label: str
    kind: str = "unit"  # input | bias | sum | act | unit | output
    note: str = ""


@dataclass
class Edge:
    source: str
    target: str
    weight: float | None = None
    label: str = ""


def draw(columns: list[list[Node]], edges: list[Edge], *, title: str, width: int = 560,
         row_gap: int = 78, radius: int = 24) -> HTML:
    """Lay out *columns* left to right and connect them; return an accessible SVG."""
    rows = max(len(c) for c in columns)
    height = rows * row_gap + 30
    step = (width - 2 * (radius + 40)) / max(len(columns) - 1, 1)
    where: dict[str, tuple[float, float]] = {}
    for i, column in enumerate(columns):
        x = radius + 40 + i * step
        top = (height - 30 - len(column) * row_gap) / 2 + row_gap / 2
        for j, node in enumerate(column):
            where[node.id] = (x, top + j * row_gap)
    parts = []
    for e in edges:
        (x1, y1), (x2, y2) = where[e.source], where[e.target]
        sign = "" if e.weight is None else (" pos" if e.weight >= 0 else " neg")
        stroke = 1.5 if e.weight is None else 1 + min(abs(e.weight), 3)
        parts.append(f'<line class="edge{sign}" x1="{x1 + radius:.1f}" y1="{y1:.1f}" '
                     f'x2="{x2 - radius:.1f}" y2="{y2:.1f}" stroke-width="{stroke:.1f}"/>')
        if e.label:
            mx, my = x1 + radius + (x2 - x1 - 2 * radius) * 0.35, y1 + (y2 - y1) * 0.35 - 6
            parts.append(f'<text class="small" x="{mx:.1f}" y="{my:.1f}" '
                         f'text-anchor="middle">{escape(e.label)}</text>')
    for column in columns:
        for node in column:
            x, y = where[node.id]
            parts.append(f'<circle class="node {node.kind}" cx="{x:.1f}" cy="{y:.1f}" '
                         f'r="{radius}"/>')
            parts.append(f'<text x="{x:.1f}" y="{y:.1f}" dy="0.35em" '
                         f'text-anchor="middle">{escape(node.label)}</text>')
            if node.note:
                parts.append(f'<text class="value" x="{x:.1f}" y="{y + radius + 15:.1f}" '
                             f'text-anchor="middle">{escape(node.note)}</text>')
    return HTML(f'<svg class="nn-diagram" width="{width}" viewBox="0 0 {width} {height}" role="img" '
                f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
                f'{"".join(parts)}</svg>')


def element(kind: str) -> HTML:
    """Small diagrams of each building block, drawn with the same code as the networks."""
    if kind == "input":
        return draw([[Node("x", "x", "input", "an input")]], [], title="An input node holds "
                    "one feature of one passenger", width=140)
    if kind == "weight":
        return draw([[Node("x", "x", "input")], [Node("y", "x·w")]],
                    [Edge("x", "y", 1, "× w")], title="A weighted connection multiplies the "
                    "value it carries by its weight", width=260)
    if kind == "sum":
        return draw([[Node("a", "a", "input"), Node("b", "b", "input")], [Node("s", "Σ", "sum",
                    "a + b")]], [Edge("a", "s"), Edge("b", "s")],
                    title="A sum node adds everything that flows into it", width=260)
    if kind == "bias":
        return draw([[Node("one", "1", "bias", "bias")], [Node("s", "Σ", "sum")]],
                    [Edge("one", "s", 1, "× b")], title="The bias is a weight on a constant "
                    "input of 1", width=260)
    if kind == "sigmoid":
        return draw([[Node("z", "z", "sum")], [Node("p", "σ", "act", "0 … 1")]],
                    [Edge("z", "p")], title="The sigmoid squeezes any number into the range "
                    "0 to 1", width=260)
    raise ValueError(f"unknown element {kind!r}")


# --- the single neuron -------------------------------------------------------------------


def verdict(survive: bool) -> str:
    return "survived" if survive else "did not survive"


def single_neuron(person: list, w_age: float, w_sex: float, bias: float,
                  fill_age: float | None = None) -> HTML:
    """The one-neuron network with one passenger's values flowing through it.

    *person* is [id, name, age or None, sex 0/1, survived 0/1].
    """
    pid, name, age, sex, survived = person
    missing = age is None
    shown_age = fill_age if missing and fill_age is not None else age
    columns = [[Node("age", "Age", "input", "missing" if missing else f"{age:g}"),
                Node("sex", "Sex", "input", f"{sex} ({'female' if sex else 'male'})"),
                Node("one", "1", "bias", "bias")]]
    lines = [f"<strong>{escape(name)}</strong> (passenger {pid})"]
    if shown_age is None:
        edges = [Edge("age", "sum", w_age, f"× {fmt(w_age, 6)}"),
                 Edge("sex", "sum", w_sex, f"× {fmt(w_sex, 6)}"),
                 Edge("one", "sum", bias, f"× {fmt(bias, 6)}")]
        columns += [[Node("sum", "Σ", "sum", "z = ?")], [Node("out", "σ", "act", "?")]]
        edges.append(Edge("sum", "out"))
        lines.append("No age was recorded, so the network has nothing to multiply by "
                     f"{fmt(w_age, 6)}: it cannot score this passenger. The accuracy figures "
                     "count such a passenger as predicted <em>did not survive</em>, as the "
                     "original evaluation did.")
        lines.append(f"This passenger actually <strong>{verdict(bool(survived))}</strong>.")
        title = f"{name}: age missing, so no prediction"
        return _figure(columns, edges, title, lines)
    z = shown_age * w_age + sex * w_sex + bias
    p = sigmoid(z)
    predicted = p > 0.5
    columns += [[Node("sum", "Σ", "sum", f"z = {fmt(z)}")],
                [Node("out", "σ", "act", f"{p:.1%}")]]
    edges = [Edge("age", "sum", w_age, f"× {fmt(w_age, 6)}"),
             Edge("sex", "sum", w_sex, f"× {fmt(w_sex, 6)}"),
             Edge("one", "sum", bias, f"× {fmt(bias, 6)}"), Edge("sum", "out")]
    age_note = (f" (no age recorded; the median {shown_age:g} stands in)" if missing else "")
    lines.append(
        f"{shown_age:g} × {fmt(w_age, 6)} + {sex} × {fmt(w_sex, 6)} + {fmt(bias, 6)} "
        f"= {fmt(z)}{age_note}; σ({fmt(z)}) = {p:.4f}"
    )
    lines.append(_verdict_line(p, predicted, bool(survived)))
    title = (f"{name}: age {shown_age:g}, sex {sex}; z = {fmt(z)}; probability {p:.1%}; "
             f"predicted {verdict(predicted)}; actually {verdict(bool(survived))}")
    return _figure(columns, edges, title, lines)


def _verdict_line(p: float, predicted: bool, survived: bool) -> str:
    mark = "✓ right" if predicted == survived else "✗ wrong"
    cls = "verdict-yes" if predicted == survived else "verdict-no"
    return (f"Probability of survival <strong>{p:.1%}</strong>: predicted "
            f"<strong>{verdict(predicted)}</strong>; actually <strong>{verdict(survived)}"
            f'</strong> — <span class="{cls}">{mark}</span>')


def _figure(columns: list[list[Node]], edges: list[Edge], title: str, lines: list[str]) -> HTML:
    svg = draw(columns, edges, title=title)
    text = "".join(f"<p>{line}</p>" for line in lines)
    return HTML(f'<div class="nn-figure">{svg}{text}</div>')


# --- accuracy over all passengers, for the sliders ------------------------------------------


def accuracy(people: list, w_age: float, w_sex: float, bias: float, first: int, last: int):
    """(correct, total) for passengers first..last (1-based, inclusive); no age -> 'died'."""
    right = 0
    for pid, _name, age, sex, survived in people[first - 1 : last]:
        predicted = age is not None and sigmoid(age * w_age + sex * w_sex + bias) > 0.5
        right += predicted == bool(survived)
    return right, last - first + 1


def score(people: list, w_age: float, w_sex: float, bias: float, first: int, last: int) -> str:
    right, total = accuracy(people, w_age, w_sex, bias, first, last)
    return f"{right / total:.2%} ({right} of {total})"


def boundary(w_age: float, w_sex: float, bias: float) -> HTML:
    """Describe where the prediction flips, per sex, in words and as a chart."""
    parts = []
    for sex, who in ((1, "women"), (0, "men")):
        base = sex * w_sex + bias  # z = base + age * w_age; survive when z > 0
        if w_age == 0:
            rule = f"all {who} survive" if base > 0 else f"no {who} survive"
        else:
            cutoff = -base / w_age
            if w_age < 0:
                rule = (f"{who} younger than {cutoff:.3f} survive" if cutoff > 0
                        else f"no {who} survive")
            else:
                rule = (f"{who} older than {cutoff:.3f} survive" if cutoff > 0
                        else f"all {who} survive")
        parts.append(rule)
    text = "; ".join(parts)
    return HTML(f"<p>With these weights: <strong>{escape(text)}</strong> "
                "(every passenger with an age in 0–80).</p>" + _boundary_chart(w_age, w_sex,
                                                                                bias))


def _boundary_chart(w_age: float, w_sex: float, bias: float) -> str:
    width, height, left, top, pw, ph = 560, 200, 44, 10, 500, 150
    lines = []
    for y in (0, 0.5, 1):
        sy = top + (1 - y) * ph
        lines.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{sy:.1f}" '
                     f'y2="{sy:.1f}"/><text class="tick" x="{left - 6}" y="{sy:.1f}" '
                     f'dy="0.32em" text-anchor="end">{y:g}</text>')
    for age in range(0, 81, 10):
        sx = left + age / 80 * pw
        lines.append(f'<text class="tick" x="{sx:.1f}" y="{top + ph + 16}" '
                     f'text-anchor="middle">{age}</text>')
    for sex, cls, name in ((1, "curve", "women"), (0, "curve men", "men")):
        points = " ".join(
            f"{left + a / 80 * pw:.1f},{top + (1 - sigmoid(a * w_age + sex * w_sex + bias)) * ph:.1f}"
            for a in range(0, 81, 2))
        lines.append(f'<polyline class="{cls}" points="{points}"/>')
        last = sigmoid(80 * w_age + sex * w_sex + bias)
        lines.append(f'<text class="axis-label" x="{left + pw - 4}" '
                     f'y="{top + (1 - last) * ph - 6:.1f}" text-anchor="end">{name}</text>')
    title = "Predicted probability of survival against age, for women and for men"
    return (f'<svg class="xw-plot" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{title}"><title>{title}</title>{"".join(lines)}'
            f'<text class="axis-label" x="{left + pw}" y="{height - 4}" '
            f'text-anchor="end">age</text></svg>')


# --- the hidden-layer network ---------------------------------------------------------------


def forward(net: dict, values: list[float]) -> tuple[list[float], list[float], float]:
    """Standardise *values*, run them through *net*; return (inputs, hidden, probability)."""
    x = [(v - m) / s for v, m, s in zip(values, net["mean"], net["std"], strict=True)]
    hidden = [relu(sum(x[i] * net["W1"][i][j] for i in range(len(x))) + net["b1"][j])
              for j in range(net["hidden"])]
    z = sum(h * w for h, w in zip(hidden, net["W2"], strict=True)) + net["b2"]
    return x, hidden, sigmoid(z)


def hidden_network(net: dict, person: list) -> HTML:
    """The 2 → h ReLU → sigmoid network with one passenger's values in every node."""
    pid, name, age, sex, survived = person
    used_age = net["fill_age"] if age is None else age
    x, hidden, p = forward(net, [used_age, sex])
    predicted = p > 0.5
    inputs = [Node("i0", "Age", "input", f"{used_age:g} → {fmt(x[0], 2)}"),
              Node("i1", "Sex", "input", f"{sex} → {fmt(x[1], 2)}")]
    units = [Node(f"h{j}", "ReLU", "act", fmt(h, 3)) for j, h in enumerate(hidden)]
    out = [Node("o", "σ", "act", f"{p:.1%}")]
    edges = [Edge(f"i{i}", f"h{j}", net["W1"][i][j]) for i in range(2) for j in range(len(units))]
    edges += [Edge(f"h{j}", "o", net["W2"][j]) for j in range(len(units))]
    title = (f"{name}: hidden units {', '.join(fmt(h, 3) for h in hidden)}; probability "
             f"{p:.1%}; predicted {verdict(predicted)}; actually {verdict(bool(survived))}")
    lines = [f"<strong>{escape(name)}</strong> (passenger {pid}). Inputs are standardised "
             "(value minus the training mean, divided by its spread)"
             + (f"; no age was recorded, so the training median {net['fill_age']:g} "
                "stands in." if age is None else "."),
             _verdict_line(p, predicted, bool(survived))]
    return _figure([inputs, units, out], edges, title, lines)
