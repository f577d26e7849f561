"""An article's program: what its cells, widget outputs and inline values make of the
source, described once (``runtime.program.Program``) for the build's child process
(runner.py) and for the page's worker (article_pages.page_spec).

Each output's JSON names the inputs it depends on: those its expressions name, and those
the article's functions it calls read (``function_reads``), so a change of one input
recomputes only what depends on it, and answers.py knows what to table.
"""

from __future__ import annotations

import ast
from typing import Any

from .model import Article, Input, Output
from .runtime.charts import expr_of
from .runtime.program import CellCode, InlineValue, Program, RowsSource


def expr_names(expr: str) -> set[str]:
    """Return the names an expression reads."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def output_exprs(output: Output) -> list[str]:
    """Every expression an output evaluates."""
    o = output.options
    if output.type == "formula":
        return [s["expr"] for s in o["slots"]]
    if output.type == "chart":  # the marks, and options written "=expr" (charts.expr_of)
        options = [*o["marks"], o.get("x") or {}, o.get("y") or {}, {"title": o.get("title")}]
        written = [e for opts in options for v in opts.values() if (e := expr_of(v))]
        return (
            [m["expr"] for m in o["marks"]] + [m["at"] for m in o["marks"] if "at" in m] + written
        )
    return [o["expr"]] + ([o["marker"]] if "marker" in o else [])


def output_spec(
    output: Output, input_names: set[str], reads: dict[str, set[str]] | None = None
) -> dict[str, Any]:
    """The JSON the runtime needs to compute an output, with the inputs it depends on:
    those its expressions name, those the article's functions they call read (*reads*,
    see function_reads), and those listed in ``uses:``."""
    names = set().union(*(expr_names(e) for e in output_exprs(output)))
    todo, seen = list(names), set(names)
    while todo:  # through the functions called, and the functions they call
        for name in (reads or {}).get(todo.pop(), set()) - seen:
            seen.add(name)
            todo.append(name)
    uses = output.options.get("uses") or []
    deps = (seen | {str(u) for u in uses}) & input_names
    spec = {"id": output.id, "type": output.type, "line": output.line, "deps": sorted(deps)}
    skip = ("label", "tex", "alt", "uses")
    spec.update({k: v for k, v in output.options.items() if k not in skip})
    return spec


def function_reads(sources: list[str]) -> dict[str, set[str]]:
    """For each function defined at the top level of *sources* (cells, modules), the
    global names its body reads: an output calling it depends on the inputs among them."""
    reads: dict[str, set[str]] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            args = node.args
            local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
            local |= {a.arg for a in (args.vararg, args.kwarg) if a}
            loads: set[str] = set()
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name):
                    (loads if isinstance(sub.ctx, ast.Load) else local).add(sub.id)
            reads[node.name] = reads.get(node.name, set()) | (loads - local)
    return reads


def input_spec(inp: Input) -> dict[str, Any]:
    """The JSON the runtime needs to coerce an input's values."""
    spec: dict[str, Any] = {"name": inp.name, "type": inp.type, "value": inp.options["value"]}
    if inp.type in ("select", "radio"):
        spec["options"] = list(inp.options["options"])
    if inp.type in ("range", "number"):  # whole-number bounds and step: values are ints
        o = inp.options
        numbers = [o.get("min", 0), o.get("step", 1), o["value"]]
        spec["integer"] = all(isinstance(v, int) and not isinstance(v, bool) for v in numbers)
        # The grid of values the page can send (answers.py tables them).
        spec.update({k: o[k] for k in ("min", "max", "step") if k in o})
    if inp.type == "rows":
        spec["key"] = str(inp.options["key"])
    return spec


def program_of(article: Article) -> Program:
    """The description of *article*'s Python that the runner and the browser both read."""
    names = {i.name for w in article.widgets for i in w.inputs}
    sources = [c.code for c in article.cells]
    if article.source.bundle:
        sources += [
            p.read_text(encoding="utf-8") for p in sorted(article.source.bundle.glob("*.py"))
        ]
    reads = function_reads(sources)
    inputs = [i for w in article.widgets for i in w.inputs if not i.options.get("copy")]
    outputs = [
        output_spec(o, names, reads) | ({} if w.precompute else {"precompute": False})
        for w in article.widgets
        for o in w.outputs
    ]
    return Program(
        article=str(article.source.path),
        bundle=str(article.source.bundle) if article.source.bundle else None,
        cells=[CellCode(c.index, c.code, c.line, c.browser, list(c.export)) for c in article.cells],
        inlines=[InlineValue(i.expr, i.line, i.format, i.kind, i.column) for i in article.inlines],
        inputs=[input_spec(i) for i in inputs],
        outputs=outputs + live_inlines(article, names, reads),
        rows=[rows_source(i) for i in inputs if i.type == "rows"],
    )


def live_inlines(
    article: Article, names: set[str], reads: dict[str, set[str]]
) -> list[dict[str, Any]]:
    """Live prose: every inline value that reads an input (itself or through the functions
    it calls) is also a value output, ``p<index>``, recomputed in the browser."""
    found = []
    for inline in article.inlines:
        if inline.kind != "value":
            continue  # an adjustable number: the page moves it itself
        options = {"expr": inline.expr, "format": inline.format}
        spec = output_spec(Output(f"p{inline.index}", "value", inline.line, options), names, reads)
        if spec["deps"]:
            found.append(spec)
    return found


def live_inline_ids(article: Article) -> set[str]:
    """The ids of *article*'s live inline values (see live_inlines)."""
    return {o["id"] for o in program_of(article).outputs if o["id"].startswith("p")}


def rows_source(inp: Input) -> RowsSource:
    o = inp.options
    columns = o.get("columns")
    shown = [str(c) for c in columns] if columns is not None else None
    formats = {str(k): str(v) for k, v in (o.get("format") or {}).items()}
    return RowsSource(inp.name, o["rows"], inp.line, str(o["key"]), shown, o["value"], formats)
