"""Charts: several marks (lines, points, bars, bands, rules, text) on shared axes, drawn as
SVG by the same code at build time and in the reader's browser.

``chart(marks, x=..., y=...)`` takes marks whose data are already computed:

    {"mark": "line", "fn": f}                         a function of x, over the x domain
    {"mark": "line", "data": rows, "x": "t", "y": "v"} rows: dicts, a dict of columns, pairs
    {"mark": "scatter", "data": rows, "x": .., "y": .., "color": field, "size": field}
    {"mark": "bar", "data": rows, "x": .., "y": ..}    categories (text) or numbers on x
    {"mark": "area", "fn": f} / {"mark": "area", "data": rows, "y0": .., "y1": ..}
    {"mark": "point", "at": (x, y) or [(x, y), ...]}  markers
    {"mark": "rule", "x": value} / {"mark": "rule", "y": value}
    {"mark": "text", "at": (x, y), "text": "..."}      or lists: at [(x, y), ...], text [...]
    {"mark": "histogram", "data": values, "bins": 20}  counts per bin (or "thresholds": edges)

A line or area with ``"color": field`` (or ``"z": field``) is one line per value of that
field, coloured by it (or in one colour); numeric bars take a ``"width"`` in x units.

Axes: ``{"domain": [lo, hi], "label": "...", "scale": "linear" | "log"}``; a missing domain
comes from the data (rules and bars' widths included). ``aspect="equal"`` makes a unit on
x as long as a unit on y (a circle is drawn round), widening one domain to fit. Values
outside the domain are clipped, never clamped; NaN and ±inf leave gaps. Tick labels are
spaced so that none overlap even when the page enlarges them to 11 px on a 375 px screen.
Every drawn point carries its values (``data-xw-tip``) for the page's hover and keyboard
tooltips; more than one named series gets a legend.

In a widget, any option may be a Python expression of the inputs, written ``=expr``
(``expr_of`` reads it); the runtime evaluates it before drawing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .views import HTML, escape, nice_ticks, num
from .views import label as _label

WIDTH, HEIGHT = 480, 300
FONT = 12  # tick labels, in drawing units
# The largest a tick label can become: the page keeps text at 11 px or more, and a
# 480-unit drawing is about 343 px wide on a 375 px screen.
PHONE_FONT = 11 * WIDTH / 343
PALETTE = 8  # series colours: classes xw-c0 … xw-c7 (static/css/site.css)
MARKS = ("line", "scatter", "bar", "area", "point", "rule", "text", "drag", "histogram")
EXPR = "="  # an option written "=expr" is {EXPR: "expr"} in the page's program


def expr_of(value: Any) -> str | None:
    """The Python expression an option holds ({"=": "expr"}), or None for a plain value."""
    if isinstance(value, dict) and len(value) == 1 and EXPR in value:
        return str(value[EXPR])
    return None


_SPECIAL = re.compile("[&<>\"']")  # what escape() would change


class ChartError(ValueError):
    """A chart's marks or axes that cannot be drawn, said in the author's terms."""


def _labels(values: list[Any]) -> list[str]:
    """[_label(v) for v in values], for a column of floats in one format call: a float's
    label is its .4g format unless that has an exponent, "nan", "inf" or "-0"."""
    if values and set(map(type, values)) == {float}:
        text = ("%.4g\n" * len(values)) % tuple(values)
        if "e" not in text and "n" not in text and "\n-0\n" not in "\n" + text:
            return text.split("\n")[:-1]
    return [_label(v) for v in values]


def _rows(names: list[str], columns: list[list[str]]) -> list[str]:
    """A tooltip for each row of text *columns*: "name1 a, name2 b"; in one format call
    when no text holds a line break."""
    template = ", ".join(name.replace("%", "%%") + " %s" for name in names) + "\n"
    width, count = len(columns), len(columns[0]) if columns else 0
    cells: list[str] = [""] * (width * count)
    for k, col in enumerate(columns):
        cells[k::width] = col
    if count and not any("\n" in t for t in names) and "\n" not in "".join(cells):
        return ((template * count) % tuple(cells)).split("\n")[:-1]
    return [template[:-1] % tuple(cells[i : i + width]) for i in range(0, len(cells), width)]


def _number(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _numbers(values: list[Any]) -> list[float]:
    return [v if type(v) is float else _number(v) for v in values]


def columns(data: Any, fields: Sequence[str]) -> list[list[Any]]:
    """The *fields* of *data* as columns: rows as dicts, a dict of columns, a table with
    ``to_dict`` (pandas), or rows as sequences (fields taken by position)."""
    if hasattr(data, "to_dict") and not isinstance(data, Mapping):
        data = data.to_dict("records")
    if isinstance(data, Mapping):
        missing = [f for f in fields if f not in data]
        if missing:
            raise ChartError(f"no column {missing[0]!r} (columns: {', '.join(map(str, data))})")
        cols = [list(data[f]) for f in fields]
        if len({len(c) for c in cols}) > 1:
            sizes = ", ".join(f"{f}: {len(c)}" for f, c in zip(fields, cols, strict=True))
            raise ChartError(f"columns of different lengths ({sizes})")
        return cols
    rows = list(data)
    width = len(fields)
    kinds = {type(row) for row in rows}
    if kinds <= {tuple, list} and all(len(row) >= width for row in rows):
        return [[row[k] for row in rows] for k in range(width)]  # pairs, the common case
    if kinds == {dict}:
        try:
            return [[row[f] for row in rows] for f in fields]
        except KeyError:
            pass  # the row-by-row read below says which row lacks what
    out: list[list[Any]] = [[] for _ in fields]
    for n, row in enumerate(rows):
        if isinstance(row, Mapping):
            for k, f in enumerate(fields):
                if f not in row:
                    raise ChartError(
                        f"row {n} has no field {f!r} (it has {', '.join(map(str, row))})"
                    )
                out[k].append(row[f])
        elif isinstance(row, Sequence) and not isinstance(row, str):
            if len(row) < len(fields):
                raise ChartError(f"row {n} has {len(row)} values; {len(fields)} are needed")
            for k in range(len(fields)):
                out[k].append(row[k])
        else:
            raise ChartError(f"row {n} is a {type(row).__name__}, not a dict or a pair")
    return out


class Scale:
    """Data → drawing units along one axis: linear, log, or bands of categories."""

    def __init__(
        self,
        kind: str,
        lo: float,
        hi: float,
        start: float,
        end: float,
        bands: list[str] | None = None,
    ):
        self.kind, self.lo, self.hi, self.start, self.end = kind, lo, hi, start, end
        self.bands = bands
        self.band_at = {b: k for k, b in enumerate(bands or [])}
        # position = offset + factor * value (of log10(value) on a log axis)
        a, b = (math.log10(lo), math.log10(hi)) if kind == "log" and lo > 0 else (lo, hi)
        self.factor = (end - start) / (b - a) if b != a else 0.0
        self.offset = start - a * self.factor
        # position = offset + factor * value, and "inside" = lo <= value <= hi (_dots)
        self.linear = kind == "linear" and bands is None and math.isfinite(lo + hi)

    def __call__(self, value: Any) -> float:
        if self.bands is not None:
            step = (self.end - self.start) / max(1, len(self.bands))
            return self.start + step * (self.band_at[str(value)] + 0.5)
        v = value if type(value) is float else _number(value)
        if self.kind == "log":
            v = math.log10(v) if v > 0 else math.nan
        return self.offset + self.factor * v

    def inside(self, value: Any) -> bool:
        if self.bands is not None:
            return str(value) in self.band_at
        v = value if type(value) is float else _number(value)
        return math.isfinite(v) and self.lo <= v <= self.hi and (self.kind != "log" or v > 0)

    def band_width(self) -> float:
        return abs(self.end - self.start) / max(1, len(self.bands or [1]))

    def ticks(self, room: float, vertical: bool) -> list[tuple[float, str]]:
        """(position, label) of ticks whose labels never overlap at PHONE_FONT."""
        if self.bands is not None:
            step = max(1, math.ceil(len(self.bands) * (PHONE_FONT * 1.6) / max(room, 1)))
            if not vertical:
                widest = max((len(b) for b in self.bands), default=1) * PHONE_FONT * 0.6
                step = max(step, math.ceil(len(self.bands) * (widest + 8) / max(room, 1)))
            return [(self(b), b) for b in self.bands[::step]]
        if self.kind == "log":
            # As log paper is ruled: every 1…8 times a power of ten within a decade or so,
            # else 1, 2 and 5 times, else the powers (and every other one, …): the densest
            # set whose labels fit.
            lo, hi = math.floor(math.log10(self.lo)), math.ceil(math.log10(self.hi))
            candidates = []
            for steps in ((1, 2, 3, 4, 5, 6, 8), (1, 2, 5), (1,)):
                values = [
                    m * 10.0**e
                    for e in range(lo, hi + 1)
                    for m in steps
                    if self.lo <= m * 10.0**e <= self.hi
                ]
                if len(values) >= 2:
                    candidates.append(values)
            sparsest = candidates[-1] if candidates else []  # the powers, when two fit
            candidates += [sparsest[::k] for k in range(2, len(sparsest) + 1)]
            if not candidates:  # less than a factor of 2 or so: round numbers, spaced as logs
                candidates = [[v for v in nice_ticks(self.lo, self.hi, 4) if v > 0]]
        else:
            candidates = [nice_ticks(self.lo, self.hi, n) for n in (10, 8, 6, 5, 4, 3, 2)]
        for values in candidates:
            labels = [_label(v) for v in values]
            if len(values) < 2:
                return [(self(v), t) for v, t in zip(values, labels, strict=True)]
            gap = min(abs(self(b) - self(a)) for a, b in zip(values, values[1:], strict=False))
            need = (
                PHONE_FONT * 1.5
                if vertical
                else (max(len(t) for t in labels) * PHONE_FONT * 0.62 + PHONE_FONT * 0.6)
            )
            if gap >= need:
                return [(self(v), t) for v, t in zip(values, labels, strict=True)]
        v = candidates[-1][:1]
        return [(self(x), _label(x)) for x in v]


def _extent(values: list[float], log: bool) -> tuple[float, float] | None:
    finite = [v for v in values if math.isfinite(v) and (not log or v > 0)]
    if not finite:
        return None
    return min(finite), max(finite)


def _domain(
    axis: Mapping[str, Any], values: list[float], name: str, pad: bool
) -> tuple[float, float]:
    log = axis.get("scale") == "log"
    if "domain" in axis:
        lo, hi = (float(v) for v in axis["domain"])
    else:
        found = _extent(values, log)
        if found is None:
            raise ChartError(f"the {name} axis has no finite values to span: give it a domain")
        lo, hi = found
        if not math.isfinite(hi - lo):  # a span no float holds: scaling would give NaN
            raise ChartError(
                f"the {name} values span more than a number can hold (from {_label(lo)} "
                f"to {_label(hi)}): give the {name} axis a domain, or leave such values out"
            )
        if hi - lo < 1e-12:
            lo, hi = (lo / 2, hi * 2) if log else (lo - 1, hi + 1)
        elif pad and log:
            lo, hi = lo / (hi / lo) ** 0.05, hi * (hi / lo) ** 0.05
        elif pad:
            lo, hi = lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05
    if log and lo <= 0:
        raise ChartError(
            f"a log {name} axis needs a domain above 0, got [{_label(lo)}, {_label(hi)}]"
        )
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ChartError(f"the {name} domain must be [low, high] with low < high")
    return lo, hi


def chart(
    marks: Sequence[Mapping[str, Any]],
    x: Mapping[str, Any] | None = None,
    y: Mapping[str, Any] | None = None,
    *,
    title: str = "",
    ident: str = "chart",
    width: int = WIDTH,
    height: float = HEIGHT,
    samples: int = 200,
    aspect: str = "",
) -> HTML:
    """Draw *marks* on one pair of axes (see the module's docstring) as an SVG chart."""
    x, y = dict(x or {}), dict(y or {})
    for axis, field in ((x, "x"), (y, "y")):  # unnamed axes take the data's field names
        named = next((str(m[field]) for m in marks if m.get("data") is not None and field in m), "")
        axis.setdefault("label", named or field)
    for axis in (x, y):
        if axis.get("scale", "linear") not in ("linear", "log"):
            raise ChartError(f"scale must be linear or log, got {axis.get('scale')!r}")
    if aspect not in ("", "equal"):
        raise ChartError(f"aspect must be equal, got {aspect!r}")
    prepared = [_prepare(m, n) for n, m in enumerate(marks)]
    # Categories on x: a bar chart of named things.
    bands: list[str] | None = None
    for p in prepared:
        if p["mark"] == "bar" and any(isinstance(v, str) for v in p["xs"]):
            bands = list(dict.fromkeys(str(v) for v in p["xs"]))
    if aspect and (bands is not None or "log" in (x.get("scale"), y.get("scale"))):
        raise ChartError("aspect: equal needs two linear axes of numbers")
    # The values an axis without a domain spans (an axis with one needs none): the data,
    # the rules, and the bars' own widths (so the outer bars are drawn whole).
    spans_x = bands is None and "domain" not in x
    xs = _numbers([v for p in prepared for v in p["xs"]]) if spans_x else []
    ys = [v for p in prepared for v in p["ys"]] if "domain" not in y else []
    for p in prepared:
        if p["mark"] == "rule" and p["axis"] == "x" and spans_x:
            xs += p["at"]
        elif p["mark"] == "rule" and p["axis"] == "y" and "domain" not in y:
            ys += p["at"]
        elif p["bar_width"] and spans_x and (finite := [v for v in xs if math.isfinite(v)]):
            xs += [min(finite) - p["bar_width"] / 2, max(finite) + p["bar_width"] / 2]
    if bands is None:
        pad = not any(p["fn"] for p in prepared) and not any(p["bar_width"] for p in prepared)
        x_lo, x_hi = _domain(x, xs, "x", pad=pad)
    else:
        x_lo, x_hi = 0.0, 1.0
    # Functions are sampled over the x domain before the y domain is known.
    for p in prepared:
        if p["fn"] is not None:
            _sample(p, x_lo, x_hi, x.get("scale") == "log", samples)
            ys += [v for v in p["ys"] if math.isfinite(v)]
    if any(p["mark"] in ("bar", "area", "histogram") for p in prepared) and y.get("scale") != "log":
        ys.append(0.0)  # bars and areas stand on zero
    y_lo, y_hi = _domain(y, ys, "y", pad=True)
    top, right, bottom = 30, 14, 40

    def shown(p: dict[str, Any]) -> bool:  # a rule wholly outside its domain is not drawn
        if p["mark"] != "rule":
            return True
        lo, hi = (x_lo, x_hi) if p["axis"] == "x" else (y_lo, y_hi)
        return any(lo <= v <= hi for v in p["at"] if math.isfinite(v))

    def margin(lo: float, hi: float) -> float:  # room for the y tick labels
        wide = 12 + max(len(_label(v)) for v in (lo, hi)) * FONT * 0.62 + 10
        return min(max(wide, 44), width * 0.3)

    left = margin(y_lo, y_hi)
    legend = [p for p in prepared if p["label"] and shown(p)]
    series_names = [p["label"] for p in legend]
    # Each value of a colour field is a legend entry drawn like the mark it first colours.
    categories: dict[str, str] = {}
    for p in prepared:
        for c in sorted({c for c in p["colors"] if c is not None}, key=str):
            categories.setdefault(c, p["mark"])
    keyed = len(series_names) > 1 or bool(categories)
    entries = [(p["label"], p["mark"]) for p in legend] + list(categories.items())
    rows = _legend_rows([name for name, _ in entries], left, width - right) if keyed else []
    top += 22 + LEGEND_ROW * (len(rows) - 1) if rows else 0
    if aspect:  # a unit as long on both axes: the height follows, within reason
        (x_lo, x_hi), (y_lo, y_hi), left, height = _equal_aspect(
            (x_lo, x_hi), (y_lo, y_hi), width - right, top + bottom, margin
        )
    sx = Scale(x.get("scale", "linear"), x_lo, x_hi, left, width - right, bands)
    sy = Scale(y.get("scale", "linear"), y_lo, y_hi, height - bottom, top)
    pw, ph = width - right - left, height - bottom - top
    clip = f"xw-clip-{escape(ident)}"
    out = [
        f'<clipPath id="{clip}"><rect x="{num(left)}" y="{top}" width="{num(pw)}" '
        f'height="{num(ph)}"/></clipPath>'
    ]
    for pos, text in sx.ticks(pw, vertical=False):
        out.append(
            f'<line class="grid" x1="{num(pos)}" x2="{num(pos)}" y1="{top}" y2="{num(top + ph)}"/>'
        )
        out.append(
            f'<text class="tick" x="{num(pos)}" y="{num(top + ph + 16)}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    for pos, text in sy.ticks(ph, vertical=True):
        out.append(
            f'<line class="grid" x1="{num(left)}" x2="{num(left + pw)}" '
            f'y1="{num(pos)}" y2="{num(pos)}"/>'
        )
        out.append(
            f'<text class="tick" x="{num(left - 6)}" y="{num(pos)}" dy="0.32em" '
            f'text-anchor="end">{escape(text)}</text>'
        )
    # Colours in order of appearance: a mark of its own takes the next one, a mark coloured
    # by a field takes one per category, so no two meanings share a colour.
    color_of: dict[str, int] = {}
    used = 0
    for p in prepared:
        if p["colors"]:
            for c in sorted({c for c in p["colors"] if c is not None}, key=str):
                if c not in color_of:
                    color_of[c], used = used % PALETTE, used + 1
        else:
            p["color"], used = used % PALETTE, used + 1
    # Lines, bars and areas are clipped by the plot area; circles are drawn only when their
    # centre is inside it (_dots), so they are not clipped: a point at the domain's end is
    # whole. Consecutive clipped marks share a group, keeping the order marks are painted.
    body: list[str] = []
    clipped: list[str] = []
    described: list[str] = []
    for n, p in enumerate(prepared):
        drawn = _draw(p, n, sx, sy, color_of, x, y)
        if p["mark"] in ("scatter", "point"):
            if clipped:
                body.append(f'<g clip-path="url(#{clip})">{"".join(clipped)}</g>')
                clipped = []
            body.append(drawn)
        else:
            clipped.append(drawn)
        described.append(_describe(p))
    if clipped:
        body.append(f'<g clip-path="url(#{clip})">{"".join(clipped)}</g>')
    out.append("".join(body))
    out.append(_texts(prepared, sx, sy))
    handles = [p for p in prepared if p["mark"] == "drag"]
    for p in handles:
        hx, hy = p["at"]
        if not (sx.inside(hx) and sy.inside(hy)):
            continue
        binds = p["bind"] + [""] * (2 - len(p["bind"]))
        out.append(
            f'<circle class="handle xw-c{p.get("color", 0)}" cx="{num(sx(hx))}" cy="{num(sy(hy))}" '
            f'r="9" data-xw-bind-x="{escape(binds[0])}" data-xw-bind-y="{escape(binds[1])}" '
            f'data-xw-tip="{escape(_handle_tip(binds, hx, hy, x, y))}"/>'
        )
    out.append(
        f'<text class="axis-label" x="{num(left + pw)}" y="{num(height - 6)}" text-anchor="end">'
        f"{escape(x.get('label', 'x'))}</text>"
        f'<text class="axis-label" x="{num(left)}" y="{top - 10}">'
        f"{escape(y.get('label', 'y'))}</text>"
    )
    if keyed:
        out.append(_legend(legend, categories, color_of, rows))
    desc = title or f"{y.get('label', 'y')} against {x.get('label', 'x')}"
    desc += ": " + "; ".join(d for d in described if d)
    # A chart with points to read is one tab stop: its arrow keys read them (app.js).
    tips = any(p["tips"] for p in prepared) or bool(handles)
    focus = ' tabindex="0"' if tips else ""
    if handles:  # what the page needs to turn a pointer position back into values
        scales = {
            name: [s.kind, s.lo, s.hi, round(s.start, 2), round(s.end, 2)]
            for name, s in (("x", sx), ("y", sy))
        }
        focus += f' data-xw-scales="{escape(json.dumps(scales, separators=(",", ":")))}"'
        desc += " (drag the handle, or use the arrow keys, to move it)"
    # Points keyed like a rows input's rows (link: NAME): the page highlights the chosen
    # row's point, and choosing a point chooses its row.
    links = sorted({str(m["link"]) for m in marks if m.get("link")})
    if links:
        focus += f' data-xw-link="{escape(links[0])}"'
        desc += " (choosing a point chooses its row)"
    if tips and not handles:
        desc += " (arrow keys read the values of its points)"
    return HTML(
        f'<svg class="xw-plot xw-chart" viewBox="0 0 {width} {num(height)}" role="img"{focus} '
        f'aria-label="{escape(desc)}"><title>{escape(desc)}</title>{"".join(out)}</svg>'
    )


ASPECT_ROOM = (0.4, 1.25)  # an equal aspect's plot height, as a share of its width


def _equal_aspect(
    xd: tuple[float, float],
    yd: tuple[float, float],
    right: float,
    around: float,
    margin: Callable[[float, float], float],
) -> tuple[tuple[float, float], tuple[float, float], float, float]:
    """The domains, left edge and total height (*around*: the room above and below the
    plot) that make a unit on x as long as a unit on y: the plot's height follows from its
    width, within ASPECT_ROOM of it; beyond that the domain with more room is widened
    about its middle. (The left edge depends on the y labels, so it is found again until
    it holds.)"""
    left = margin(*yd)
    for _ in range(3):
        (x_lo, x_hi), (y_lo, y_hi) = xd, yd
        pw = right - left
        ph = pw * (y_hi - y_lo) / (x_hi - x_lo)
        low, high = pw * ASPECT_ROOM[0], pw * ASPECT_ROOM[1]
        if ph < low:  # flat: the plot is taller than the data, y's domain is widened
            ph, half = low, low * (x_hi - x_lo) / pw / 2
            y_lo, y_hi = (y_lo + y_hi) / 2 - half, (y_lo + y_hi) / 2 + half
        elif ph > high:  # tall: x's domain is widened
            ph, half = high, pw * (y_hi - y_lo) / high / 2
            x_lo, x_hi = (x_lo + x_hi) / 2 - half, (x_lo + x_hi) / 2 + half
        if margin(y_lo, y_hi) == left:
            break
        left = margin(y_lo, y_hi)
    return (x_lo, x_hi), (y_lo, y_hi), left, round(around + ph, 3)


MAX_POINTS = 50_000  # data points one mark may draw


def _prepare(mark: Mapping[str, Any], n: int) -> dict[str, Any]:
    kind = mark.get("mark")
    if kind not in MARKS:
        raise ChartError(f"mark {n + 1}: unknown kind {kind!r} (one of {', '.join(MARKS)})")
    p: dict[str, Any] = {
        "mark": kind,
        "label": str(mark.get("label") or ""),
        "style": _style(mark, n),
        "fn": None,
        "xs": [],
        "ys": [],
        "y0": [],
        "colors": [],
        "groups": [],
        "sizes": [],
        "tips": [],
        "bar_width": 0.0,
        "n": n,
    }
    if kind in ("line", "area") and callable(mark.get("fn")):
        p["fn"] = mark["fn"]
        return p
    if kind == "histogram":
        return _histogram(p, mark, n)
    if kind in ("line", "scatter", "bar", "area"):
        if "data" not in mark:
            raise ChartError(f"mark {n + 1} ({kind}): needs a function or data")
        fields = [mark.get("x", "x")]
        if kind == "area" and "y0" in mark:
            fields += [mark.get("y1", mark.get("y", "y")), mark["y0"]]
        else:
            fields.append(mark.get("y", "y"))
        z = mark.get("z") if kind in ("line", "area") else None
        extra = [f for f in (mark.get("color"), mark.get("size"), mark.get("key"), z) if f]
        try:
            cols = columns(mark["data"], [str(f) for f in fields + extra])
        except ChartError as exc:
            raise ChartError(f"mark {n + 1} ({kind}): {exc}") from None
        if len(cols[0]) > MAX_POINTS:  # each point is text in the page, and in every redraw
            raise ChartError(
                f"mark {n + 1} ({kind}): {len(cols[0]):,} points would write about "
                f"{len(cols[0]) * 70 / 1e6:,.0f} MB into the page (at most {MAX_POINTS:,}): "
                "sample or bin the data first"
            )
        p["xs"], p["ys"] = cols[0], _numbers(cols[1])
        p["y0"] = _numbers(cols[2]) if len(fields) == 3 else []
        rest = cols[len(fields) :]
        if mark.get("color"):
            p["colors"] = [None if v is None else str(v) for v in rest.pop(0)]
        if mark.get("size"):
            p["sizes"] = _numbers(rest.pop(0))
        keys = rest.pop(0) if mark.get("key") else [None] * len(p["xs"])
        if z:
            p["groups"] = rest.pop(0)
        names = [str(f) for f in fields]
        p["keys"] = keys
        if kind in ("line", "area"):
            return p  # a line's points carry no tooltip: nothing to format
        if kind == "bar":
            p["bar_width"] = _bar_width(mark, p["xs"], n)
        # "x 1.5, y 2": one format call per point
        tips = _rows(names, [_labels(col) for col in cols[: len(names)]])
        if p["colors"]:
            field = mark["color"]
            tips = [
                tip if c is None else f"{tip}, {field} {c}"
                for tip, c in zip(tips, p["colors"], strict=True)
            ]
        p["tips"] = tips
        return p
    if kind == "point":
        at = mark.get("at")
        pairs = [at] if at and not isinstance(at[0], Sequence) else list(at or [])
        for pair in pairs:
            if len(pair) != 2:
                raise ChartError(f"mark {n + 1} (point): 'at' needs (x, y) pairs, got {pair!r}")
        p["xs"] = [q[0] for q in pairs]
        p["ys"] = [_number(q[1]) for q in pairs]
        p["tips"] = [f"x {_label(_number(q[0]))}, y {_label(_number(q[1]))}" for q in pairs]
        p["keys"] = [None] * len(pairs)
        return p
    if kind == "drag":  # a handle the reader moves: it sets the inputs named in bind
        at = mark.get("at")
        if not (isinstance(at, Sequence) and len(at) == 2):
            raise ChartError(f"mark {n + 1} (drag): needs an (x, y) position")
        p["at"], p["bind"] = (_number(at[0]), _number(at[1])), list(mark.get("bind") or [])
        return p
    if kind == "rule":
        if ("x" in mark) == ("y" in mark):
            raise ChartError(f"mark {n + 1} (rule): give x or y, not both")
        p["axis"] = "x" if "x" in mark else "y"
        value = mark[p["axis"]]
        p["at"] = [_number(v) for v in (value if isinstance(value, Sequence) else [value])]
        return p
    # A text mark: one text at a point, or a list of texts at a list of points.
    at, text = mark.get("at"), mark.get("text", "")
    many = isinstance(at, Sequence) and bool(at) and isinstance(at[0], Sequence)
    pairs = list(at) if many else [at]  # type: ignore[arg-type]
    texts = [text] * len(pairs) if isinstance(text, str) or not many else list(text)
    if not all(isinstance(q, Sequence) and len(q) == 2 for q in pairs):
        raise ChartError(f"mark {n + 1} (text): 'at' needs an (x, y) pair, or a list of them")
    if len(texts) != len(pairs):
        raise ChartError(
            f"mark {n + 1} (text): {len(texts)} texts for {len(pairs)} points: give one each"
        )
    p["at"], p["texts"] = [(q[0], q[1]) for q in pairs], [str(t) for t in texts]
    return p


STYLES = ("solid", "dashed", "dotted")  # how a line or rule is drawn (site.css)


def _style(mark: Mapping[str, Any], n: int) -> str:
    """A line's or rule's ``style``: its class, "" for the mark's own (lines solid, rules
    dashed)."""
    style = mark.get("style")
    if style is None:
        return ""
    if style not in STYLES or mark.get("mark") not in ("line", "rule"):
        raise ChartError(
            f"mark {n + 1}: style must be one of {', '.join(STYLES)} (a line or a rule)"
        )
    return f" {style}"


def _bar_width(mark: Mapping[str, Any], xs: list[Any], n: int) -> float:
    """A numeric bar's width in x units: its ``width``, else 70% of the closest two bars'
    distance; 0.0 for bars of categories, or one bar alone (drawn 20 units wide)."""
    if "width" in mark:
        width = _number(mark["width"])
        if not (math.isfinite(width) and width > 0):
            raise ChartError(f"mark {n + 1} (bar): width must be a number above 0")
        return width
    if any(isinstance(v, str) for v in xs):
        return 0.0
    finite = sorted({v for v in _numbers(xs) if math.isfinite(v)})
    gaps = [b - a for a, b in zip(finite, finite[1:], strict=False)]
    return min(gaps) * 0.7 if gaps else 0.0


def _bin_edges(lo: float, hi: float, bins: int) -> list[float]:
    """About *bins* bins of a round width (1, 2, 2.5 or 5 times a power of ten, the
    nearest to the span over *bins*) from a multiple of it, covering [lo, hi]."""
    if hi <= lo:
        return [lo - 0.5, lo + 0.5]
    raw = (hi - lo) / bins
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10)), key=lambda w: abs(math.log(w / raw)))
    first, last = math.floor(lo / step), math.ceil(hi / step)
    edges = [round(k * step, 12) for k in range(first, max(last, first + 1) + 1)]
    return edges if edges[-1] >= hi else [*edges, round((last + 1) * step, 12)]


