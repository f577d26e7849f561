"""The page markup: every ``xw-*`` class and ``data-xw-*`` attribute the build writes, and
the DOM contract between the build and ``static/js/app.js`` (with the modules it imports).

``xw`` ("explorable widget") prefixes every class and data attribute the tool writes, so
an author's own classes and attributes never meet them.

The build writes the page complete without JavaScript; the script finds widgets and
outputs by these names, reads their settings from the attributes, and writes only its own
state attributes (``SCRIPT_STATE``), which the stylesheet and the tests read.

The tables below are the contract: each name, the file that writes it, and what the
script reads in it. Writers of page markup call the functions of this module (widgets,
their inputs and outputs, cells, inline values, numbered equations); the rest are the
page templates (``templates/article.html``) and the chart renderer
(``site_builder/runtime/charts.py``), which runs unchanged in the browser and so cannot
import this module. ``tests/unit/test_markup.py`` checks the contract against both sides:
every name the script reads is listed and written by the file named, and every
``data-xw-*`` attribute the build writes is listed.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from .model import Input, Output, Widget

# data-xw-* attribute -> (the file that writes it, what the script reads in it)
ATTRIBUTES: dict[str, tuple[str, str]] = {
    # On <html> or the article (templates/article.html): how the page reaches Python.
    "data-xw-spec": ("templates/article.html", "URL of the page's program (its spec JSON)"),
    "data-xw-runtime": ("templates/article.html", "URL of Pyodide's folder"),
    "data-xw-worker": ("templates/article.html", "URL of the worker script"),
    "data-xw-shared": ("templates/article.html", "URL of the Python both sides run"),
    "data-xw-integrity": ("templates/article.html", "SRI of the runtime files (CDN)"),
    "data-xw-stdlib": ("templates/article.html", "URLs of the compiled standard library"),
    "data-xw-snapshot": ("templates/article.html", "modules a memory snapshot holds"),
    "data-xw-image": ("templates/article.html", "URL of the packages' image"),
    "data-xw-image-sha256": ("templates/article.html", "its SHA-256, checked on load"),
    "data-xw-lock": ("templates/article.html", "URL of the packages' pyodide-lock.json"),
    "data-xw-packages": ("templates/article.html", "compiled packages to load"),
    "data-xw-weight": ("templates/article.html", "bytes of Python a first visit fetches"),
    "data-xw-answers": ("templates/article.html", "the answer tables: URL per output"),
    # A widget and its inputs (written from site_builder/widgets.py's checked options).
    "data-xw-input": ("site_builder/markup.py", "the input's name (on its control's box)"),
    "data-xw-type": ("site_builder/markup.py", "the input's kind: range, select, rows…"),
    "data-xw-format": ("site_builder/markup.py", "how a readout shows the value"),
    "data-xw-set": ("site_builder/markup.py", "a preset button's values (JSON)"),
    "data-xw-play": ("site_builder/markup.py", "a play button's input and step"),
    "data-xw-adjust": ("site_builder/markup.py", "an adjustable number's input and step"),
    "data-xw-alt": ("site_builder/markup.py", "a value's text for screen readers"),
    "data-xw-rows": ("site_builder/markup.py", "a rows input's table (URL or inline)"),
    "data-xw-chosen": ("site_builder/markup.py", "the chosen row's key"),
    "data-xw-count": ("site_builder/markup.py", "how many rows the table has"),
    "data-xw-key-step": ("site_builder/markup.py", "the step between numeric keys"),
    "data-xw-output": ("site_builder/markup.py", "an output's id (w<widget>o<output>)"),
    # A chart's SVG (site_builder/runtime/charts.py, the same on both sides).
    "data-xw-tip": ("site_builder/runtime/charts.py", "a mark's tooltip text"),
    "data-xw-tips": ("site_builder/runtime/charts.py", "a line's points' tooltips (JSON)"),
    "data-xw-keys": ("site_builder/runtime/charts.py", "the row keys of a line's points"),
    "data-xw-link": ("site_builder/runtime/charts.py", "the rows input a mark selects"),
    "data-xw-scales": ("site_builder/runtime/charts.py", "pixel <-> data scales (drag)"),
    "data-xw-bind-x": ("site_builder/runtime/charts.py", "the input a handle's x sets"),
    "data-xw-bind-y": ("site_builder/runtime/charts.py", "the input a handle's y sets"),
}

# xw-* class -> (the file that writes it, what the script finds by it)
CLASSES: dict[str, tuple[str, str]] = {
    "xw-widget": ("site_builder/markup.py", "a widget's figure"),
    "xw-label": ("site_builder/markup.py", "an input's label"),
    "xw-note": ("site_builder/markup.py", "the widget's state line (loading, failed)"),
    "xw-announce": ("site_builder/markup.py", "the live region that reads results out"),
    "xw-buttons": ("site_builder/markup.py", "a widget's preset and reset buttons"),
    "xw-play": ("site_builder/markup.py", "a play button"),
    "xw-adjust": ("site_builder/markup.py", "an adjustable number in prose"),
    "xw-chosen": ("site_builder/markup.py", "the chosen row's summary"),
    "xw-result": ("site_builder/markup.py", "where an output's result goes"),
    # An output's box has the class of its kind: xw-<kind> (widgets.OUTPUT_TYPES).
    "xw-formula": ("site_builder/markup.py", "a formula output (its MathML is filled in)"),
    "xw-error": ("site_builder/markup.py", "where an output's error goes"),
    "xw-display": ("site_builder/markup.py", "a cell's display() output"),
    "xw-value": ("site_builder/markup.py", "an inline value in prose"),
    "xw-chart": ("site_builder/runtime/charts.py", "a chart's SVG"),
    "xw-status": ("templates/article.html", "the page's Python status"),
    "xw-status-text": ("templates/article.html", "its words"),
}

# What the script writes itself and reads back: data-xw-* on <html> or a widget, and
# classes on what it makes (for the stylesheet and the tests, not the build's).
SCRIPT_STATE = {
    "data-xw-state",  # <html>: loading, ready, error
    "data-xw-started-from",  # <html>: scratch, snapshot, or kept (an earlier page's Python)
    "data-xw-interactive",  # a widget whose controls answer
    "data-xw-pending",  # an output waiting for Python
    "data-xw-ready",
    "data-xw-named",
    "data-xw-scrolls",
    "data-xw-size",
    "data-xw-updates",
    "data-xw-key",  # a point's row key, on the marks the script adds over a line
    "xw-linked",
    "xw-mark",
    "xw-tip",
    "xw-retry",
    "xw-rows-option",
}


# --- the writers ------------------------------------------------------------------------

SLOT_BASE = 918273600  # a number no author writes; becomes <mn>918273600</mn> in MathML


def _slot_text(values: list[str], k: int) -> str:
    return values[k] if k < len(values) else "?"


def _attr(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _plain_number(value: Any) -> str:
    """A number as HTML attributes and readers want it: no exponent (1e-06 -> 0.000001)."""
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimals(step: Any) -> int:
    text = _plain_number(step)
    return len(text.split(".")[1]) if "." in text else 0


KEY_PRESSES = 200  # arrow presses that cross a range at most, unless keyboard_step says


def keyboard_step(lo: float, hi: float, step: float) -> Decimal:
    """How far an arrow key moves a range: its step, or, when the step is fine (value
    precision), a round multiple of it that crosses the range in about KEY_PRESSES."""
    precise = Decimal(repr(step))
    raw = (Decimal(repr(hi)) - Decimal(repr(lo))) / KEY_PRESSES
    if raw <= precise:
        return precise
    magnitude = Decimal(10) ** raw.adjusted()
    nice = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return (nice / precise).to_integral_value(rounding="ROUND_CEILING") * precise


def _readout(inp: Input) -> str:
    """A range's value as its readout shows it (the page formats it the same way)."""
    o = inp.options
    fmt = o.get("format") or f".{_decimals(o.get('step', 1))}f"
    return format(o["value"] if fmt.endswith("d") else float(o["value"]), fmt)


