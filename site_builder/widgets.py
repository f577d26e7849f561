"""Parse and validate ```widget blocks, and render their controls as HTML.

A widget block is YAML::

    label: Sigmoid explorer
    inputs:
      x: {type: range, min: -20, max: 20, step: 0.01, value: 0, label: x}
    outputs:
      - value: sigmoid(x)
        format: .4f
        label: σ(x)
      - plot: sigmoid
        marker: x
        domain: [-20, 20]

Outputs are computed by ``site_builder.runtime.reactive`` in CPython at build time and in
Pyodide in the browser; this module only checks the options and writes the markup.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import html
import json
import keyword
import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import yaml

from .errors import Collector
from .model import Input, Option, Output, Widget
from .yamlsafe import WidgetLoader, structure_problem, yaml_too_large

INPUT_TYPES: dict[str, set[str]] = {
    "range": {"min", "max", "step", "value", "label", "format", "keyboard_step", "play"},
    "number": {"min", "max", "step", "value", "label"},
    "select": {"options", "value", "label"},
    "checkbox": {"value", "label"},
    "toggle": {"value", "label"},
    "radio": {"options", "value", "label"},
    "text": {"value", "label", "placeholder"},
    "button": {"value", "label"},
    "rows": {"rows", "key", "columns", "value", "label"},
}
OUTPUT_TYPES: dict[str, set[str]] = {
    "value": {"format", "label", "uses"},
    "html": {"label", "alt", "uses"},
    "plot": {"marker", "domain", "samples", "label", "y_domain", "x_label", "y_label", "uses"},
    "formula": {"label", "uses"},
    "table": {"columns", "label", "format", "uses"},
    "chart": {"x", "y", "label", "uses", "title"},
}
# A chart's marks: the key naming the kind holds a Python expression; the options listed
# here name fields of the data (plain words), except "at" (an expression).
MARK_OPTIONS: dict[str, set[str]] = {
    "line": {"label", "x", "y", "samples"},
    "scatter": {"label", "x", "y", "color", "size", "key", "link"},
    "bar": {"label", "x", "y"},
    "area": {"label", "x", "y", "y0", "y1"},
    "point": {"label"},
    "rule": {"label", "axis"},
    "text": {"at"},
    "drag": {"label", "y"},
}
AXIS_OPTIONS = {"domain", "label", "scale"}
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
WIDGET_KEYS = ("inputs", "outputs", "label", "presets", "id", "place", "source", "precompute")
VAL_RE = re.compile(r"\\val\{")
FIGURE_ID = re.compile(r"[A-Za-z][\w-]*")  # a widget's id:, as {ref}`name` names it


def _plain(node: yaml.Node) -> Any:
    return WidgetLoader("").construct_object(node, deep=True)


_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}


def _source(node: yaml.Node) -> str | None:
    """The text of a number or a [flow, list] as written in the YAML, where an option
    holding a Python expression needs it (Option.expr); None for anything else."""
    start, end = node.start_mark, node.end_mark
    number = isinstance(node, yaml.ScalarNode) and node.tag in _NUMBER_TAGS
    flow = isinstance(node, yaml.SequenceNode) and node.flow_style
    if not (number or flow) or start.buffer is None or start.line != end.line:
        return None
    return start.buffer[start.index : end.index]


def _options(node: yaml.Node, line0: int) -> dict[str, Option] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    result: dict[str, Option] = {}
    for key, value in node.value:
        line = line0 + key.start_mark.line
        result[str(key.value)] = Option(_plain(value), line, _source(value))
    return result


def parse_widget(
    text: str, index: int, open_line: int, where: str, problems: Collector
) -> Widget | None:
    """Parse one widget block whose fence is at *open_line*; report every bad option."""
    line0 = open_line + 1  # the file line of the YAML's first line
    try:
        root = None if yaml_too_large(text, None) else yaml.compose(text, Loader=WidgetLoader)
    except RecursionError:
        problems.error(where, open_line, "this widget's YAML is nested too deeply to read")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.error(
            where,
            line0 + (mark.line if mark else 0),
            f"invalid YAML in widget: {getattr(exc, 'problem', None) or exc}",
            (mark.column + 1) if mark else 0,
        )
        return None
    if too_large := yaml_too_large(text, root):
        problems.error(where, open_line, f"this widget's YAML {too_large}")
        return None
    if found := structure_problem(root):
        problems.error(where, line0 + found[0], f"this widget's YAML {found[1]}")
        return None
    top = _options(root, line0) if root is not None else None
    if top is None:
        problems.error(where, open_line, "a widget block needs 'inputs:' and/or 'outputs:'")
        return None
    before = len(problems.errors)
    for key, option in top.items():
        if key not in (
            "inputs",
            "outputs",
            "label",
            "presets",
            "id",
            "place",
            "source",
            "precompute",
        ):
            problems.error(
                where,
                option.line,
                f"unknown widget key '{key}'",
                hint="a widget has id, label, place, source, precompute, inputs, outputs "
                "and presets",
            )
    ahead = top["precompute"].value if "precompute" in top else True
    if not isinstance(ahead, bool):
        problems.error(where, top["precompute"].line, f"precompute: true or false, got {ahead!r}")
    shown = top["source"].value if "source" in top else False
    if not isinstance(shown, bool):
        problems.error(where, top["source"].line, f"source: true or false, got {shown!r}")
    place = top["place"].value if "place" in top else "block"
    if place not in ("block", "side"):
        problems.error(where, top["place"].line, f"place: block or side, got {place!r}")
    ident = top["id"].value if "id" in top else ""
    if "id" in top and not (isinstance(ident, str) and FIGURE_ID.fullmatch(ident)):
        problems.error(
            where,
            top["id"].line,
            f"id: a name of letters, digits, '-' and '_' starting with a letter, got {ident!r}",
        )
    assert isinstance(root, yaml.MappingNode)
    nodes = {str(k.value): v for k, v in root.value}
    inputs = _parse_inputs(nodes.get("inputs"), line0, where, problems)
    outputs = _parse_outputs(nodes.get("outputs"), index, line0, where, problems)
    if not inputs and not outputs and len(problems.errors) == before:
        problems.error(where, open_line, "a widget block needs 'inputs:' and/or 'outputs:'")
    if len(problems.errors) > before:
        return None
    presets = _check_presets(top.get("presets"), inputs, where, problems)
    if len(problems.errors) > before:
        return None
    label = top["label"].value if "label" in top else ""
    return Widget(
        index,
        open_line,
        tuple(inputs),
        tuple(outputs),
        str(label),
        str(ident),
        str(place),
        f"```widget\n{text.rstrip()}\n```" if shown is True else "",
        presets,
        ahead is not False,
    )


def _check_presets(
    option: Option | None, inputs: list[Input], where: str, problems: Collector
) -> tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]:
    """``presets: {name: {input: value, …}, …}``: each sets inputs of this widget to values
    they can take."""
    if option is None:
        return ()
    found = []
    by_name = {i.name: i for i in inputs}
    if not isinstance(option.value, dict) or not option.value:
        problems.error(where, option.line, "presets: expected {name: {input: value, ...}, ...}")
        return ()
    for name, values in option.value.items():
        if not isinstance(values, dict) or not values:
            problems.error(where, option.line, f"preset {name!r}: expected {{input: value, ...}}")
            continue
        for key, value in values.items():
            inp = by_name.get(key)
            if inp is None:
                problems.error(
                    where,
                    option.line,
                    f"preset {name!r} sets {key!r}, which is not an input of this widget",
                    hint="inputs: " + ", ".join(by_name),
                )
            elif problem := _preset_problem(inp, value):
                problems.error(where, option.line, f"preset {name!r}: {key} {problem}")
        found.append((str(name), tuple((str(k), v) for k, v in values.items())))
    return tuple(found)


def _preset_problem(inp: Input, value: Any) -> str:
    o = inp.options
    if inp.type in ("range", "number"):
        if not _number(value):
            return f"must be a number, got {value!r}"
        if ("min" in o and value < o["min"]) or ("max" in o and value > o["max"]):
            return f"must be within [{o.get('min')}, {o.get('max')}], got {value!r}"
    elif inp.type in ("checkbox", "toggle") and not isinstance(value, bool):
        return f"must be true or false, got {value!r}"
    elif inp.type in ("select", "radio") and value not in o.get("options", {}):
        return f"must be one of {', '.join(map(str, o.get('options', {})))}, got {value!r}"
    return ""


def _parse_inputs(
    node: yaml.Node | None, line0: int, where: str, problems: Collector
) -> list[Input]:
    if node is None:
        return []
    if not isinstance(node, yaml.MappingNode):
        problems.error(
            where,
            line0 + node.start_mark.line,
            "'inputs' must map names to options, e.g. x: {type: range, ...}",
        )
        return []
    inputs = []
    for key_node, value_node in node.value:
        name, line = str(key_node.value), line0 + key_node.start_mark.line
        if not name.isidentifier() or keyword.iskeyword(name):
            problems.error(where, line, f"input name {name!r} is not a Python name")
            continue
        if name in BUILTIN_NAMES:  # set as a global, it would hide the builtin everywhere
            problems.warn(
                where,
                line,
                f"input name {name!r} is Python's own {name}(): every output calling it would "
                "get the input's value instead",
                hint=f"name the input otherwise, e.g. {name}_value",
            )
            continue
        if isinstance(value_node, yaml.ScalarNode) and value_node.value == "same":
            # The input of that name from another widget, placed here too (articles.py
            # resolves it: both controls stay in step).
            inputs.append(Input(name, "same", line, {}))
            continue
        opts = _options(value_node, line0)
        if opts is None:
            problems.error(where, line, f"input '{name}' needs options, e.g. {{type: range}}")
            continue
        kind = opts.pop("type", Option("range", line)).value
        if kind not in INPUT_TYPES:
            problems.error(
                where,
                line,
                f"input '{name}': unknown input type {kind!r}",
                hint="input types: " + ", ".join(INPUT_TYPES),
            )
            continue
        unknown = f"input '{name}': unknown option '{{key}}' for type {kind}"
        _unknown_options(opts, INPUT_TYPES[kind], unknown, where, problems)
        values = {k: o.value for k, o in opts.items()}
        _check_input(name, kind, values, opts, line, where, problems)
        inputs.append(Input(name, kind, line, values))
    return inputs


def _play_problem(play: Any, step: float) -> str:
    """What is wrong with a range's ``play:`` (true, or {step, every, loop}), or ""."""
    if play is True:
        return ""
    if not isinstance(play, dict):
        return f"play: expected true or {{step: ..., every: ms, loop: true}}, got {play!r}"
    for key, value in play.items():
        if key == "step" and not (_number(value) and value > 0):
            return f"play step: a number above 0, got {value!r}"
        if key == "every" and not (_number(value) and 16 <= value <= 5000):
            return f"play every: milliseconds from 16 to 5000, got {value!r}"
        if key == "loop" and not isinstance(value, bool):
            return f"play loop: true or false, got {value!r}"
        if key not in ("step", "every", "loop"):
            return f"play: unknown option '{key}' (step, every, loop)"
    return ""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check_input(
    name: str,
    kind: str,
    values: dict[str, Any],
    opts: dict[str, Option],
    line: int,
    where: str,
    problems: Collector,
) -> None:
    """Check one input's options against its kind. (One rule per option: long, but each
    rule stands alone.)"""

    def err(key: str, message: str) -> None:
        problems.error(where, opts[key].line if key in opts else line, f"input '{name}': {message}")

    if kind in ("range", "number"):
        for key in ("min", "max", "step", "value"):
            if key in values and not _number(values[key]):
                err(key, f"'{key}' must be a number, got {values[key]!r}")
                return
        if kind == "range":
            for key in ("min", "max"):
                if key not in values:
                    err(key, f"a range needs '{key}'")
                    return
        lo, hi = values.get("min", -math.inf), values.get("max", math.inf)
        if lo > hi:
            err("min", f"min ({lo}) is greater than max ({hi})")
            return
        step = values.get("step", 1)
        if step <= 0:
            err("step", f"step must be greater than 0, got {step}")
        value = values.setdefault("value", lo if math.isfinite(lo) else 0)
        if not lo <= value <= hi:
            err("value", f"value {value} is outside [{lo}, {hi}]")
        elif step > 0 and math.isfinite(lo):
            # The browser snaps a slider to min + k * step; an initial value off that grid
            # would show one value and compute another.
            k = (Decimal(repr(value)) - Decimal(repr(lo))) / Decimal(repr(step))
            if k != k.to_integral_value():
                err("value", f"value {value} is not on the step grid (min {lo}, step {step})")
        if kind == "range" and "format" in values:
            fmt = values["format"]
            if not isinstance(fmt, str) or not READOUT_FORMAT.fullmatch(fmt):
                err(
                    "format",
                    f"a range's readout format must be like .2f, .1%, .3e, d or ,.0f "
                    f"(what the page can format as it moves), got {fmt!r}",
                )
        if kind == "range" and "play" in values:
            problem = _play_problem(values["play"], step)
            if problem:
                err("play", problem)
            elif values["play"] is True:
                values["play"] = {}
        keys = values.get("keyboard_step")
        if keys is not None and step > 0:
            ratio = Decimal(repr(keys)) / Decimal(repr(step)) if _number(keys) else None
            if ratio is None or keys <= 0 or ratio != ratio.to_integral_value():
                err(
                    "keyboard_step",
                    f"keyboard_step must be a multiple of step ({step}), got {keys!r}",
                )
    elif kind == "text":
        value = values.setdefault("value", "")
        if not isinstance(value, str):
            err("value", f"a text input's value must be a string, got {value!r}")
    elif kind == "button":  # a counter: how many times it was pressed
        value = values.setdefault("value", 0)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            err("value", f"a button's value counts presses: a whole number from 0, got {value!r}")
    elif kind in ("select", "radio"):
        options = values.get("options")
        if isinstance(options, list):
            if any(not isinstance(v, str | int | float) or isinstance(v, bool) for v in options):
                err("options", "select values must be strings or numbers (a list of them)")
                return
            values["options"] = options = {v: str(v) for v in options}
        if not isinstance(options, dict) or not options:
            err("options", f"a {kind} needs 'options': a list, or a mapping of value to label")
            return
        if any(not isinstance(v, str | int | float) for v in options):
            err("options", "select values must be strings or numbers")
        value = values.setdefault("value", next(iter(options)))
        if value not in options:
            err("value", f"value {value!r} is not one of the options")
    elif kind in ("checkbox", "toggle"):
        value = values.setdefault("value", False)
        if not isinstance(value, bool):
            err("value", f"a {kind} value must be true or false, got {value!r}")
    elif kind == "rows":
        for key in ("rows", "key"):
            if not isinstance(values.get(key), str):
                err(
                    key,
                    f"a rows input needs '{key}' (rows: an expression giving a list of "
                    "dicts; key: the column that identifies a row)",
                )
                return
        _check_expr(values["rows"], where, opts["rows"].line, problems)
        columns = values.get("columns")
        if isinstance(columns, list):
            values["columns"] = {c: str(c) for c in columns}
        elif columns is not None and not isinstance(columns, dict):
            err("columns", "'columns' must be a list of column names or a mapping name: heading")
        if "value" not in values:
            err("value", "a rows input needs the key of the row selected at first ('value')")