def _histogram(p: dict[str, Any], mark: Mapping[str, Any], n: int) -> dict[str, Any]:
    """Counts of *data* (numbers, or rows with field ``x``) in bins: ``thresholds`` (the
    bins' edges, in order) or ``bins`` bins over round edges (Sturges' number by
    default: as many as the data's size calls for, as in D3 and Observable Plot). Values
    outside the edges and NaN are not counted."""
    if "data" not in mark:
        raise ChartError(f"mark {n + 1} (histogram): needs data")
    data = mark["data"]
    if "x" in mark or (hasattr(data, "to_dict") and not isinstance(data, Mapping)):
        data = columns(data, [str(mark.get("x", "x"))])[0]
    values = [v for v in _numbers(list(data)) if math.isfinite(v)]
    if "thresholds" in mark:
        edges = sorted(_numbers(list(mark["thresholds"])))
        if len(edges) < 2 or not all(map(math.isfinite, edges)):
            raise ChartError(f"mark {n + 1} (histogram): thresholds needs two edges or more")
    elif not values:
        edges = []
    else:
        bins = mark.get("bins") or math.ceil(math.log2(len(values))) + 1
        if not (isinstance(bins, int) and 1 <= bins <= 1000):
            raise ChartError(f"mark {n + 1} (histogram): bins must be a whole number, 1 to 1000")
        edges = _bin_edges(min(values), max(values), bins)
    counts = [0] * max(len(edges) - 1, 0)
    import bisect

    for v in values:
        k = bisect.bisect_right(edges, v) - 1
        if 0 <= k < len(counts) or (v == edges[-1] and counts):
            counts[min(k, len(counts) - 1)] += 1
    p["bins"] = [(edges[k], edges[k + 1], c) for k, c in enumerate(counts)]
    p["xs"], p["ys"] = list(edges), [float(c) for c in counts]
    p["tips"] = [f"{_label(a)} to {_label(b)}, count {c}" for a, b, c in p["bins"]]
    return p