def render_adjustable(inp: Input) -> str:
    """A range input placed in prose ({input}`name`): its value as text, which the page
    turns into a slider bound to the widget's own control (static/js/app.js)."""
    return (
        f'<span class="xw-adjust" data-xw-adjust="{inp.name}">{html.escape(_readout(inp))}</span>'
    )


def render_input(
    inp: Input, rows: list[dict[str, Any]] | None, url: Callable[[str], str] = str
) -> str:
    """Return the control for one input, usable (and labelled) before any script runs;
    *url* gives the address of a file beside the article page."""
    o, name = inp.options, inp.name
    ident = f"xw-in-{name}" + (f"-{inp.line}" if o.get("copy") else "")  # ids stay unique
    label = _attr(o.get("label", name))
    if inp.type in ("range", "number"):
        attrs = "".join(f' {k}="{_plain_number(o[k])}"' for k in ("min", "max", "step") if k in o)
        value = o["value"]
        shown = _readout(inp)
        # The slider itself tells screen readers its value: the readout is for the eye.
        readout = (
            f'<output class="xw-readout" for="{ident}" id="{ident}-readout" aria-hidden="true">'
            f"{shown}</output>"
            if inp.type == "range"
            else ""
        )
        if inp.type == "range":  # arrows move by the keyboard step, Page keys by ten
            keys = o.get("keyboard_step") or keyboard_step(o["min"], o["max"], o.get("step", 1))
            if Decimal(str(keys)) != Decimal(repr(o.get("step", 1))):
                attrs += f' data-xw-key-step="{_plain_number(float(keys))}"'
            if o.get("format"):
                attrs += f' data-xw-format="{_attr(o["format"])}"'
        play = ""
        if inp.type == "range" and "play" in o:  # a button that moves the slider by itself
            spec = json.dumps(o["play"], separators=(",", ":"))
            play = (
                f'<button type="button" class="xw-play" aria-pressed="false" '
                f'aria-label="Play {label}" data-xw-play="{_attr(spec)}" disabled>Play</button>'
            )
        return (
            f'<div class="xw-input xw-{inp.type}" data-xw-input="{name}" data-xw-type="{inp.type}">'
            f'<label for="{ident}">{label}</label>'
            f'<input type="{inp.type}" id="{ident}" name="{name}"{attrs} '
            f'value="{_plain_number(value)}" disabled>'
            f"{readout}{play}</div>"
        )
    if inp.type == "select":
        options = "".join(
            f'<option value="{_attr(v)}"{" selected" if v == o["value"] else ""}>'
            f"{html.escape(str(text))}</option>"
            for v, text in o["options"].items()
        )
        return (
            f'<div class="xw-input xw-select" data-xw-input="{name}" data-xw-type="select">'
            f'<label for="{ident}">{label}</label>'
            f'<select id="{ident}" name="{name}" disabled>{options}</select></div>'
        )
    head = f'<div class="xw-input xw-{inp.type}" data-xw-input="{name}" data-xw-type="{inp.type}">'
    if inp.type in ("checkbox", "toggle"):  # a toggle is a switch (WAI-ARIA role=switch)
        checked = " checked" if o["value"] else ""
        role = ' role="switch"' if inp.type == "toggle" else ""
        return (
            f'{head}<input type="checkbox"{role} id="{ident}" name="{name}"{checked} disabled>'
            f'<label for="{ident}">{label}</label></div>'
        )
    if inp.type == "radio":
        choices = "".join(
            f'<label><input type="radio" name="{ident}" value="{_attr(v)}"'
            f"{' checked' if v == o['value'] else ''} disabled> {html.escape(str(text))}</label>"
            for v, text in o["options"].items()
        )
        return f"{head}<fieldset><legend>{label}</legend>{choices}</fieldset></div>"
    if inp.type == "text":
        hint = f' placeholder="{_attr(o["placeholder"])}"' if o.get("placeholder") else ""
        return (
            f'{head}<label for="{ident}">{label}</label><input type="text" id="{ident}" '
            f'name="{name}" value="{_attr(o["value"])}"{hint} disabled></div>'
        )
    if inp.type == "button":  # pressed N times: the count is the value outputs read
        return (
            f'{head}<button type="button" id="{ident}" class="xw-press" '
            f'data-xw-count="{o["value"]}" disabled>{label}</button></div>'
        )
    return _render_rows(inp, rows or [], url)


