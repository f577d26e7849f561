"""Compute widget outputs from inputs; the same code serves the build and the browser.

The browser worker holds one ``Page`` and calls ``Page.update`` with the inputs that
changed; only outputs whose expressions read one of them are recomputed. Inputs are
also set as globals of the article's namespace, so functions can read them directly
(but only names written in an output's own expressions count as its dependencies).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from .charts import chart, expr_of
from .views import HTML, inline_value, line_plot, table_html


def coerce(spec: dict[str, Any], raw: Any) -> Any:
    """Turn a value from the page (often a string) into the input's Python type."""
    kind = spec["type"]
    if kind in ("range", "number"):
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(f"{spec['name']}: not a finite number: {raw!r}")
        if spec.get("integer"):  # bounds and step are whole numbers: so is every value
            return round(value)
        return value
    if kind in ("checkbox", "toggle"):
        return raw is True or raw in ("true", "on", "1", 1)
    if kind == "button":
        return int(raw)
    if kind == "text":
        return str(raw)
    if kind in ("select", "radio"):
        for option in spec["options"]:
            if str(option) == str(raw):
                return option
        raise ValueError(f"{spec['name']}: {raw!r} is not one of the options")
    if kind == "rows":
        return int(raw) if isinstance(spec["value"], int) else str(raw)
    return raw


def new_namespace(exports_json: str) -> dict[str, Any]:
    """A fresh article namespace holding the values the build exported."""
    return {"__name__": "__main__", **json.loads(exports_json)}


def _error(exc: BaseException) -> dict[str, Any]:
    return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