def _sample(p: dict[str, Any], lo: float, hi: float, log: bool, samples: int) -> None:
    fn: Callable[[float], Any] = p["fn"]
    if log:
        a, b = math.log10(lo), math.log10(hi)
        xs = [10 ** (a + (b - a) * i / (samples - 1)) for i in range(samples)]
    else:
        xs = [lo + (hi - lo) * i / (samples - 1) for i in range(samples)]
    ys = []
    for v in xs:
        try:
            ys.append(_number(fn(v)))
        except (ValueError, ZeroDivisionError, OverflowError):
            ys.append(math.nan)  # outside the function's own domain: a gap
    p["xs"], p["ys"] = xs, ys
    p["tips"], p["keys"] = [], []


def _paths(points: list[tuple[float, float]]) -> list[str]:
    """Polyline point lists, broken at each NaN or infinity."""
    runs: list[list[str]] = [[]]
    for px, py in points:
        if math.isfinite(px) and math.isfinite(py):
            runs[-1].append(f"{num(px)},{num(py)}")
        elif runs[-1]:
            runs.append([])
    return [" ".join(r) for r in runs if r]


def _draw(
    p: dict[str, Any],
    n: int,
    sx: Scale,
    sy: Scale,
    color_of: dict[str, int],
    x: Mapping[str, Any],
    y: Mapping[str, Any],
) -> str:
    kind, cls = p["mark"], f"xw-c{p.get('color', n % PALETTE)}"
    if kind == "rule":
        parts = []
        for v in p["at"]:
            if p["axis"] == "x" and sx.inside(v):
                parts.append(
                    f'<line class="rule{p["style"]}" x1="{num(sx(v))}" x2="{num(sx(v))}" '
                    f'y1="{num(sy.end)}" y2="{num(sy.start)}"/>'
                )
            elif p["axis"] == "y" and sy.inside(v):
                parts.append(
                    f'<line class="rule{p["style"]}" x1="{num(sx.start)}" x2="{num(sx.end)}" '
                    f'y1="{num(sy(v))}" y2="{num(sy(v))}"/>'
                )
        return "".join(parts)
    if kind in ("text", "drag"):
        return ""  # drawn above the clip (_texts, handles)
    if kind in ("scatter", "point"):
        return _dots(p, n, sx, sy, color_of)
    if kind == "histogram":
        zero = sy(max(sy.lo, 0.0)) if sy.kind != "log" else sy.start
        parts = []
        for (a, b, count), tip in zip(p["bins"], p["tips"], strict=True):
            x0, x1, top = sx(a), sx(b), sy(float(count))
            if not (count and math.isfinite(x0 + x1 + top)):
                continue
            inset = min(0.5, (x1 - x0) / 4)  # a hairline between two bins
            parts.append(
                f'<rect class="bar {cls}" x="{num(x0 + inset)}" y="{num(min(top, zero))}" '
                f'width="{num(x1 - x0 - 2 * inset)}" height="{num(abs(zero - top))}" '
                f'data-xw-tip="{escape(tip)}"/>'
            )
        return "".join(parts)
    if kind in ("line", "area") and (p["colors"] or p["groups"]):
        # One line (or band) per value of its colour or z field, in order of appearance.
        parts = []
        colors = p["colors"] or [None] * len(p["xs"])
        groups = p["groups"] or [None] * len(p["xs"])
        members: dict[tuple[Any, Any], list[int]] = {}
        for i, key in enumerate(zip(colors, groups, strict=True)):
            members.setdefault(key, []).append(i)
        for (c, _), idx in members.items():
            part = {
                **p,
                "xs": [p["xs"][i] for i in idx],
                "ys": [p["ys"][i] for i in idx],
                "y0": [p["y0"][i] for i in idx] if p["y0"] else [],
                "colors": [],
                "groups": [],
            }
            if c is not None:
                part["color"] = color_of[c]
            parts.append(_draw(part, n, sx, sy, color_of, x, y))
        return "".join(parts)
    pts = [
        (sx(a) if sx.bands is not None or math.isfinite(_number(a)) else math.nan, sy(b))
        for a, b in zip(p["xs"], p["ys"], strict=True)
    ]
    if kind == "line":
        return "".join(
            f'<polyline class="curve {cls}{p["style"]}" points="{pts_}"/>' for pts_ in _paths(pts)
        )
    if kind == "area":
        base = p["y0"] or [max(sy.lo, 0.0) if sy.kind != "log" else sy.lo] * len(pts)
        parts = []
        runs: list[list[int]] = [[]]
        for i, (px, py) in enumerate(pts):
            ok = math.isfinite(px) and math.isfinite(py) and math.isfinite(sy(base[i]))
            if ok:
                runs[-1].append(i)
            elif runs[-1]:
                runs.append([])
        for run in (r for r in runs if len(r) > 1):
            upper = [f"{num(pts[i][0])},{num(pts[i][1])}" for i in run]
            lower = [f"{num(pts[i][0])},{num(sy(base[i]))}" for i in reversed(run)]
            parts.append(f'<polygon class="area {cls}" points="{" ".join(upper + lower)}"/>')
        return "".join(parts)
    if kind == "bar":
        if sx.bands is not None:
            width = sx.band_width() * 0.7
        elif p["bar_width"] and sx.kind == "linear":  # in x units
            width = max(1.0, p["bar_width"] * abs(sx.factor))
        else:
            gaps = (abs(pts[i + 1][0] - pts[i][0]) for i in range(len(pts) - 1))
            width = max(2.0, min(gaps, default=20) * 0.7)
        zero = sy(max(sy.lo, min(0.0, sy.hi))) if sy.kind != "log" else sy.start
        parts = []
        for (px, py), tip in zip(pts, p["tips"], strict=True):
            if not (math.isfinite(px) and math.isfinite(py)):
                continue
            top, h = min(py, zero), abs(zero - py)
            parts.append(
                f'<rect class="bar {cls}" x="{num(px - width / 2)}" y="{num(top)}" '
                f'width="{num(width)}" height="{num(h)}" data-xw-tip="{escape(tip)}"/>'
            )
        return "".join(parts)
    raise AssertionError(f"no drawing for {kind}")