def _check_expr(expr: Any, where: str, line: int, problems: Collector) -> bool:
    if not isinstance(expr, str):
        problems.error(where, line, f"expected a Python expression, got {expr!r}")
        return False
    try:
        ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        problems.error(where, line, f"invalid Python expression {expr!r}: {exc.msg}")
        return False
    return True


def split_slots(tex: str) -> tuple[str, list[tuple[str, str]]] | None:
    r"""Replace each ``\val{expr}`` or ``\val{expr}{format}`` in *tex* with a numbered token."""
    slots: list[tuple[str, str]] = []
    out, pos = [], 0
    for m in VAL_RE.finditer(tex):
        if m.start() < pos:
            continue
        args, end = [], m.end()
        for _ in range(2):
            depth, start = 1, end
            while end < len(tex) and depth:
                depth += {"{": 1, "}": -1}.get(tex[end], 0)
                end += 1
            if depth:
                return None
            args.append(tex[start : end - 1])
            if end >= len(tex) or tex[end] != "{":
                break
            end += 1
        out.append(tex[pos : m.start()] + "{" + str(SLOT_BASE + len(slots)) + "}")
        slots.append((args[0], args[1] if len(args) > 1 else ""))
        pos = end
    out.append(tex[pos:])
    return "".join(out), slots


