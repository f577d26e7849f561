"""HTML and SVG views that widgets and cells return: plots and tables, escaped by default."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any


def escape(value: Any) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


class HTML(str):
    """A string of trusted markup; cells and outputs render it unescaped."""

    def _repr_html_(self) -> str:
        return str(self)


def num(value: float, digits: int = 2) -> str:
    """Format a coordinate compactly and deterministically (no '-0')."""
    text = (f"{value:.2f}" if digits == 2 else f"{value:.{digits}f}").rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


MAX_TICKS = 50


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick positions covering [lo, hi]: at most MAX_TICKS, whatever the numbers
    (near 1e15 a step can be smaller than the numbers' own precision)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    if not (math.isfinite(raw) and raw > 0):
        return [lo]
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    n = math.floor((hi - first) / step + 1e-9) + 1
    ticks: list[float] = []
    for i in range(max(0, min(n, MAX_TICKS))):
        value = round(first + i * step, 10)
        if not ticks or value != ticks[-1]:
            ticks.append(value)
    return ticks or [lo]


def _tick_label(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:g}"


def line_plot(
    fn: Callable[[float], float],
    domain: Sequence[float],
    *,
    samples: int = 200,
    marker: float | None = None,
    y_domain: Sequence[float] | None = None,
    x_label: str = "x",
    y_label: str = "y",
    title: str = "",
    width: int = 560,
    height: int = 260,
) -> HTML:
    """Plot ``fn`` over ``domain`` as an SVG line chart, with an optional marker at x.
    (One drawing from axes to curve, top to bottom, as the SVG is written.)"""
    lo, hi = float(domain[0]), float(domain[1])
    xs = [lo + (hi - lo) * i / (samples - 1) for i in range(samples)]
    ys = [float(fn(x)) for x in xs]
    finite = [y for y in ys if math.isfinite(y)]
    if y_domain is not None:
        y_lo, y_hi = float(y_domain[0]), float(y_domain[1])
    else:
        y_lo, y_hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
        if y_hi - y_lo < 1e-12:
            y_lo, y_hi = y_lo - 1, y_hi + 1
        pad = (y_hi - y_lo) * 0.05
        y_lo, y_hi = y_lo - pad, y_hi + pad
    left, right, top, bottom = 48, 12, 28, 36  # the y title sits above the plot area
    pw, ph = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - lo) / (hi - lo) * pw

    def sy(y: float) -> float:
        return top + (y_hi - min(max(y, y_lo), y_hi)) / (y_hi - y_lo) * ph

    parts = []
    for t in nice_ticks(lo, hi):
        tx = num(sx(t))
        parts.append(f'<line class="grid" x1="{tx}" x2="{tx}" y1="{top}" y2="{top + ph}"/>')
        parts.append(
            f'<text class="tick" x="{tx}" y="{top + ph + 16}" text-anchor="middle">'
            f"{escape(_tick_label(t))}</text>"
        )
    for t in nice_ticks(y_lo, y_hi, 4):
        ty = num(sy(t))
        parts.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{ty}" y2="{ty}"/>')
        parts.append(
            f'<text class="tick" x="{left - 6}" y="{ty}" dy="0.32em" text-anchor="end">'
            f"{escape(_tick_label(t))}</text>"
        )
    segments: list[list[str]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(y):
            segments[-1].append(f"{num(sx(x))},{num(sy(y))}")
        elif segments[-1]:
            segments.append([])
    for seg in segments:
        if seg:
            parts.append(f'<polyline class="curve" points="{" ".join(seg)}"/>')
    desc = f"{title or y_label} for {x_label} from {_tick_label(lo)} to {_tick_label(hi)}"
    if marker is not None and math.isfinite(marker):
        my = float(fn(marker))
        mx_s, my_s = num(sx(min(max(marker, lo), hi))), num(sy(my))
        parts.append(
            f'<line class="guide" x1="{mx_s}" x2="{mx_s}" y1="{top + ph}" y2="{my_s}"/>'
            f'<line class="guide" x1="{left}" x2="{mx_s}" y1="{my_s}" y2="{my_s}"/>'
            f'<circle class="marker" cx="{mx_s}" cy="{my_s}" r="5"/>'
        )
        desc += f"; at {x_label} = {marker:.2f}, {y_label} = {my:.4f}"
    parts.append(
        f'<text class="axis-label" x="{left + pw}" y="{height - 4}" text-anchor="end">'
        f"{escape(x_label)}</text>"
    )
    parts.append(f'<text class="axis-label" x="{left}" y="{top - 10}">{escape(y_label)}</text>')
    return HTML(
        f'<svg class="xw-plot" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(desc)}"><title>{escape(desc)}</title>{"".join(parts)}</svg>'
    )


def _format_cell(value: Any, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if fmt and isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, fmt)
    return str(value)


def table_html(
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Mapping[str, str] | Sequence[str] | None = None,
    fmt: str = "",
) -> HTML:
    """Render rows (dicts, or sequences with *columns*) as an escaped HTML table."""
    rows = list(rows)
    if columns is None:
        first = rows[0] if rows else {}
        columns = list(first) if isinstance(first, Mapping) else []
    headings = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings.values())
    body = []
    for row in rows:
        values = [row.get(c) for c in headings] if isinstance(row, Mapping) else list(row)
        body.append(
            "<tr>" + "".join(f"<td>{escape(_format_cell(v, fmt))}</td>" for v in values) + "</tr>"
        )
    return HTML(
        f'<table class="xw-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def label(value: Any) -> str:
    """A value as a tooltip or a screen reader says it: a whole number without ".0", four
    significant digits otherwise, "none" for NaN."""
    if type(value) is float or isinstance(value, float):
        if not math.isfinite(value):
            return "none" if math.isnan(value) else ("∞" if value > 0 else "−∞")
        if value.is_integer() and -1e15 < value < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    return str(value)


def inline_value(value: Any, fmt: str = "") -> str:
    """A value placed in a sentence ({py}`expr` and a widget's value output), as the page
    shows it: ``spark`` draws a sequence of numbers as a sparkline; a value that is markup
    (HTML, or an object with ``_repr_html_``: a chart, a small table) stays markup
    (returned as HTML); anything else is ``format(value, fmt)``, text."""
    if fmt == "spark":
        return sparkline(value)
    if isinstance(value, HTML):
        return value
    if hasattr(value, "_repr_html_") and not isinstance(value, type):
        return HTML(str(value._repr_html_()))
    return format(value, fmt) if fmt else str(value)


SPARK_WIDTH, SPARK_HEIGHT = 100, 20  # drawing units; the page sizes it 5em x 1em
SPARK_BUCKETS = 100  # a longer sequence is drawn as this many slices' envelopes


def _envelope(ys: list[float]) -> list[tuple[int, float]]:
    """The (index, value) pairs that draw *ys* at SPARK_BUCKETS slices across: of each run
    of finite values inside a slice, its first, lowest, highest and last (in order), and
    NaN where a run ends, so gaps stay gaps. A million values draw as a hundred."""
    size = math.ceil(len(ys) / SPARK_BUCKETS)
    kept: list[tuple[int, float]] = []

    def close(run: list[int]) -> None:
        if run:
            ends = {run[0], run[-1], min(run, key=ys.__getitem__), max(run, key=ys.__getitem__)}
            kept.extend((k, ys[k]) for k in sorted(ends))
            run.clear()

    for start in range(0, len(ys), size):
        run: list[int] = []
        for k in range(start, min(start + size, len(ys))):
            if math.isfinite(ys[k]):
                run.append(k)
            else:
                close(run)
                kept.append((k, math.nan))
        close(run)
    return kept


def sparkline(values: Any) -> HTML:
    """A word-sized line chart of *values* (numbers, in order) for a sentence: no axes,
    the last value marked; NaN and infinities leave gaps. Screen readers read how many
    values it has, the first, the last and the range."""
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"spark needs a sequence of numbers, got {type(values).__name__}")
    ys = []
    for v in values:
        try:
            if isinstance(v, (bool, str, bytes)) or v is None:
                raise TypeError
            ys.append(float(v))  # int, float, numpy's numbers, Fraction, Decimal
        except (TypeError, ValueError):
            raise TypeError(
                f"spark needs a sequence of numbers, got a {type(v).__name__}"
            ) from None
    finite = [y for y in ys if math.isfinite(y)]
    if not finite:
        return HTML(
            f'<svg class="xw-spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" '
            'aria-label="no values"><title>no values</title></svg>'
        )
    lo, hi = min(finite), max(finite)
    pad = 2.5  # room for the last value's dot
    step = (SPARK_WIDTH - 2 * pad) / max(len(ys) - 1, 1)
    # Halves keep a span such as -1e308 … 1e308 finite (its whole would be inf: NaN in the path).
    rise = (SPARK_HEIGHT - 2 * pad) / 2 / (hi / 2 - lo / 2) if hi > lo else 0.0

    def at(k: int, y: float) -> tuple[float, float]:
        x = pad + step * k if len(ys) > 1 else SPARK_WIDTH / 2
        return x, (
            SPARK_HEIGHT - pad - (y / 2 - lo / 2) * rise * 2 if hi > lo else SPARK_HEIGHT / 2
        )

    runs: list[list[str]] = [[]]
    for k, y in _envelope(ys) if len(ys) > 4 * SPARK_BUCKETS else enumerate(ys):
        if math.isfinite(y):
            x, py = at(k, y)
            runs[-1].append(f"{num(x)},{num(py)}")
        elif runs[-1]:
            runs.append([])
    lines = "".join(f'<polyline points="{" ".join(r)}"/>' for r in runs if len(r) > 1)
    last = next(k for k in range(len(ys) - 1, -1, -1) if math.isfinite(ys[k]))
    x, py = at(last, ys[last])
    first = next(y for y in ys if math.isfinite(y))
    said = (
        f"{len(ys)} values from {label(first)} to {label(ys[last])}, "
        f"lowest {label(lo)}, highest {label(hi)}"
        if len(finite) > 1
        else f"{len(ys)} value{'s' if len(ys) != 1 else ''}: {label(first)}"
    )
    return HTML(
        f'<svg class="xw-spark" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" role="img" '
        f'aria-label="{escape(said)}"><title>{escape(said)}</title>{lines}'
        f'<circle cx="{num(x)}" cy="{num(py)}" r="2"/></svg>'
    )