def _dots(p: dict[str, Any], n: int, sx: Scale, sy: Scale, color_of: dict[str, int]) -> str:
    """A scatter's or point mark's circles, drawn only inside both domains (never moved to
    the edge; NaN and infinities leave gaps): one path per colour, each circle a pair of
    arcs in its `d`, and the circles' values and keys as JSON lists in the same order
    (data-xw-tips, data-xw-keys) for the page's tooltips and linked rows. A thousand
    circle elements cost the page ten times as long to parse and style again."""
    kind, sizes, tips, keys = p["mark"], p["sizes"], p["tips"], p["keys"]
    xs, ys, isfinite = p["xs"], p["ys"], math.isfinite
    if sx.linear and sy.linear:  # the scales' arithmetic inline, one range test
        xs = _numbers(xs)
        x_lo, x_hi, x_off, x_k = sx.lo, sx.hi, sx.offset, sx.factor
        y_lo, y_hi, y_off, y_k = sy.lo, sy.hi, sy.offset, sy.factor
        cxs, cys = [x_off + x_k * a for a in xs], [y_off + y_k * b for b in ys]
        drawn = [
            i
            for i, a, b in zip(range(len(xs)), xs, ys, strict=True)
            if x_lo <= a <= x_hi and y_lo <= b <= y_hi
        ]
    else:
        cxs, cys = [sx(a) for a in xs], [sy(b) for b in ys]
        drawn = [
            i
            for i in range(len(xs))
            if sx.inside(xs[i]) and sy.inside(ys[i]) and isfinite(cxs[i]) and isfinite(cys[i])
        ]
    own = p.get("color", n % PALETTE)
    groups: dict[int, list[int]] = {own: drawn}
    if p["colors"]:
        groups = {}
        for i in drawn:
            c = p["colors"][i]
            groups.setdefault(own if c is None else color_of[c], []).append(i)
    base = 3.5 if kind == "scatter" else 5.0
    arc = _arc(base)
    big = max((v for v in sizes if isfinite(v)), default=1.0) or 1.0
    parts = []
    for color, members in groups.items():
        if not members:
            continue
        if sizes:
            radii = [
                round(2 + 6 * math.sqrt(sizes[i] / big), 2)
                if isfinite(sizes[i]) and sizes[i] > 0
                else base
                for i in members
            ]
            path = [
                f"M{cxs[i] - r:.2f} {cys[i]:.2f}{_arc(r)}"
                for i, r in zip(members, radii, strict=True)
            ]
        else:  # every circle in one format call
            at = [0.0] * (2 * len(members))
            at[0::2] = [cxs[i] - base for i in members]
            at[1::2] = [cys[i] for i in members]
            path = [(f"M%.2f %.2f{arc}" * len(members)) % tuple(at)]
        listed = ""
        if any(keys[i] is not None for i in members):
            names = [None if keys[i] is None else str(keys[i]) for i in members]
            listed = f" data-xw-keys='{_json_attr(names)}'"
        parts.append(
            f'<path class="{"dot" if kind == "scatter" else "marker"} xw-c{color}" '
            f"d=\"{''.join(path)}\" data-xw-tips='{_json_attr([tips[i] for i in members])}'"
            f"{listed}/>"
        )
    return "".join(parts)