class Page:
    """The reactive state of one article: its namespace, inputs and outputs."""

    def __init__(self, namespace: dict[str, Any], inputs: list[dict], outputs: list[dict]):
        self.ns = namespace
        self.inputs = {spec["name"]: spec for spec in inputs}
        self.outputs = outputs
        self.by_id = {spec["id"]: spec for spec in outputs}
        self.code: dict[str, Any] = {}
        for spec in outputs:
            try:
                self.code[spec["id"]] = self._compile(spec)
            except SyntaxError as exc:
                self.code[spec["id"]] = exc
        for name, spec in self.inputs.items():
            self.ns[name] = coerce(spec, spec["value"])

    @staticmethod
    def _compile(spec: dict[str, Any]) -> dict[str, Any]:
        def c(expr: str) -> Any:
            return compile(str(expr).strip(), f"<output {spec['id']}>", "eval")

        if spec["type"] == "formula":
            return {"slots": [c(s["expr"]) for s in spec["slots"]]}
        if spec["type"] == "chart":
            # Options written "=expr" (charts.expr_of), on marks, axes and the title.
            def exprs(options: Any) -> dict[str, Any]:
                found = {k: expr_of(v) for k, v in (options or {}).items()}
                return {k: c(e) for k, e in found.items() if e is not None}

            return {
                "marks": [c(m["expr"]) for m in spec["marks"]],
                "at": [c(m["at"]) if "at" in m else None for m in spec["marks"]],
                "options": [exprs(m) for m in spec["marks"]],
                "axes": {name: exprs(spec.get(name)) for name in ("x", "y")},
                "title": c(t) if (t := expr_of(spec.get("title"))) is not None else None,
            }
        code = {"expr": c(spec["expr"])}
        if "marker" in spec:
            code["marker"] = c(spec["marker"])
        return code

    def compute(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Compute one output; an exception becomes that output's error, not the page's."""
        code = self.code[spec["id"]]
        if isinstance(code, SyntaxError):
            return _error(code)
        try:
            value = self._value(spec, code)
        except Exception as exc:
            return _error(exc)
        if spec["type"] == "value" and isinstance(value, HTML):
            return {"ok": True, "value": str(value), "html": True}  # a sparkline, say
        return {"ok": True, "value": value}

    def _value(self, spec: dict[str, Any], code: dict[str, Any]) -> Any:
        ns, kind = self.ns, spec["type"]
        if kind == "formula":
            return [
                _format(eval(c, ns), s.get("format", ""))
                for c, s in zip(code["slots"], spec["slots"], strict=True)
            ]
        if kind == "chart":
            ns = self.ns
            x, y = (
                {**(spec.get(a) or {}), **{k: eval(e, ns) for k, e in code["axes"][a].items()}}
                for a in ("x", "y")
            )
            title = eval(code["title"], ns) if code["title"] else spec.get("title", "")
            return str(
                chart(
                    self._marks(spec, code),
                    x,
                    y,
                    title=str(title),
                    ident=spec["id"],
                    aspect=spec.get("aspect", ""),
                )
            )
        value = eval(code["expr"], ns)
        if kind == "value":
            return inline_value(value, spec.get("format", ""))
        if kind == "html":
            if hasattr(value, "_repr_html_"):
                value = value._repr_html_()
            if not isinstance(value, str):
                raise TypeError(f"an html output must return a str, got {type(value).__name__}")
            return str(value)
        if kind == "plot":
            if not callable(value):
                raise TypeError(
                    f"a plot needs a function of one number, got {type(value).__name__}"
                )
            marker = eval(code["marker"], ns) if "marker" in code else None
            return str(
                line_plot(
                    value,
                    spec["domain"],
                    samples=spec.get("samples", 200),
                    marker=None if marker is None else float(marker),
                    y_domain=spec.get("y_domain"),
                    x_label=spec.get("x_label", spec.get("marker", "x")),
                    y_label=spec.get("y_label", str(spec["expr"]).strip() + "(x)"),
                )
            )
        if kind == "table":
            return str(table_html(value, spec.get("columns"), spec.get("format", "")))
        raise ValueError(f"unknown output type {kind!r}")

    def _marks(self, spec: dict[str, Any], code: dict[str, Any]) -> list[dict[str, Any]]:
        """A chart's marks with their expressions evaluated (charts.chart's input)."""
        marks = []
        for m, expr, at, options in zip(
            spec["marks"], code["marks"], code["at"], code["options"], strict=True
        ):
            value = eval(expr, self.ns)
            mark = {k: v for k, v in m.items() if k not in ("expr", "line", "at")}
            mark.update({k: eval(e, self.ns) for k, e in options.items()})
            kind = m["mark"]
            if kind in ("line", "area") and callable(value):
                mark["fn"] = value
            elif kind in ("line", "area", "scatter", "bar", "histogram"):
                mark["data"] = value
            elif kind in ("point", "drag"):
                mark["at"] = value
            elif kind == "rule":
                mark[m.get("axis", "x")] = value
            else:
                mark["text"], mark["at"] = value, eval(at, self.ns)
            marks.append(mark)
        return marks

    @classmethod
    def from_json(cls, namespace: Any, inputs_json: str, outputs_json: str) -> Page:
        """Build a Page from the JSON the build wrote (the browser's entry point)."""
        return cls(namespace, json.loads(inputs_json), json.loads(outputs_json))

    def render_all_json(self) -> str:
        """Every output as JSON, the shape ``update`` returns."""
        return json.dumps({"outputs": self.render_all()})

    def render_all(self) -> dict[str, dict[str, Any]]:
        """Compute every output (the initial state)."""
        return {spec["id"]: self.compute(spec) for spec in self.outputs}

    def measure_all(self) -> dict[str, dict[str, Any]]:
        """render_all, each result with its ``cost``: how slow it was, as a coarse class
        (0 under a millisecond, 1 under 20 ms, 2 slower) so that builds stay reproducible.
        The browser computes cheap outputs first."""
        return {spec["id"]: self.measure(spec) for spec in self.outputs}

    def measure(self, spec: dict[str, Any]) -> dict[str, Any]:
        """One output's result with its ``cost`` (measure_all)."""
        start = time.perf_counter()
        result = self.compute(spec)
        ms = (time.perf_counter() - start) * 1000
        return {**result, "cost": 0 if ms < 1 else 1 if ms < 20 else 2}

    def accept(self, changes_json: str) -> str:
        """Apply input changes (a JSON object); return, as JSON, the ids of the outputs they
        affect, in page order (``{"outputs": [...]}``, or ``{"error": ...}``). The worker
        computes them one at a time (compute_json), cheapest first."""
        try:
            return json.dumps({"outputs": self._affected(changes_json)})
        except (ValueError, KeyError) as exc:
            return json.dumps({"error": f"{type(exc).__name__}: {exc}"})

    def compute_json(self, output_id: str) -> str:
        """One output's result as JSON (``{"ok": true, "value"}`` or ``{"ok": false, ...}``)."""
        return json.dumps(self.compute(self.by_id[output_id]))

    def _affected(self, changes_json: str) -> list[str]:
        """Set the inputs in *changes_json*; the ids of the outputs that read a changed one.
        Raises ValueError or KeyError for a value or a name the inputs refuse."""
        changed = self.set_inputs(json.loads(changes_json))
        return [spec["id"] for spec in self.outputs if changed.intersection(spec["deps"])]

    def set_inputs(self, changes: dict[str, Any]) -> set[str]:
        """Store new input values; return the names that changed."""
        changed = set()
        for name, raw in changes.items():
            value = coerce(self.inputs[name], raw)
            if self.ns.get(name) != value or name not in self.ns:
                self.ns[name] = value
                changed.add(name)
        return changed

    def update(self, changes_json: str) -> str:
        """Apply input changes (JSON object) and return the affected outputs as JSON: accept
        and compute_json in one call."""
        try:
            ids = self._affected(changes_json)
        except (ValueError, KeyError) as exc:
            return json.dumps({"error": f"{type(exc).__name__}: {exc}"})
        return json.dumps({"outputs": {i: self.compute(self.by_id[i]) for i in ids}})


def _format(value: Any, fmt: str) -> str:
    if isinstance(value, HTML):
        return str(value)
    return format(value, fmt) if fmt else str(value)