SLOT_BASE = 918273600  # a number no author writes; becomes <mn>918273600</mn> in MathML


def _slot_text(values: list[str], k: int) -> str:
    return values[k] if k < len(values) else "?"


def _kind_of(
    item: yaml.Node,
    line0: int,
    kinds: dict[str, set[str]],
    what: str,
    example: str,
    where: str,
    problems: Collector,
) -> tuple[str, dict[str, Option]] | None:
    """The kind of one list item (an output, a chart's mark): the one key of *kinds* it
    has, and its options; an error at its line when it has none or several."""
    opts = _options(item, line0)
    found = [key for key in (opts or {}) if key in kinds]
    if opts is None or len(found) != 1:
        problems.error(
            where,
            line0 + item.start_mark.line,
            f"each {what} needs exactly one of: " + ", ".join(kinds),
            hint=f"e.g. {example}",
        )
        return None
    return found[0], opts


def _unknown_options(
    opts: dict[str, Option],
    allowed: set[str],
    message: str,
    where: str,
    problems: Collector,
    kind: str = "",
) -> None:
    """Report each option of *opts* that is not *allowed* (nor the *kind* key that named
    what it is), at its line: *message* with ``{key}`` for its name, and the options."""
    for key, option in opts.items():
        if key not in allowed and key != kind:
            hint = "options: " + (", ".join(sorted(allowed)) or "none")
            problems.error(where, option.line, message.format(key=key), hint=hint)