def _arc(r: float) -> str:
    """After a move to a circle's leftmost point, the two arcs that draw it."""
    return f"a{num(r)} {num(r)} 0 1 0 {num(2 * r)} 0a{num(r)} {num(r)} 0 1 0 {num(-2 * r)} 0"


def _json_attr(values: list[Any]) -> str:
    """*values* as JSON for a single-quoted attribute (no &quot; around every string)."""
    text = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
    if _SPECIAL.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace("'", "&#39;")
    return text


def _texts(prepared: list[dict[str, Any]], sx: Scale, sy: Scale) -> str:
    """Text marks, starting just right of their point; one that would run past the plot's
    right edge (at its phone size) and has more room to the left ends at its point."""
    parts = []
    for p in prepared:
        if p["mark"] != "text":
            continue
        for (ax, ay), text in zip(p["at"], p["texts"], strict=True):
            if not (sx.inside(ax) and sy.inside(ay)):
                continue
            px, wide = sx(ax), len(text) * PHONE_FONT * 0.6
            right, left = sx.end - (px + 4), (px - 4) - sx.start
            at = f'x="{num(px + 4)}"'
            if wide > right and left > right:
                at = f'x="{num(px - 4)}" text-anchor="end"'
            parts.append(f'<text class="note" {at} y="{num(sy(ay) - 4)}">{escape(text)}</text>')
    return "".join(parts)


