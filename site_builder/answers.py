"""Answers before Python: every output whose inputs have a small, finite space is computed
at build time for every combination of their values, and the page answers from that table
at first paint, before (and without) the Python runtime.

The build-time child process (runner.py) calls ``precompute`` with the article's ``Page``
in the browser namespace, the one that computed the outputs' first values: the same program
and the same rendering code. What it finds is encoded by ``encode`` into one table per set
of inputs (outputs that read the same inputs share a file, fetched when the reader first
reaches one of those inputs), and the page (``static/js/app.js``, ``answersFor``) decodes
an entry with a lookup and a join.

An input's space, in the order the page indexes it:

- ``range``, and ``number`` with a finite min and max: the grid ``min + k * step``,
  ``{"grid": [min, step, n]}``; the page's index is ``round((value - min) / step)``;
- ``select``, ``radio``: the options as the page sends them (their ``value`` attributes);
  ``checkbox``, ``toggle``: ``[false, true]``; ``rows``: the rows' keys. These are
  ``{"keys": [...]}``, matched by their text (``String(value)`` in the page);
- ``text`` (free text) and ``button`` (a counter with no end) have none.

An output's combinations are numbered with its first input most significant. Identical
results are stored once; results of one length in tokens (numbers and the text between
them) share a template, with a column for each token that differs among them, so a marker
moving along a fixed curve costs its few numbers per entry, not the curve.

Standard library only (it runs in the build's child process beside the cells).
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Article
    from .runtime.program import RunResult

# Defaults, documented in the README ("Answers before Python"); site.toml's [runtime]
# and front matter change them.
COMBINATIONS = 5_000  # per output: the product of its inputs' spaces
PAGE_BYTES = 400_000  # per page: all of its tables, gzip-compressed
SECONDS = 20.0  # per article: CPU time spent computing answers

TOKEN = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


class TimeUp(BaseException):
    """Raised (by the runner's alarm) when the time for answers is over: a BaseException,
    so that an output's own error handling (reactive.Page.compute) does not catch it."""


@dataclass(frozen=True)
class Limits:
    combinations: int = COMBINATIONS
    bytes: int = PAGE_BYTES
    seconds: float = SECONDS


@dataclass(frozen=True)
class Space:
    """The values an input can send, in index order (see the module docstring)."""

    domain: dict[str, Any]  # what the page needs: {"grid": [...]} or {"keys": [...]}
    values: list[Any]  # each value as the page sends it (what reactive.coerce takes)


def input_space(spec: dict[str, Any], rows: list[dict[str, Any]] | None, limit: int) -> Any:
    """The Space of one input (article_program.input_spec), or why it has none (a str)."""
    kind = spec["type"]
    if kind in ("range", "number"):
        lo, hi, step = spec.get("min"), spec.get("max"), spec.get("step", 1)
        if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
            return f"number input '{spec['name']}' has no min and max"
        d_lo, d_step = Decimal(repr(lo)), Decimal(repr(step))
        count = int((Decimal(repr(hi)) - d_lo) / d_step) + 1
        if count > limit:
            return f"'{spec['name']}' has {count:,} positions"
        values = [format(d_lo + k * d_step, "f") for k in range(count)]
        first = int((Decimal(repr(spec["value"])) - d_lo) / d_step)
        return Space({"grid": [lo, step, count], "first": first}, values)
    if kind in ("select", "radio"):
        keys = [str(o) for o in spec["options"]]
        return Space({"keys": keys, "first": keys.index(str(spec["value"]))}, keys)
    if kind in ("checkbox", "toggle"):
        return Space({"keys": [False, True], "first": int(bool(spec["value"]))}, [False, True])
    if kind == "rows":
        key = spec.get("key", "")
        keys = [r[key] for r in rows or [] if key in r]
        if not all(isinstance(k, str) or _number(k) for k in keys):
            return f"rows input '{spec['name']}' has keys that are not numbers or text"
        if spec["value"] not in keys:
            return f"rows input '{spec['name']}' has no row {spec['value']!r}"
        return Space({"keys": keys, "first": keys.index(spec["value"])}, keys)
    if kind == "text":
        return f"'{spec['name']}' is free text"
    if kind == "button":
        return f"'{spec['name']}' is a button (a count with no end)"
    return f"'{spec['name']}' is a {kind} input"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _key(result: dict[str, Any]) -> str:
    """A result as JSON text: what the worker sends the page (reactive.Page.compute_json)."""
    return json.dumps(result, separators=(",", ":"), ensure_ascii=False)


def spaces_of(page: Any, rows: dict[str, list[dict[str, Any]]], limit: int) -> dict[str, Any]:
    """The Space of each input of *page* (a reactive.Page), or why it has none (a str)."""
    return {name: input_space(spec, rows.get(name), limit) for name, spec in page.inputs.items()}


def ready_inputs(page: Any, tabled: set[str]) -> list[str]:
    """The inputs of *page* whose every output (the outputs naming them in their deps) is
    in *tabled*: their controls work at first paint, without Python."""
    return [
        name
        for name in page.inputs
        if all(spec["id"] in tabled for spec in page.outputs if name in spec["deps"])
    ]


def precompute(
    page: Any,
    spaces: dict[str, Any],
    initial: dict[str, dict[str, Any]],
    limits: Limits,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    only: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Compute every precomputable output of *page* (a reactive.Page) for every combination
    of its inputs (*spaces*: spaces_of), or those of them whose ids are in *only*. Returns
    (the encoded tables by output id, and why each other output with inputs was left to
    Python). *deadline*: the *clock* time at which to stop; a TimeUp raised meanwhile (the
    runner's alarm) stops the output being computed and the rest."""
    first = {name: page.ns[name] for name in page.inputs}
    found: dict[str, Any] = {}
    left: dict[str, str] = {}
    for spec in page.outputs:
        oid, deps = spec["id"], spec["deps"]
        if not deps or (only is not None and oid not in only):
            continue  # never changes: the built page already shows it
        reason = _why_not(spec, deps, spaces, limits)
        if not reason and clock() > deadline:
            reason = "the article's time for answers ran out"
        try:
            if not reason:
                reason, table = _table(
                    page, spec, [spaces[d] for d in deps], initial, deadline, clock
                )
        except TimeUp:
            reason, deadline = "too slow: stopped at the article's time for answers", 0.0
        finally:
            for name in page.inputs:  # every input back at its first value for the next
                page.ns[name] = first[name]
        if reason:
            left[oid] = reason
            continue
        found[oid] = {"deps": deps, **table}
    return found, left


def _why_not(spec: dict[str, Any], deps: list[str], spaces: dict[str, Any], limits: Limits) -> str:
    if spec.get("precompute") is False:
        return "precompute: false on its widget"
    for name in deps:
        if isinstance(spaces[name], str):
            return spaces[name]
    count = math.prod(len(spaces[d].values) for d in deps)
    if count > limits.combinations:
        sizes = " × ".join(f"{len(spaces[d].values):,}" for d in deps)
        return f"{count:,} combinations ({sizes}) > {limits.combinations:,}"
    return ""


def _combinations(spaces: list[Space]) -> Any:
    """Every combination of values, the first input's most significant."""
    if not spaces:
        yield ()
        return
    for value in spaces[0].values:
        for rest in _combinations(spaces[1:]):
            yield (value, *rest)


def _table(
    page: Any,
    spec: dict[str, Any],
    spaces: list[Space],
    initial: dict[str, dict[str, Any]],
    deadline: float,
    clock: Callable[[], float],
) -> tuple[str, dict[str, Any]]:
    """(why not, "") or ("", the encoded table) of one output."""
    deps = spec["deps"]
    count = math.prod(len(s.values) for s in spaces)
    # Outputs that read an input their expressions don't name would answer the reader
    # with that input at its first value: moving it, Python would differ from the table.
    others = [n for n in page.inputs if n not in deps]
    if others and (why := _reads_others(page, spec, others)):
        return why, {}
    results: list[str] = []
    start = clock()
    for k, combo in enumerate(_combinations(spaces)):
        page.set_inputs(dict(zip(deps, combo, strict=True)))
        results.append(_key(page.compute(spec)))
        now = clock()
        if k == 9 or now > deadline:
            spent = (now - start) / (k + 1) * count
            if now > deadline or start + spent > deadline:
                return f"too slow: about {spent:.1f} s for {count:,} combinations", {}
    # A table answers for Python only if Python would give the same again: the first
    # values' entry must be what the page was built with.
    page.set_inputs({n: page.inputs[n]["value"] for n in deps})
    again = _key(page.compute(spec))
    first = initial.get(spec["id"])
    built = _key({k: v for k, v in first.items() if k != "cost"}) if first else None
    position = 0
    for space in spaces:
        position = position * len(space.values) + space.domain["first"]
    if built != again or results[position] != again:
        return "gives different results for the same inputs (random, or the time?)", {}
    return "", encode_results(results)


def _reads_others(page: Any, spec: dict[str, Any], others: list[str]) -> str:
    """Why *spec* cannot be tabled because it reads one of *others* (inputs it does not
    declare), found by moving each to another value and computing again; else ""."""
    before = _key(page.compute(spec))
    if _key(page.compute(spec)) != before:
        return "gives different results for the same inputs (random, or the time?)"
    for name in others:
        value = page.ns[name]
        moved = _another(page.inputs[name], value)
        if moved is None:
            continue
        page.ns[name] = moved
        try:
            after = _key(page.compute(spec))
        finally:
            page.ns[name] = value
        if after != before:
            return f"reads input '{name}' that its expressions don't name (add it to uses:)"
    return ""


def _another(spec: dict[str, Any], value: Any) -> Any:
    """Some other value the input could take, in its own type, or None."""
    kind = spec["type"]
    if kind in ("checkbox", "toggle"):
        return not value
    if kind in ("select", "radio"):
        return next((o for o in spec["options"] if o != value), None)
    if kind in ("range", "number"):
        lo, hi = spec.get("min"), spec.get("max")
        other = lo if lo is not None and lo != value else hi
        if other is None or other == value:
            return None
        return round(other) if spec.get("integer") else float(other)
    if kind == "text":
        return value + "?"
    if kind == "button":
        return value + 1
    return None


def encode_results(results: list[str]) -> dict[str, Any]:
    """Encode the results of one output, one per combination (each the JSON text of a
    result), as ``{"i": [...], "g": [...]}``. ``i``: each combination's entry, as the step
    from the previous one less one (mostly zeros). ``g``: the distinct entries in groups;
    a group of entries with as many tokens holds a template ``t`` (text, with None where a
    column of ``c`` differs, see _column) and ``n`` entries; a group of one, ``d``, is an
    earlier entry with its middle replaced (``[entry, prefix, suffix, middle]``)."""
    ids: dict[str, int] = {}
    distinct: list[str] = []
    index = []
    for text in results:
        if text not in ids:
            ids[text] = len(distinct)
            distinct.append(text)
        index.append(ids[text])
    tokens = [TOKEN.split(text) for text in distinct]
    by_length: dict[int, list[int]] = {}
    for k, parts in enumerate(tokens):
        by_length.setdefault(len(parts), []).append(k)
    groups = sorted(by_length.values(), key=lambda m: (-len(m), m[0]))
    order: list[int] = []  # distinct entries renumbered group by group
    encoded: list[dict[str, Any]] = []
    bases: list[int] = []  # new numbers of the entries a group of one may start from
    for members in groups:
        if len(members) == 1 and order:
            text = distinct[members[0]]
            encoded.append({"n": 1, "d": _splice(text, [(b, distinct[order[b]]) for b in bases])})
            bases = [*bases[-7:], len(order)]
            order += members
            continue
        bases = [*bases[-7:], len(order)]
        order += members
        rows = [tokens[m] for m in members]
        template: list[str | None] = []
        columns: list[list[Any]] = []
        seen: dict[tuple[str, ...], int] = {}
        for position, first in enumerate(rows[0]):
            column = tuple(r[position] for r in rows)
            if all(c == first for c in column):
                template.append(first)
                continue
            # Text that differs only in its middle (a name inside a sentence): the rest
            # is the template's.
            head, tail = _around(column)
            column = tuple(c[len(head) : len(c) - len(tail)] for c in column)
            template += [head, None, tail]
            if column in seen:  # the same numbers again (a marker's x in two places)
                columns.append(["r", seen[column]])
            else:
                seen[column] = len(columns)
                columns.append(_column(list(column)))
        encoded.append(
            {"n": len(members), "t": _merge([t for t in template if t != ""]), "c": columns}
        )
    renumber = {old: new for new, old in enumerate(order)}
    steps, previous = [], -1
    for k in index:
        steps.append(renumber[k] - previous - 1)
        previous = renumber[k]
    return {"i": steps, "g": encoded}


def _around(column: tuple[str, ...]) -> tuple[str, str]:
    """The text every value of a column of text starts with, and ends with (not inside a
    number: a column of numbers stays whole)."""
    if TOKEN.fullmatch(column[0]):
        return "", ""
    head = os.path.commonprefix(list(column))
    shortest = min(len(c) for c in column) - len(head)
    tail = os.path.commonprefix([c[::-1] for c in column])[:shortest][::-1]
    # Not ending or starting inside a run of digits: TOKEN splits numbers whole.
    head = head.rstrip("0123456789.-")
    tail = tail.lstrip("0123456789.-")
    return head, tail


def _splice(text: str, bases: list[tuple[int, str]]) -> list[Any]:
    """*text* as the earlier entry it shares most with: [entry, prefix, suffix, middle]."""
    best: list[Any] = [-1, 0, 0, text]
    for entry, base in bases:
        prefix = len(os.path.commonprefix([text, base]))
        room = min(len(text), len(base)) - prefix
        suffix = 0
        while suffix < room and text[-1 - suffix] == base[-1 - suffix]:
            suffix += 1
        if prefix + suffix > best[1] + best[2]:
            best = [entry, prefix, suffix, text[prefix : len(text) - suffix]]
    return best


FIXED = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


def _column(values: list[str]) -> list[Any]:
    """A column of tokens, the shortest way that gives them back exactly: ``["n", d,
    steps]`` numbers with d decimals as written (steps between them, times 10**d),
    ``["z", d, steps]`` the same with trailing zeros dropped, ``["k", distinct,
    indices]`` few distinct texts, or ``["s", values]``."""
    if all(FIXED.fullmatch(v) for v in values):
        places = max(len(v.partition(".")[2]) for v in values)
        scaled = [_scaled(v, places) for v in values]
        if all(abs(n) < 2**53 for n in scaled):
            steps = [scaled[0]] + [b - a for a, b in itertools.pairwise(scaled)]
            for kind, strip in (("n", False), ("z", True)):
                if all(_fixed(n, places, strip) == v for n, v in zip(scaled, values, strict=True)):
                    return [kind, places, steps]
    distinct = list(dict.fromkeys(values))
    if len(distinct) * 3 < len(values):
        where = {v: k for k, v in enumerate(distinct)}
        return ["k", distinct, [where[v] for v in values]]
    return ["s", values]


def _scaled(text: str, places: int) -> int:
    """A decimal number written in *text* times 10**places, exactly."""
    whole, _, part = text.lstrip("-").partition(".")
    n = int(whole + part.ljust(places, "0"))
    return -n if text.startswith("-") else n


def _fixed(n: int, places: int, strip: bool) -> str:
    """The number n / 10**places written with *places* decimals (app.js: fixedText)."""
    digits = str(abs(n)).rjust(places + 1, "0")
    text = digits[: len(digits) - places] + ("." + digits[-places:] if places else "")
    if strip and places:
        text = text.rstrip("0").rstrip(".")
    return ("-" if n < 0 else "") + text


def _merge(template: list[str | None]) -> list[str | None]:
    """Adjacent constant tokens joined into one (a column stays a None)."""
    merged: list[str | None] = []
    for part in template:
        if part is not None and merged and merged[-1] is not None:
            merged[-1] += part
        else:
            merged.append(part)
    return merged


def decode(table: dict[str, Any], combination: int) -> dict[str, Any]:
    """The result of *combination* (what app.js's answersFor does; for tests)."""
    entry = -1
    for k, step in enumerate(table["i"]):
        entry += step + 1
        if k == combination:
            break
    return json.loads(_entry(table["g"], entry))


def _entry(groups: list[dict[str, Any]], entry: int) -> str:
    """The text of distinct entry *entry*."""
    for group in groups:
        if entry < group["n"]:
            if "d" in group:
                base, prefix, suffix, middle = group["d"]
                text = _entry(groups, base) if base >= 0 else ""
                return text[:prefix] + middle + text[len(text) - suffix :]
            columns = [_values(c, group["c"]) for c in group["c"]]
            column = iter(columns)
            return "".join(p if p is not None else next(column)[entry] for p in group["t"])
        entry -= group["n"]
    raise IndexError(entry)


def _values(column: list[Any], columns: list[list[Any]]) -> list[str]:
    kind = column[0]
    if kind == "r":
        return _values(columns[column[1]], columns)
    if kind in ("n", "z"):
        return [_fixed(n, column[1], kind == "z") for n in itertools.accumulate(column[2])]
    if kind == "k":
        return [column[1][k] for k in column[2]]
    return list(column[1])


def index_of(domain: dict[str, Any], value: Any) -> int | None:
    """The position of *value* (as the page sends it) in an input's space, or None."""
    if "grid" in domain:
        lo, step, count = domain["grid"]
        k = round((float(value) - lo) / step)
        return k if 0 <= k < count else None
    keys = [_text(v) for v in domain["keys"]]
    text = _text(value)
    return keys.index(text) if text in keys else None


def _text(value: Any) -> str:
    """JavaScript's String(value) for the values a space holds."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def files(
    found: dict[str, Any], spaces: dict[str, dict[str, Any]], budget: int
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The tables of one page as files: outputs that read the same inputs share one
    (``{"inputs": {name: domain}, "outputs": {id: table}}``), smallest first while the
    page's *budget* (gzip bytes) lasts. Returns (the files, each with its ``bytes``: its
    JSON text, and ``size``: gzipped; and why each output left out was)."""
    by_deps: dict[tuple[str, ...], dict[str, Any]] = {}
    for oid, table in found.items():
        deps = tuple(table["deps"])
        by_deps.setdefault(deps, {})[oid] = {k: v for k, v in table.items() if k != "deps"}
    made: list[dict[str, Any]] = []
    for deps, outputs in by_deps.items():
        data = {"inputs": {d: spaces[d] for d in deps}, "outputs": outputs}
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        size = len(gzip.compress(text.encode(), 9, mtime=0))
        made.append({"deps": list(deps), "outputs": sorted(outputs), "text": text, "size": size})
    made.sort(key=lambda f: f["size"])
    kept: list[dict[str, Any]] = []
    left: dict[str, str] = {}
    total = 0
    for f in made:
        if total + f["size"] <= budget:
            kept.append(f)
            total += f["size"]
            continue
        for oid in f["outputs"]:
            left[oid] = (
                f"too large: {f['size'] / 1000:,.0f} KB gzip with the outputs that read "
                f"{', '.join(f['deps'])}; the page's budget is {budget / 1000:,.0f} KB"
            )
    kept.sort(key=lambda f: f["outputs"])
    return kept, left


def report(where: str, answers: dict[str, Any]) -> str:
    """One line on what an article answers ahead and what it leaves to Python, and why."""
    tabled = sum(len(f["outputs"]) for f in answers.get("files", []))
    size = sum(f["size"] for f in answers.get("files", []))
    left = answers.get("left", {})
    line = f"{where}: answers before Python: {tabled} output(s), {size / 1000:,.1f} KB gzip"
    if "seconds" in answers:
        line += f", {answers['seconds']:.1f} s"
    if left:
        reasons: dict[str, list[str]] = {}
        for oid, why in sorted(left.items()):
            reasons.setdefault(why, []).append(oid)
        said = "; ".join(f"{', '.join(ids)}: {why}" for why, ids in reasons.items())
        line += f"; left to Python: {len(left)} ({said})"
    return line


def run_notes(changed: list[Article], executed: dict[str, RunResult]) -> list[str]:
    """Per article whose Python this build ran (not reused from the cache): how long, and
    why; then what it answers ahead (answers.report)."""
    notes = []
    for article in changed:
        run = executed.get(article.source.slug)
        if run and run.seconds:
            cells = len(article.cells)
            ran = run.ran or (
                f"all {cells} cells" if cells > 1 else "its cell" if cells else "its values"
            )
            why = "; ".join(run.why) or "its code changed"
            notes.append(
                f"{article.source.rel}: ran its Python in {run.seconds:.1f} s ({ran}): {why}"
            )
        if run and run.answers:
            notes.append(report(article.source.rel, run.answers))
    return notes