def _parse_outputs(
    node: yaml.Node | None, index: int, line0: int, where: str, problems: Collector
) -> list[Output]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.error(
            where, line0 + node.start_mark.line, "'outputs' must be a list, e.g. - value: f(x)"
        )
        return []
    outputs = []
    for k, item in enumerate(node.value):
        line = line0 + item.start_mark.line
        found = _kind_of(
            item, line0, OUTPUT_TYPES, "output", "- value: sigmoid(x)", where, problems
        )
        if found is None:
            continue
        kind, opts = found
        unknown = f"unknown option '{{key}}' for a {kind} output"
        _unknown_options(opts, OUTPUT_TYPES[kind], unknown, where, problems, kind)
        values = _output_values(kind, opts, line, where, problems)
        if values is None:
            continue
        if kind == "chart":
            assert isinstance(item, yaml.MappingNode)
            marks_node = next(v for k, v in item.value if str(k.value) == "chart")
            marks = _check_chart(marks_node, values, opts, line0, where, problems)
            if marks is None:
                continue
            values["marks"] = marks
        outputs.append(Output(f"w{index}o{k}", kind, line, values))
    return outputs


def _output_values(
    kind: str, opts: dict[str, Option], line: int, where: str, problems: Collector
) -> dict[str, Any] | None:
    """The checked options of one output of *kind* (None when its expression can't be
    split); *line* is the output's first line."""
    values = {key: o.value for key, o in opts.items()}
    values.pop(kind)
    values["expr"] = opts[kind].expr
    if "marker" in opts:
        values["marker"] = opts["marker"].expr
    eline = opts[kind].line
    uses = values.get("uses")
    if "uses" in values and not (
        isinstance(uses, list) and all(isinstance(u, str) and u.isidentifier() for u in uses)
    ):
        problems.error(
            where,
            opts["uses"].line,
            f"uses: must be a list of input names, got {uses!r}",
            hint="inputs an output reads that its expression does not name, e.g. uses: [x, y]",
        )
        return None
    if kind == "chart":
        return values  # its marks are checked from their YAML nodes (_check_chart)
    if kind == "formula":
        parsed = split_slots(str(values["expr"]))
        if parsed is None:
            problems.error(where, eline, "unbalanced braces in \\val{...}")
            return None
        values["tex"], slots = parsed
        values["slots"] = [{"expr": e, "format": f} for e, f in slots]
        for expr, _ in slots:
            _check_expr(expr, where, eline, problems)
    else:
        _check_expr(values["expr"], where, eline, problems)
    if kind == "plot":
        _check_plot(values, opts, line, where, problems)
    if "format" in values:
        fmt = values["format"]
        try:
            if fmt != "spark" or kind != "value":  # spark: a sparkline (views.inline_value)
                format(1.5, str(fmt))
        except (ValueError, TypeError):
            problems.error(
                where,
                opts["format"].line,
                f"invalid format spec {fmt!r}",
                hint="Python format specs, e.g. .4f, .1%, ,d; or spark (a value output's "
                "sequence of numbers drawn as a sparkline)",
            )
    return values


