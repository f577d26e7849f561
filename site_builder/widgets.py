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
Pyodide in the browser; this module only checks the options, and ``markup`` writes the
widget's HTML from what it checked.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import math
import re
from decimal import Decimal
from typing import Any

import yaml

from .errors import Collector
from .markup import SLOT_BASE
from .model import Input, Option, Output, Widget
from .runtime.charts import EXPR, expr_of
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
    "rows": {"rows", "key", "columns", "value", "label", "placeholder", "format", "width"},
}
OUTPUT_TYPES: dict[str, set[str]] = {
    "value": {"format", "label", "uses"},
    "html": {"label", "alt", "uses"},
    "plot": {"marker", "domain", "samples", "label", "y_domain", "x_label", "y_label", "uses"},
    "formula": {"label", "uses"},
    "table": {"columns", "label", "format", "uses"},
    "chart": {"x", "y", "label", "uses", "title", "aspect"},
}
# A chart's marks: the key naming the kind holds a Python expression; the options listed
# here name fields of the data (plain words), except "at" (an expression). Any option but
# those in LITERAL_OPTIONS may be an expression instead, written "=expr".
MARK_OPTIONS: dict[str, set[str]] = {
    "line": {"label", "x", "y", "samples", "color", "z", "style"},
    "scatter": {"label", "x", "y", "color", "size", "key", "link"},
    "bar": {"label", "x", "y", "width"},
    "area": {"label", "x", "y", "y0", "y1", "color", "z"},
    "point": {"label"},
    "rule": {"label", "axis", "style"},
    "text": {"at"},
    "drag": {"label", "y"},
    "histogram": {"label", "x", "bins", "thresholds"},
}
LITERAL_OPTIONS = {"at", "axis", "link", "key", "samples"}  # what the page itself reads
AXIS_OPTIONS = {"domain", "label", "scale"}
BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_"))
WIDGET_KEYS = ("inputs", "outputs", "label", "presets", "id", "place", "source", "precompute")
# The format specs a range's readout may use: the page formats the readout itself while the
# slider moves (static/js/app.js, formatNumber), the same way Python's format() does.
READOUT_FORMAT = re.compile(r"\+?,?(?:\.\d{1,2})?[fe%d]?")
# A format spec of Python's mini-language (a column's format: format(value, spec)).
READOUT_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?#?0?\d*[,_]?(?:\.\d+)?[bcdeEfFgGnosxX%]?")
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
        formats = values.get("format", {})
        if not (
            isinstance(formats, dict)
            and all(isinstance(f, str) and READOUT_SPEC.fullmatch(f) for f in formats.values())
        ):
            err(
                "format",
                "'format' maps columns to format specs, e.g. {fare: .2f, age: g}; "
                f"got {formats!r}",
            )
        widths = values.get("width", {})
        if not (
            isinstance(widths, dict)
            and all(isinstance(w, int) and not isinstance(w, bool) and 1 <= w <= 200
                    for w in widths.values())
        ):  # fmt: skip
            err(
                "width",
                f"'width' maps columns to widths in characters, e.g. {{name: 30}}; got {widths!r}",
            )
        if not isinstance(values.get("placeholder", ""), str):
            err("placeholder", "'placeholder' is the search field's hint, a text")


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


NUMBER_OPTIONS = {"at", "axis", "samples", "bins", "thresholds", "width"}  # not text


def _option_expr(
    option: Option, allowed: bool, where: str, problems: Collector
) -> dict[str, str] | None:
    """An option written "=expr": the expression, checked ({"=": "expr"}, what
    charts.expr_of reads); None for a plain value (or one that may not be an expression)."""
    text = option.value
    if not (isinstance(text, str) and text.startswith("=")):
        return None
    if not allowed:
        problems.error(where, option.line, f"this option must be written as it is, got {text!r}")
        return None
    source = text[1:].strip()
    _check_expr(source, where, option.line, problems)
    return {EXPR: source}


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
            expr = _option_expr(option, key not in LITERAL_OPTIONS, where, problems)
            if expr is not None:
                mark[key] = expr
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
            elif key == "bins" and not (
                isinstance(option.value, int) and 1 <= option.value <= 1000
            ):
                problems.error(
                    where, option.line, f"bins: a whole number from 1 to 1000, got {option.value!r}"
                )
            elif key == "thresholds" and not (
                isinstance(option.value, list)
                and len(option.value) >= 2
                and all(map(_number, option.value))
            ):
                problems.error(
                    where,
                    option.line,
                    f"thresholds: a list of two edges or more, got {option.value!r}",
                    hint="or an expression: thresholds: =edges(x)",
                )
            elif key == "width" and not (_number(option.value) and option.value > 0):
                problems.error(
                    where, option.line, f"width: a number above 0 (x units), got {option.value!r}"
                )
            elif key not in NUMBER_OPTIONS and not isinstance(option.value, str):
                problems.error(
                    where,
                    option.line,
                    f"{key}: expected a field name or a label (text), got {option.value!r}",
                    hint=f"for the value of a Python expression, write {key}: =EXPR",
                )
            mark[key] = option.expr if key == "at" else option.value
        if kind == "text" and "at" not in mopts:
            problems.error(where, mline, "a text mark needs at: (x, y), or a list of points")
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
        axis = values[name] = dict(axis)
        # A domain given as text is an expression ("=" or not: no domain is text); a
        # label is one when it starts with "=".
        for key in ("domain", "label"):
            text = axis.get(key)
            if isinstance(text, str) and (key == "domain" or text.startswith("=")):
                source = text.removeprefix("=").strip()
                if _check_expr(source, where, aline, problems):
                    axis[key] = {EXPR: source}
        dom = axis.get("domain")
        if expr_of(dom) is not None:
            pass
        elif "domain" in axis and not (
            isinstance(dom, list) and len(dom) == 2 and all(map(_number, dom)) and dom[0] < dom[1]
        ):
            problems.error(
                where, aline, f"{name}: domain must be [low, high] with low < high, got {dom!r}"
            )
        elif axis.get("scale", "linear") not in ("linear", "log"):
            problems.error(
                where, aline, f"{name}: scale must be linear or log, got {axis['scale']!r}"
            )
        elif axis.get("scale") == "log" and isinstance(dom, list) and dom[0] <= 0:
            problems.error(where, aline, f"{name}: a log axis needs a domain above 0, got {dom!r}")
    if "title" in opts:
        title = _option_expr(opts["title"], True, where, problems)
        if title is not None:
            values["title"] = title
    if "aspect" in opts and opts["aspect"].value != "equal":
        problems.error(
            where,
            opts["aspect"].line,
            f"aspect: equal is the one choice, got {opts['aspect'].value!r}",
        )
    if len(problems.errors) > before:
        return None
    values.pop("expr", None)
    return marks