def _handle_tip(
    binds: list[str], hx: float, hy: float, x: Mapping[str, Any], y: Mapping[str, Any]
) -> str:
    """A drag handle's tooltip, by the names of the inputs it moves ("z 1.5, w 0.2"); an
    axis it does not move is named by its label."""
    names = [binds[0] or x.get("label", "x"), binds[1] or y.get("label", "y")]
    return f"{names[0]} {_label(hx)}, {names[1]} {_label(hy)}"


LEGEND_ROW = 20  # drawing units between two rows of a legend


def _legend_rows(names: list[str], left: float, right: float) -> list[list[tuple[int, float]]]:
    """The legend's entries laid out in rows, as many as they need, none dropped or cut:
    each row a list of (entry index, x), the widths estimated at the size the page keeps
    text at on a phone (PHONE_FONT), so that entries do not run into each other there."""
    rows: list[list[tuple[int, float]]] = [[]]
    x = left
    for k, name in enumerate(names):
        wide = 20 + len(name) * PHONE_FONT * 0.62 + 12
        if rows[-1] and x + wide > right:
            rows.append([])
            x = left
        rows[-1].append((k, x))
        x += wide
    return rows


def _legend(
    legend: list[dict[str, Any]],
    categories: dict[str, str],
    color_of: dict[str, int],
    rows: list[list[tuple[int, float]]],
) -> str:
    """The legend: each named mark, then each value of a colour field (*categories*: value
    -> the kind of mark it colours), its swatch drawn as that mark is."""
    entries = [(p["label"], f"xw-c{p.get('color', 0)}", p["mark"], p["style"]) for p in legend]
    entries += [(c, f"xw-c{color_of[c]}", kind, "") for c, kind in categories.items()]
    parts = []
    for r, row in enumerate(rows):
        y = 14 + r * LEGEND_ROW
        for k, x in row:
            name, cls, kind, style = entries[k]
            # The swatch is the mark as drawn: a rule dashed in the text's colour.
            line = f"rule{style}" if kind == "rule" else f"curve {cls}{style}"
            swatch = (
                f'<line class="{line}" x1="{num(x)}" x2="{num(x + 16)}" y1="{y}" y2="{y}"/>'
                if kind in ("line", "rule")
                else f'<rect class="swatch {cls}" x="{num(x)}" y="{y - 6}" width="12" height="12"/>'
            )
            parts.append(
                f'{swatch}<text class="legend" x="{num(x + 20)}" y="{y + 4}">{escape(name)}</text>'
            )
    return f'<g class="xw-legend">{"".join(parts)}</g>'


def _describe(p: dict[str, Any]) -> str:
    kind = p["mark"]
    name = p["label"] or kind
    if kind in ("line", "area"):
        finite = [v for v in p["ys"] if math.isfinite(v)]
        if not finite:
            return f"{name}: no values"
        return f"{name} from {_label(min(finite))} to {_label(max(finite))}"
    if kind in ("scatter", "bar"):
        return f"{name}: {len(p['xs'])} values"
    if kind == "histogram":
        total = sum(c for _, _, c in p["bins"])
        return f"{name}: {total} values in {len(p['bins'])} bins"
    if kind == "point":
        return "; ".join(p["tips"])
    if kind == "drag":
        return f"a handle at x {_label(p['at'][0])}, y {_label(p['at'][1])}"
    if kind == "rule":
        return f"a line at {p['axis']} = " + ", ".join(_label(v) for v in p["at"])
    return "; ".join(p["texts"])