def _check_plot(
    values: dict[str, Any], opts: dict[str, Option], line: int, where: str, problems: Collector
) -> None:
    if "marker" in values:
        _check_expr(values["marker"], where, opts["marker"].line, problems)
    for key in ("domain", "y_domain"):
        if key not in values:
            continue
        dom = values[key]
        if not (
            isinstance(dom, list) and len(dom) == 2 and all(map(_number, dom)) and dom[0] < dom[1]
        ):
            problems.error(
                where, opts[key].line, f"'{key}' must be [low, high] with low < high, got {dom!r}"
            )
    if "domain" not in values:
        problems.error(where, line, "a plot needs 'domain: [low, high]'")
    samples = values.setdefault("samples", 200)
    if not isinstance(samples, int) or not 2 <= samples <= 5000:
        problems.error(
            where,
            opts["samples"].line,
            f"'samples' must be a whole number from 2 to 5000, got {samples!r}",
        )


def _check_chart(
    node: yaml.Node,
    values: dict[str, Any],
    opts: dict[str, Option],
    line0: int,
    where: str,
    problems: Collector,
) -> list[dict[str, Any]] | None:
    """A chart's marks, each ``{"mark", "expr", "line", options…}``, and its axes, checked
    option by option at their own lines; None when any is wrong."""
    before = len(problems.errors)
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        problems.error(
            where,
            line0 + node.start_mark.line,
            "a chart is a list of marks, e.g. - line: sigmoid",
            hint="marks: " + ", ".join(MARK_OPTIONS),
        )
        return None
    marks = []
    for item in node.value:
        mline = line0 + item.start_mark.line
        found = _kind_of(
            item, line0, MARK_OPTIONS, "mark", "- scatter: passengers", where, problems
        )
        if found is None:
            continue
        kind, mopts = found
        mark: dict[str, Any] = {"mark": kind, "expr": mopts[kind].expr, "line": mline}
        if kind == "drag":  # input names, not an expression: drag: x, or drag: [x, y]
            bound = mopts[kind].value
            bound = bound if isinstance(bound, list) else [bound]
            if not (
                1 <= len(bound) <= 2
                and all(isinstance(b, str) and b.isidentifier() for b in bound)
                and (len(bound) == 2) != ("y" in mopts)
            ):
                problems.error(
                    where,
                    mopts[kind].line,
                    "drag: one input with y: (its height), or [x_input, y_input]",
                    hint="e.g. drag: z with y: sigmoid(z); or drag: [a, b]",
                )
            mark["bind"] = bound
            mark["expr"] = f"({bound[0]}, {mopts['y'].expr if 'y' in mopts else bound[-1]})"
            if "y" in mopts:
                _check_expr(mopts["y"].expr, where, mopts["y"].line, problems)
            marks.append(mark)
            continue
        _check_expr(mark["expr"], where, mopts[kind].line, problems)
        unknown = f"unknown option '{{key}}' for a {kind} mark"
        _unknown_options(mopts, MARK_OPTIONS[kind], unknown, where, problems, kind)
        for key, option in mopts.items():
            if key == kind or key not in MARK_OPTIONS[kind]:
                continue
            if key == "at":
                _check_expr(option.expr, where, option.line, problems)
            elif key == "axis" and option.value not in ("x", "y"):
                problems.error(where, option.line, f"axis: must be x or y, got {option.value!r}")
            elif key == "samples" and not (
                isinstance(option.value, int) and 2 <= option.value <= 5000
            ):
                problems.error(
                    where,
                    option.line,
                    f"samples: a whole number from 2 to 5000, got {option.value!r}",
                )
            elif key not in ("at", "axis", "samples") and not isinstance(option.value, str):
                problems.error(
                    where,
                    option.line,
                    f"{key}: expected a field name or a label (text), got {option.value!r}",
                )
            mark[key] = option.expr if key == "at" else option.value
        if kind == "text" and "at" not in mopts:
            problems.error(where, mline, "a text mark needs at: (x, y)")
        marks.append(mark)
    for name in ("x", "y"):
        if name not in opts:
            continue
        axis, aline = opts[name].value, opts[name].line
        if not isinstance(axis, dict):
            problems.error(
                where, aline, f"{name}: expected {{domain: [lo, hi], label: ..., scale: ...}}"
            )
            continue
        for key in axis:
            if key not in AXIS_OPTIONS:
                problems.error(
                    where,
                    aline,
                    f"unknown option '{key}' for the {name} axis",
                    hint="options: " + ", ".join(sorted(AXIS_OPTIONS)),
                )
        dom = axis.get("domain")
        if "domain" in axis and not (
            isinstance(dom, list) and len(dom) == 2 and all(map(_number, dom)) and dom[0] < dom[1]
        ):
            problems.error(
                where, aline, f"{name}: domain must be [low, high] with low < high, got {dom!r}"
            )
        elif axis.get("scale", "linear") not in ("linear", "log"):
            problems.error(
                where, aline, f"{name}: scale must be linear or log, got {axis['scale']!r}"
            )
        elif axis.get("scale") == "log" and dom and dom[0] <= 0:
            problems.error(where, aline, f"{name}: a log axis needs a domain above 0, got {dom!r}")
    if len(problems.errors) > before:
        return None
    values.pop("expr", None)
    return marks


