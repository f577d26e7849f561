"""The page markup the page script relies on: the DOM contract between the build and
``static/js/app.js`` (with the modules it imports), written once here and checked by
``tests/unit/test_dom.py`` against both sides (every name the script reads is listed
below and written by the file named; every ``data-xw-*`` attribute the build writes is
listed).

``xw`` ("explorable widget") prefixes every class and data attribute the tool writes, so
an author's own classes and attributes never meet them.

The build writes the page complete without JavaScript; the script finds widgets and
outputs by these names, reads their settings from the attributes, and writes only its own
state attributes (``SCRIPT_STATE``), which the stylesheet and the tests read.
"""

from __future__ import annotations

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
    "data-xw-answers": ("site_builder/article_pages.py", "the answer tables: URL per output"),
    # A widget (site_builder/widgets.py) and its inputs.
    "data-xw-input": ("site_builder/widgets.py", "the input's name (on its control's box)"),
    "data-xw-type": ("site_builder/widgets.py", "the input's kind: range, select, rows…"),
    "data-xw-format": ("site_builder/widgets.py", "how a readout shows the value"),
    "data-xw-set": ("site_builder/widgets.py", "a preset button's values (JSON)"),
    "data-xw-play": ("site_builder/widgets.py", "a play button's input and step"),
    "data-xw-adjust": ("site_builder/widgets.py", "an adjustable number's input and step"),
    "data-xw-alt": ("site_builder/widgets.py", "a value's text for screen readers"),
    "data-xw-rows": ("site_builder/widgets.py", "a rows input's table (URL or inline)"),
    "data-xw-chosen": ("site_builder/widgets.py", "the chosen row's key"),
    "data-xw-count": ("site_builder/widgets.py", "how many rows the table has"),
    "data-xw-key-step": ("site_builder/widgets.py", "the step between numeric keys"),
    "data-xw-output": ("site_builder/widgets.py", "an output's id (w<widget>o<output>)"),
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
    "xw-widget": ("site_builder/widgets.py", "a widget's figure"),
    "xw-label": ("site_builder/widgets.py", "an input's label"),
    "xw-note": ("site_builder/widgets.py", "the widget's state line (loading, failed)"),
    "xw-announce": ("site_builder/widgets.py", "the live region that reads results out"),
    "xw-buttons": ("site_builder/widgets.py", "a widget's preset and reset buttons"),
    "xw-play": ("site_builder/widgets.py", "a play button"),
    "xw-adjust": ("site_builder/widgets.py", "an adjustable number in prose"),
    "xw-chosen": ("site_builder/widgets.py", "the chosen row's summary"),
    "xw-result": ("site_builder/widgets.py", "where an output's result goes"),
    # An output's box has the class of its kind: xw-<kind> (widgets.OUTPUT_TYPES).
    "xw-formula": ("site_builder/widgets.py", "a formula output (its MathML is filled in)"),
    "xw-error": ("site_builder/widgets.py", "where an output's error goes"),
    "xw-display": ("site_builder/article_pages.py", "a cell's display() output"),
    "xw-value": ("site_builder/runner.py", "an inline value in prose"),
    "xw-chart": ("site_builder/runtime/charts.py", "a chart's SVG"),
    "xw-status": ("templates/article.html", "the page's Python status"),
    "xw-status-text": ("templates/article.html", "its words"),
}

# What the script writes itself and reads back: data-xw-* on <html> or a widget, and
# classes on what it makes (for the stylesheet and the tests, not the build's).
SCRIPT_STATE = {
    "data-xw-state",  # <html>: loading, ready, error
    "data-xw-started-from",  # <html>: scratch or snapshot
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
