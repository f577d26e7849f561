"""An article's Python, described once, and what running it at build time answers.

The build describes an article's program (``Program``) from its parsed Markdown
(``article_program.program_of``). The build-time child process (``runner.py``) reads the whole of
it as JSON and answers with a ``RunResult``; the reader's browser gets the part it runs,
``Program.for_browser``, as the page's spec (``page.<hash>.json``, read by
``static/js/worker.js``; its fields are listed in ``docs/protocol.md``, which a test
checks against this module).

Standard library only: this module ships to the browser with the rest of the package.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CellCode:
    """A fenced Python cell (blocks.split_blocks)."""

    index: int  # position among the article's cells
    code: str
    line: int  # file line of the cell's first code line
    browser: bool  # ```python exec: runs again in the reader's browser
    export: list[str] = field(default_factory=list)  # names sent to the browser


@dataclass(frozen=True)
class InlineValue:
    """An inline {py}`expr` value, evaluated after the cells (blocks.split_blocks)."""

    expr: str
    line: int
    format: str = ""  # a format spec (format(value, spec)); "" is str(value)
    kind: str = "value"  # "input": an adjustable number, drawn by the page, not evaluated
    column: int = 0  # where expr starts in its Markdown line: a traceback's carets point there


@dataclass(frozen=True)
class RowsSource:
    """The rows of a `rows` input: an expression evaluated at build time (widgets)."""

    name: str  # the input's name
    expr: str
    line: int
    key: str = ""  # the column that identifies a row
    columns: list[str] | None = None  # the columns shown (None: every column)
    value: Any = None  # the key of the row chosen at first
    formats: dict[str, str] = field(default_factory=dict)  # column -> format spec


@dataclass(frozen=True)
class Program:
    """Everything an article's Python does (article_program.program_of fills it)."""

    article: str  # the file name tracebacks show (absolute at build time, relative in pages)
    bundle: str | None  # the bundle folder at build time (its modules are importable)
    cells: list[CellCode]
    inlines: list[InlineValue]
    inputs: list[dict[str, Any]]  # article_program.input_spec: name, type, value, options
    outputs: list[dict[str, Any]]  # article_program.output_spec: id, type, line, deps, expressions
    rows: list[RowsSource]
    # Limits of the answers the build computes ahead (site_builder/answers.py):
    # {"combinations", "bytes", "seconds"}; empty when the article has none.
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.cells or self.inlines or self.outputs or self.rows)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Program:
        return cls(
            article=data["article"],
            bundle=data["bundle"],
            cells=[CellCode(**c) for c in data["cells"]],
            inlines=[InlineValue(**i) for i in data["inlines"]],
            inputs=data["inputs"],
            outputs=data["outputs"],
            rows=[RowsSource(**r) for r in data["rows"]],
            answers=data.get("answers", {}),
        )

    def for_browser(
        self,
        article: str,
        exports: dict[str, Any],
        modules: dict[str, str],
        time_limit: float = 5.0,
    ) -> dict[str, Any]:
        """The page's spec: what the browser worker runs. *modules* maps file paths to
        source: the bundle's own modules (the shared package ships once per site)."""
        return {
            "article": article,
            "modules": modules,
            "cells": [{"code": c.code, "line": c.line} for c in self.cells if c.browser],
            # As JSON text the page passes on untouched: JavaScript would turn 2.0 into 2
            # and refuse NaN; Python reads back exactly what the build exported.
            "exports": json.dumps(exports),  # in the build's key order, as Python keeps it
            "inputs": self.inputs,
            "outputs": self.outputs,
            "time_limit": time_limit,  # seconds one output may run in the browser
            "files": [],  # bundle files to give the browser's Python (set by the build)
            "packages": [],  # Python packages to load first (set by the build: packages.py)
        }


@dataclass
class CellOutput:
    """What one cell printed and showed at build time."""

    stdout: str
    stderr: str
    display: str  # HTML of the cell's last value ("" when None)


@dataclass
class Failure:
    """Where and why the article's Python failed at build time."""

    path: str  # the article file, or a module's path inside the bundle (see in_bundle)
    line: int
    message: str
    col: int = 0
    trace: str = ""  # the author's frames only
    hint: str = ""
    in_bundle: bool = False  # *path* is relative to the bundle folder


@dataclass
class RunResult:
    """The build-time child process's answer (runner.run)."""

    cells: list[CellOutput] = field(default_factory=list)
    inlines: list[str] = field(default_factory=list)  # each inline value as shown
    markup: list[int] = field(default_factory=list)  # which of them are markup (views.HTML)
    exports: dict[str, Any] = field(default_factory=dict)  # JSON values, by name
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by input name
    initial: dict[str, dict[str, Any]] = field(default_factory=dict)  # output id -> result
    error: Failure | None = None
    box: int = 0  # the Landlock ABI that confined the cells (0: the audit hook only)
    # The installed distributions that provide the modules the cells imported, with their
    # versions: a result computed with other versions is never reused.
    deps: dict[str, str] = field(default_factory=dict)
    # Bundle files (relative paths) the exec cells and outputs opened when the build ran
    # them as the browser will: the page gives the browser's Python the same files.
    files: list[str] = field(default_factory=list)
    # Bundle files (and folders, "name/") any phase read, with what it saw of each
    # (runner.read_digest): the cached run holds while they are the same.
    read: dict[str, str] = field(default_factory=dict)
    # Answers computed ahead (site_builder/answers.py): {"files": [{deps, outputs, text,
    # size}], "inputs": those whose every output is in a file, "left": {output id: why
    # Python answers it}, "seconds": time spent}.
    answers: dict[str, Any] = field(default_factory=dict)
    # Seconds this build spent running it; 0.0 for a result reused from the cache (not
    # part of its JSON: a cached run and a fresh one are the same result).
    seconds: float = 0.0
    # Why it ran: what changed since the article's last run (cells.why_it_ran), for the
    # author; not part of its JSON either.
    why: list[str] = field(default_factory=list)
    # What of it ran, when not all of it (a warm runner in the dev server: warm.py), for
    # the author; not part of its JSON either.
    ran: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["seconds"], data["why"], data["ran"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunResult:
        error = data.get("error")
        return cls(
            cells=[CellOutput(**c) for c in data["cells"]],
            inlines=list(data["inlines"]),
            markup=list(data.get("markup", [])),
            exports=data["exports"],
            rows=data["rows"],
            initial=data["initial"],
            error=Failure(**error) if error else None,
            box=data.get("box", 0),
            deps=dict(data.get("deps", {})),
            files=list(data.get("files", [])),
            read=dict(data.get("read", {})),
            answers=dict(data.get("answers", {})),
        )