def _cell_text(value: Any, spec: str = "") -> str:
    """A cell as the table shows it: its column's format spec applied, else as Python
    prints it (6.0 stays 6.0); missing values (None, NaN) are a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, spec) if spec else str(value)


def _numeric(values: list[Any]) -> bool:
    """Whether a column holds numbers (or text that reads as one), aligned as numbers."""
    seen = False
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            return False
        if isinstance(v, str):
            try:
                float(v.replace(",", ""))
            except ValueError:
                return False
        seen = True
    return seen


STATIC_NOTE = "This figure shows the values it was built with: it needs JavaScript to move."
ROWS_PAGE = 1000  # rows one page shows without JavaScript; more rows get pages of their own
ROWS_CHUNK = 2000  # rows per line of a rows input's data file
ROWS_OPEN = 200  # up to this many rows the table shows at once; more wait for a click (the
# browser lays out no closed table, so a long one costs the first screen nothing)


class RowsView(NamedTuple):
    """What a rows input shows: its column headings, each row's key and cell texts."""

    label: str
    headings: list[str]
    keys: list[Any]
    cells: list[list[str]]
    chosen: int  # index of the row chosen at first
    numeric: list[bool]  # which columns hold numbers (right-aligned, as numbers are)
    placeholder: str  # the search field's hint
    widths: list[int]  # each column's width in characters (width:), 0 for its text's

    @classmethod
    def of(cls, inp: Input, rows: list[dict[str, Any]]) -> RowsView:
        o = inp.options
        columns = o.get("columns") or {c: str(c) for c in (rows[0] if rows else {})}
        formats = o.get("format") or {}
        keys = [row.get(o["key"]) for row in rows]
        cells = [[_cell_text(row.get(c), formats.get(c, "")) for c in columns] for row in rows]
        chosen = keys.index(o["value"]) if o["value"] in keys else 0
        headings = [str(h) for h in columns.values()]
        numeric = [_numeric([row.get(c) for row in rows]) for c in columns]
        hint = o.get("placeholder") or ", ".join(h.lower() for h in headings[:2]) + ", …"
        label = str(o.get("label", inp.name))
        widths = [int((o.get("width") or {}).get(c, 0)) for c in columns]
        return cls(label, headings, keys, cells, chosen, numeric, hint, widths)

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.keys) // ROWS_PAGE))

    def data(self) -> bytes:
        """The rows for the page's script: a line with the headings and the row count,
        then a line per ROWS_CHUNK rows, by column. The page parses one line per task,
        so no task of a 50,000-row table is long."""
        lines: list[dict[str, Any]] = [
            {
                "headings": self.headings,
                "total": len(self.keys),
                "numeric": self.numeric,
                "placeholder": self.placeholder,
                **({"widths": self.widths} if any(self.widths) else {}),
            }
        ]
        keys = [None if isinstance(k, float) and not math.isfinite(k) else k for k in self.keys]
        for first in range(0, len(self.keys), ROWS_CHUNK):
            chunk = self.cells[first : first + ROWS_CHUNK]
            lines.append(
                {
                    "keys": keys[first : first + ROWS_CHUNK],
                    "columns": [[row[i] for row in chunk] for i in range(len(self.headings))],
                }
            )
        text = "\n".join(json.dumps(x, ensure_ascii=False, separators=(",", ":")) for x in lines)
        return text.encode()

    def data_file(self, name: str) -> tuple[str, bytes]:
        """The data file beside the article page: its content-hashed (so cacheable) name,
        and its bytes."""
        data = self.data()
        return f"{name}.rows.{hashlib.sha256(data).hexdigest()[:10]}.json", data

    def data_name(self, name: str) -> str:
        return self.data_file(name)[0]

    def table(self, page: int) -> str:
        """One page of rows as a plain table (what readers without JavaScript, and print,
        see); the chosen row is marked."""
        num = [' class="xw-num"' if n else "" for n in self.numeric]
        head = "".join(
            f'<th scope="col"{n}>{html.escape(h)}</th>'
            for h, n in zip(self.headings, num, strict=True)
        )
        first = page * ROWS_PAGE
        body = []
        for i in range(first, min(first + ROWS_PAGE, len(self.keys))):
            mark = ' class="xw-chosen"' if i == self.chosen else ""
            cells = "".join(
                f"<td{n}>{html.escape(c)}</td>" for c, n in zip(self.cells[i], num, strict=True)
            )
            body.append(f'<tr data-key="{_attr(self.keys[i])}"{mark}>{cells}</tr>')
        caption = f"{html.escape(self.label)} ({self.summary(page)})"
        return (
            f'<table class="xw-rows-table"><caption>{caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    def scroller(self, page: int) -> str:
        """The table of page *page* in its scrolling box: a named tab stop, so that a
        keyboard scrolls it in every browser."""
        return (
            f'<div class="xw-rows-scroll" tabindex="0" role="group" '
            f'aria-label="{_attr(self.label)}, {self.summary(page)}">{self.table(page)}</div>'
        )

    def span(self, page: int) -> str:
        """The rows page *page* (from 0) holds: "1–1,000"."""
        first = page * ROWS_PAGE
        return f"{first + 1:,}–{min(first + ROWS_PAGE, len(self.keys)):,}"

    def summary(self, page: int) -> str:
        """Which rows page *page* holds: "891 rows", "rows 1–1,000 of 50,000"."""
        total = len(self.keys)
        return f"{total:,} rows" if self.pages == 1 else f"rows {self.span(page)} of {total:,}"

    def nav(self, page: int, name: str, beside: Callable[[str], str]) -> str:
        """Links to every page of rows (none when one page holds them all); *beside* gives
        the URL of a path beside the article page."""
        if self.pages == 1:
            return ""
        links = []
        for k in range(self.pages):
            span = self.span(k)
            url = beside(rows_page_path("", name, k))
            links.append(
                f'<li><a aria-current="page">{span}</a></li>'
                if k == page
                else f'<li><a href="{_attr(url)}">{span}</a></li>'
            )
        return (
            f'<nav class="xw-rows-pages" aria-label="Pages of {_attr(self.label)}">'
            f"<ol>{''.join(links)}</ol></nav>"
        )


def rows_page_path(article_url: str, name: str, page: int) -> str:
    """Where page *page* (from 0) of a rows input's static pages lives in the site."""
    return f"{article_url}{name}-rows/{page + 1}/"


def _render_rows(inp: Input, rows: list[dict[str, Any]], url: Callable[[str], str]) -> str:
    """A rows input: its chosen page as a plain table, links to the other pages, and the
    data file the page's script turns into a listbox (see app.js, bindRows)."""
    view = RowsView.of(inp, rows)
    name = inp.name
    page = view.chosen // ROWS_PAGE
    nav = view.nav(page, name, url)
    return (
        f'<div class="xw-input xw-rows" data-xw-input="{name}" data-xw-type="rows" '
        f'data-xw-rows="{_attr(url(view.data_name(name)))}" '
        f'data-xw-chosen="{_attr(view.keys[view.chosen] if view.keys else "")}">'
        f'<details class="xw-rows-static"{" open" if len(rows) <= ROWS_OPEN else ""}>'
        f"<summary>{html.escape(view.label)}: {view.summary(page)}</summary>{nav}"
        f"{view.scroller(page)}</details></div>"
    )


def _preset_json(values: tuple[tuple[str, Any], ...]) -> str:
    return json.dumps({k: v for k, v in values}, separators=(",", ":"))


def render_widget(
    widget: Widget,
    rows: dict[str, list[dict[str, Any]]],
    initial: dict[str, dict[str, Any]],
    mathml: dict[str, str],
    url: Callable[[str], str] = str,
) -> str:
    """The whole widget: its inputs and outputs in a labelled figure, with the build's
    values; *mathml* holds each formula output's typeset TeX, by output id."""
    inputs = "".join(render_input(i, rows.get(i.name), url) for i in widget.inputs)
    outputs = "".join(
        render_output(o, initial.get(o.id, {}), mathml.get(o.id, "")) for o in widget.outputs
    )
    # A figure is named by its caption; one without gets a name all the same.
    name = "" if widget.label else f' aria-label="Interactive figure {widget.index + 1}"'
    caption = (  # the slot: where the page's figure number goes (render.number_figures)
        f'<figcaption><span class="xw-number"></span>{html.escape(widget.label)}</figcaption>'
        if widget.label
        else ""
    )
    # One polite region per widget, written by the page once an input settles (outputs
    # themselves are not live regions: a drag would flood a screen reader).
    announce = (
        '<p class="xw-announce visually-hidden" aria-live="polite" aria-atomic="true"></p>'
        if widget.outputs
        else ""
    )
    # Controls are disabled until Python can answer them (the page enables them); the note
    # says why, in words the page updates (loading, restarting, failed).
    note = f'<p class="xw-note">{STATIC_NOTE}</p>' if inputs else ""
    # Buttons that set several inputs at once (presets) and put back the build's values
    # (reset); the page enables them with the controls.
    if inputs:
        buttons = [
            f'<button type="button" class="xw-preset" data-xw-set="{_attr(_preset_json(v))}" '
            f"disabled>{html.escape(name)}</button>"
            for name, v in widget.presets
        ]
        buttons.append('<button type="button" class="xw-reset" disabled>Reset</button>')
        inputs += f'<div class="xw-buttons">{"".join(buttons)}</div>'

    ident = widget.ident or f"widget-{widget.index + 1}"
    source = ""
    if widget.source:  # source: true: the Markdown that makes this widget, beside it
        from .highlight import highlight

        code = highlight(widget.source, "markdown", None, css_class="highlight xw-source-code")
        source = f'<div class="xw-source"><p class="xw-source-label">Markdown</p>{code}</div>'
    return (
        source + f'<figure class="xw-widget{" xw-side" if widget.place == "side" else ""}" '
        f'id="{ident}"{name}>{caption}'
        + (f'<div class="xw-inputs">{inputs}</div>{note}' if inputs else "")
        + (f'<div class="xw-outputs">{outputs}</div>' if outputs else "")
        + announce
        + "</figure>"
    )


def render_output(output: Output, result: dict[str, Any], mathml: str = "") -> str:
    """Return an output's container holding its build-time result."""
    o = output.options
    label = o.get("label")
    head = f'<div class="xw-label">{html.escape(str(label))}</div>' if label else ""
    error = result.get("error", "")
    err = (
        f'<pre class="xw-error" role="alert"{"" if error else " hidden"}>{html.escape(error)}</pre>'
    )
    attrs = f'class="xw-output xw-{output.type}" data-xw-output="{output.id}"'
    if output.type == "formula":
        values = result.get("value") or []
        body = mathml
        for k, text in enumerate(values):
            body = body.replace(
                f"<mn>{SLOT_BASE + k}</mn>",
                f'<mn class="xw-slot" data-slot="{k}">{html.escape(text)}</mn>',
                1,
            )
        # The formula's text for screen readers states the current numbers; the page
        # fills the same template (slots marked ⟨k⟩) after each update.
        template = re.sub(
            r"\{" + str(SLOT_BASE)[:-2] + r"(\d\d)\}",
            lambda m: f"⟨{int(m[1])}⟩",
            str(o.get("tex", "")),
        )
        alt = re.sub(r"⟨(\d+)⟩", lambda m: _slot_text(values, int(m[1])), template)
        named = f'alttext="{_attr(alt)}" data-xw-alt="{_attr(template)}"'
        body = re.sub(r'alttext="[^"]*"', lambda _: named, body, count=1)
        return f'<div {attrs}>{head}<div class="xw-result">{body}</div>{err}</div>'
    value = result.get("value", "")
    if output.type == "value":
        shown = value if result.get("html") else html.escape(value)  # a sparkline is markup
        body = f'<span class="xw-result">{shown}</span>'
        return f"<div {attrs}>{head}{body}{err}</div>"
    return f'<div {attrs}>{head}<div class="xw-result">{value}</div>{err}</div>'


# --- article bodies: cells, inline values, numbered figures and equations -----------------


def cell(kind: str, code: str, stdout: str, stderr: str, display: str) -> str:
    """A cell as the page shows it (*kind* "build" or "exec"): its highlighted *code*
    (empty when hidden), what it printed, what it displayed; "" when it shows nothing."""
    parts = [f'<div class="xw-code">{code}</div>'] if code else []
    for stream, text in (("stdout", stdout), ("stderr", stderr)):
        if text:
            parts.append(f'<pre class="xw-{stream}">{html.escape(text)}</pre>')
    if display:
        parts.append(f'<div class="xw-display">{display}</div>')
    return f'<div class="xw-cell xw-cell-{kind}">{"".join(parts)}</div>' if parts else ""


def plain_value(value: Any) -> str:
    """A displayed value that has no markup of its own: its repr."""
    return f'<pre class="xw-value">{html.escape(repr(value))}</pre>'


def inline_output(index: int, shown: str) -> str:
    """An inline value that reads an input: a live output the page updates, holding the
    built text (*shown*, markup)."""
    return (
        f'<span class="xw-output xw-value xw-inline" data-xw-output="p{index}">'
        f'<span class="xw-result">{shown}</span>'
        '<span class="xw-error" role="alert" hidden></span></span>'
    )


# Where a figure's and an equation's numbers go: empty slots the build fills once it has
# seen the whole page (article_pages.number_figures).
NUMBER_CLASS = "xw-number"
NUMBER_SLOT = f'<span class="{NUMBER_CLASS}"></span>'
EQUATION_SLOT = '<span class="xw-eq-number"></span>'
FIGURE_START = r'<figure class="xw-(?:widget|image)(?: xw-side)?" id="(?P<fig>[^"]+)"'
EQUATION_START = r'<div class="xw-equation" id="(?P<eq>[^"]+)">'


def equation(label: str, mathml: str) -> str:
    """A display equation with a name ($$...$$ {#name}): numbered, and named by refs."""
    return f'<div class="xw-equation" id="{html.escape(label)}">{mathml}{EQUATION_SLOT}</div>'


def figure_number(n: int) -> str:
    return f'<span class="{NUMBER_CLASS}">Figure {n}.</span> '


def equation_number(n: int) -> str:
    return f'<span class="xw-eq-number">({n})</span>'


def reference(target: str, name: str) -> str:
    """A {ref}`name` link: "Figure 2", "Equation (1)"."""
    return f'<a class="xw-ref" href="#{html.escape(target)}">{name}</a>'