# --- markup -------------------------------------------------------------------------------


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
            import json

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


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# The format specs a range's readout may use: the page formats the readout itself while the
# slider moves (static/js/app.js, formatNumber), the same way Python's format() does.
READOUT_FORMAT = re.compile(r"\+?,?(?:\.\d{1,2})?[fe%d]?")
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

    @classmethod
    def of(cls, inp: Input, rows: list[dict[str, Any]]) -> RowsView:
        o = inp.options
        columns = o.get("columns") or {c: str(c) for c in (rows[0] if rows else {})}
        keys = [row.get(o["key"]) for row in rows]
        cells = [[_cell_text(row.get(c)) for c in columns] for row in rows]
        chosen = keys.index(o["value"]) if o["value"] in keys else 0
        return cls(
            str(o.get("label", inp.name)), [str(h) for h in columns.values()], keys, cells, chosen
        )

    @property
    def pages(self) -> int:
        return max(1, -(-len(self.keys) // ROWS_PAGE))

    def data(self) -> bytes:
        """The rows for the page's script: a line with the headings and the row count,
        then a line per ROWS_CHUNK rows, by column. The page parses one line per task,
        so no task of a 50,000-row table is long."""
        lines = [{"headings": self.headings, "total": len(self.keys)}]
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
        head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in self.headings)
        first = page * ROWS_PAGE
        body = []
        for i in range(first, min(first + ROWS_PAGE, len(self.keys))):
            mark = ' class="xw-chosen"' if i == self.chosen else ""
            cells = "".join(f"<td>{html.escape(c)}</td>" for c in self.cells[i])
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
    import json

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
