"""Run one article's Python in a child process: ``python -m site_builder.runner JOB RESULT``.

Phases, in order (each mirrors what the reader's browser will do):
1. every cell, in order, in one build namespace; output captured per cell;
2. inline {py}`...` values, rows of row-inputs, and the cells' exports, from that namespace;
3. a fresh *browser* namespace holding only the exports, in which the browser cells run
   again with imports limited to what Pyodide has; the widgets' initial outputs come from
   there, computed by the same ``site_builder.runtime.reactive`` code the browser runs.

The working directory is a scratch copy of the article's bundle, and ``TMPDIR`` a private
temporary folder beside it: the cells may write only there (``sandbox`` explains the box).
Progress goes to ``RESULT.progress`` so the parent can name the cell that hung or killed
the process.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.abc
import io
import json
import math
import os
import re
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.markup import plain_value
from site_builder.pyodide import PYODIDE_VERSION, browser_sources, imports_of
from site_builder.runtime.program import CellOutput, Failure, Program, RunResult

OUTPUT_LIMIT = 200_000  # characters of printed output kept per cell
BROWSER_ONLY = {"js", "pyodide", "pyodide_js", "micropip"}  # modules only the browser has


class _Capped(io.StringIO):
    """A text sink that keeps the first OUTPUT_LIMIT characters and counts the rest."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def write(self, s: str) -> int:
        self.total += len(s)
        room = OUTPUT_LIMIT - self.tell()
        if room > 0:
            super().write(s[:room])
        return len(s)

    def text(self) -> str:
        value = self.getvalue()
        if self.total > OUTPUT_LIMIT:
            value += f"\n… output truncated: {self.total:,} characters printed, first "
            value += f"{OUTPUT_LIMIT:,} shown"
        return value


# event -> positions of the paths it changes (besides "open" for writing and SQLite's)
_CHANGES = {
    "os.remove": (0,),
    "os.rename": (0, 1),  # also os.replace and shutil.move
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "shutil.rmtree": (0,),
    "os.truncate": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.utime": (0,),
    "os.symlink": (1,),
    "os.link": (1,),
    "os.mkfifo": (0,),
    "os.mknod": (0,),
    "os.setxattr": (0,),
    "os.removexattr": (0,),
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def written(event: str, args: tuple[Any, ...]) -> list[Any]:
    """The paths an audit event writes to, create or change (none for most events)."""
    if event == "open" and args[0] is not None and not isinstance(args[0], int):
        mode, flags = args[1], args[2]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        return [args[0]] if writing else []
    if event == "sqlite3.connect" and args:
        name = os.fsdecode(args[0]) if isinstance(args[0], str | bytes | os.PathLike) else ""
        return [name] if name and name != ":memory:" and not name.startswith("file:") else []
    return [args[i] for i in _CHANGES.get(event, ()) if i < len(args)]


def within(path: Any, folders: tuple[str, ...]) -> bool:
    """Whether *path* (a name or a descriptor) is inside one of *folders* (real paths), or
    is a harmless device such as /dev/null (Landlock allows those too)."""
    from site_builder.sandbox import DEVICES

    if isinstance(path, int) or path is None:
        return True
    real = os.path.realpath(os.fsdecode(path))
    return real in DEVICES or any(real == a or real.startswith(a + os.sep) for a in folders)


def _guard_writes(folders: list[str]) -> None:
    """Refuse, with a clear message, writes by Python's own file functions outside
    *folders* (the scratch copy and the private temporary folder). Landlock, where the
    kernel has it, enforces the same for every route (sandbox.confine_writes); this hook
    names the problem in words an author understands."""
    allowed = tuple(os.path.realpath(f) for f in folders)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        for path in written(event, args):
            if not within(path, allowed):
                raise PermissionError(
                    f"build-time Python may only write inside its working folder, not to "
                    f"{os.fsdecode(path)}"
                )

    sys.addaudithook(hook)


# The article's browser packages: unpacked wheel folders and the modules they provide.
_PACKAGES: dict[str, Any] = json.loads(os.environ.get("SITE_BUILDER_PACKAGES") or "{}")


class _BrowserImports(importlib.abc.MetaPathFinder):
    """Refuse imports the browser runtime cannot satisfy (no numpy, pandas, ...)."""

    def __init__(self, local: set[str]):
        self.allowed = set(sys.stdlib_module_names) | local | {"site_builder", "_pyodide"}
        self.allowed |= set(_PACKAGES.get("imports", []))  # declared for the browser
        self.missing: set[str] = set()  # the host's pure-Python stdlib the browser lacks
        zipped = os.environ.get("SITE_BUILDER_BROWSER_STDLIB")
        if zipped and os.path.isfile(zipped):
            theirs = _browser_stdlib(zipped)
            self.allowed |= theirs
            self.missing = _host_pure_stdlib() - theirs - local

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top in self.missing:
            raise ModuleNotFoundError(
                f"No module named {top!r} in the browser's Python standard library "
                f"(Pyodide {PYODIDE_VERSION}, Python 3.14; the build's Python "
                f"{sys.version_info.major}.{sys.version_info.minor} still has it)",
                name=fullname,
            )
        if top not in self.allowed:
            raise ModuleNotFoundError(
                f"No module named {top!r} in the browser runtime (Pyodide has the standard "
                f"library and this article's own modules)",
                name=fullname,
            )
        return None


def _browser_stdlib(zipped: str) -> set[str]:
    """Top-level module names in Pyodide's python_stdlib.zip."""
    import zipfile

    with zipfile.ZipFile(zipped) as z:
        names = {n.split("/")[0] for n in z.namelist()}
    return {n.removesuffix(".pyc").removesuffix(".py") for n in names}


def _host_pure_stdlib() -> set[str]:
    """The host's standard library modules written in Python (a .py file or a package):
    the ones the browser's zip must hold too. Extension modules are left alone."""
    import sysconfig

    folder = Path(sysconfig.get_paths()["stdlib"])
    found = {p.stem for p in folder.glob("*.py")}
    found |= {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
    return found & set(sys.stdlib_module_names)


def _limited_builtins(finder: _BrowserImports) -> dict[str, Any]:
    """Builtins whose __import__ refuses modules the browser lacks, even if already loaded."""
    import builtins

    real_import = builtins.__import__

    def checked_import(
        name: str,
        globals: Any = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        if level == 0:
            finder.find_spec(name)
        return real_import(name, globals, locals, fromlist, level)

    return {**vars(builtins), "__import__": checked_import}


def _author_frames(tb: Any, article: str, bundle: str | None) -> list[traceback.FrameSummary]:
    frames = traceback.extract_tb(tb)
    return [
        f
        for f in frames
        if f.filename == article or (bundle and f.filename.startswith(bundle + os.sep))
    ]


def _failure(exc: BaseException, article: str, bundle: str | None, scratch: str) -> Failure:
    """Where the author's code failed: the innermost frame in the article or its bundle."""
    frames = _author_frames(exc.__traceback__, article, bundle)
    if isinstance(exc, SyntaxError) and exc.filename == article:
        return Failure(article, exc.lineno or 0, f"SyntaxError: {exc.msg}", col=exc.offset or 0)
    last = frames[-1] if frames else None
    path = last.filename if last else article
    in_bundle = bool(bundle) and path.startswith(f"{bundle}{os.sep}")
    if in_bundle:
        path = os.path.relpath(path, bundle)
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    trace = "".join(traceback.format_list(frames)).replace(scratch + os.sep, "")
    line = (last.lineno or 0) if last else 0
    return Failure(path, line, message, trace=trace, in_bundle=in_bundle)


def _split_last_expr(code: str, line: int, article: str) -> tuple[Any, Any]:
    source = "\n" * (line - 1) + code
    tree = ast.parse(source, article)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body[-1].value)
        tree.body.pop()
    body = compile(tree, article, "exec")
    return body, (compile(last, article, "eval") if last else None)


STYLE_BLOCK_RE = re.compile(r"<style\b.*?</style>", re.S | re.I)
STYLE_ATTR_RE = re.compile(r"""\sstyle=("[^"]*"|'[^']*')""", re.I)
TABLE_BORDER_RE = re.compile(r"""(<table\b[^>]*?)\sborder=("[^"]*"|'[^']*'|\d+)""", re.I)
EMPTY_HEADER_RE = re.compile(r"<th>(\s|&nbsp;)*</th>", re.I)


def _display(value: Any) -> str:
    """The HTML for a cell's last value. Inline styles are dropped: the site's
    Content-Security-Policy forbids them (pandas adds some to every DataFrame)."""

    if value is None:
        return ""
    if _is_matplotlib_figure(value):
        return _figure_svg(value)
    if hasattr(value, "_repr_html_"):
        markup = str(value._repr_html_())
    elif hasattr(value, "_repr_svg_"):
        markup = str(value._repr_svg_())
    else:
        return plain_value(value)
    markup = STYLE_ATTR_RE.sub("", STYLE_BLOCK_RE.sub("", markup))
    # Valid, named tables: no presentational border, no header cell without a name (the
    # corner above a DataFrame's index).
    markup = TABLE_BORDER_RE.sub(r"\1", markup)
    return EMPTY_HEADER_RE.sub('<th><span class="visually-hidden">Row</span></th>', markup)


def _is_matplotlib_figure(value: Any) -> bool:
    """A matplotlib Figure (or Axes), told apart without importing matplotlib."""
    module = type(value).__module__ or ""
    return module.startswith("matplotlib.") and (
        hasattr(value, "savefig") or hasattr(getattr(value, "figure", None), "savefig")
    )


# matplotlib writes presentation as style="fill: #fff; stroke-width: 0.8"; the page's policy
# forbids style attributes, so each declaration becomes the SVG attribute of that name.
_SVG_STYLE_RE = re.compile(r'\sstyle="([^"]*)"')
_SVG_HEAD_RE = re.compile(r"^.*?(<svg\b)", re.S)


def _style_to_attributes(m: re.Match[str]) -> str:
    parts = []
    for declaration in m[1].split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            parts.append(f' {name.strip()}="{value.strip()}"')
    return "".join(parts)


def _figure_svg(value: Any) -> str:
    """A matplotlib figure as inline SVG: the same bytes every build (fixed ids, no date),
    scaling to its column (viewBox, no fixed size), its text kept as text (readable, and
    the page keeps it at 11 px or more on phones), named by its title for screen readers."""
    import html
    import io

    import matplotlib

    figure = value if hasattr(value, "savefig") else value.figure
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "site-builder", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _SVG_HEAD_RE.sub(r"\1", buffer.getvalue(), count=1)
    svg = STYLE_BLOCK_RE.sub("", svg)
    svg = _SVG_STYLE_RE.sub(_style_to_attributes, svg)
    for _ in ("width", "height"):  # the viewBox stays: the drawing scales to its column
        svg = re.sub(r'(<svg\b[^>]*?)\s(?:width|height)="[^"]*"', r"\1", svg, count=1)
    titles = [t for ax in figure.get_axes() if (t := ax.get_title())]
    name = html.escape("; ".join(titles) or "Figure", quote=True)
    svg = svg.replace("<svg ", f'<svg class="xw-figure" role="img" aria-label="{name}" ', 1)
    return svg


def to_plain(value: Any) -> Any:
    """Convert numpy/pandas values to plain Python that JSON carries exactly: floats stay
    floats (NaN and ±inf too: the spec holds them as JSON text Python reads back), tuples
    become lists, dict keys strings."""
    if hasattr(value, "to_dict") and hasattr(value, "columns"):
        value = value.to_dict("records")
    elif hasattr(value, "tolist"):
        value = value.tolist()
    elif hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to the browser")


class _Stop(Exception):
    """The run ends here; RunResult.error, or the Failure given, says why."""


class Stops:
    """The points where a run may stop and later go on with a changed program: after each
    cell, and after its outputs. The dev server's warm runner (warm.py) keeps a process
    waiting at each, holding the run's state as it was there; a plain run passes them by.
    mark() says how far the run got."""

    def __init__(self, progress: Any = None) -> None:
        self.progress = progress

    def mark(self, text: str) -> None:
        if self.progress is not None:
            self.progress.write(text + "\n")
            self.progress.flush()

    def after_cells(self, count: int) -> Resume | None:
        """*count* cells have run; None: go on."""
        return None

    def after_outputs(self) -> Resume | None:
        """The outputs and answers are done; None: the run ends."""
        return None


@dataclass
class Resume:
    """Go on from a stop with *program*: its cells up to the stop are the ones that ran."""

    program: Program
    # From the stop after every cell: run only these cells again, in order, first
    # removing the names in *forget* (those their last versions bound).
    rerun: list[int] | None = None
    forget: list[str] = field(default_factory=list)


def output_key(spec: dict[str, Any]) -> str:
    """An output as its result depends on it: its spec without its id and line."""
    return json.dumps(
        {k: v for k, v in spec.items() if k not in ("id", "line")}, sort_keys=True, default=str
    )


class Run:
    """One run of an article's program; see the module docstring for its phases."""

    def __init__(self, program: Program, stops: Stops) -> None:
        self.program, self.stops = program, stops
        self.result = RunResult()
        self.cwd = os.getcwd()
        self.ns: dict[str, Any] = {"__name__": "__main__"}
        self.browser: dict[str, Any] = {}
        self.page: Any = None
        self.read: set[str] = set()  # the bundle files the browser's cells opened
        self.seen: set[str] = set()  # the bundle files and folders the cells read
        # output_key -> what measuring the output and answering for it gave and read:
        # an output unchanged since the last stop after the outputs is not computed again.
        self.records: dict[str, dict[str, Any]] = {}
        self.measured = 0  # outputs measured by the last outputs(), not kept from before

    def cells_and_values(self) -> bool:
        """Phases 1 to 3; False when the author's code failed (result.error says where)."""
        mark = self.stops.mark
        try:
            with _files_read(self.cwd, self.seen, folders=True):
                self.program = _run_cells(self.program, self.ns, self.result, self.stops)
                _evaluate(self.program, self.ns, self.result, mark)
                with _files_read(self.cwd, self.read):
                    self.browser = _run_as_the_browser(self.program, self.result, mark)
        except _Stop as stop:
            if stop.args:  # a cell failed (_run_cell); the other phases set the error
                self.result.error = stop.args[0]
            return False
        return True

    def state(self) -> str:
        """What the outputs are computed from, after phase 3: the exported values, the
        browser's cells, the inputs and rows, the limits of the answers. Outputs measured
        from an equal state give the same results (records() and keep())."""
        import hashlib

        program = self.program
        data = [
            self.result.exports,
            [c.code for c in program.cells if c.browser],
            program.inputs,
            self.result.rows,
            program.answers,
            sorted(self.read),
        ]
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()

    def saved_records(self) -> dict[str, Any]:
        """The outputs' records as JSON, with the state they were computed from."""
        return {
            "state": self.state(),
            "records": {
                key: {**r, "read": sorted(r["read"]), "seen": sorted(r["seen"])}
                for key, r in self.records.items()
            },
        }

    def keep(self, saved: dict[str, Any] | None) -> None:
        """Take the records of an earlier run (saved_records) when they were computed from
        the state this run is in: its outputs are then not computed again."""
        if saved and saved.get("state") == self.state():
            self.records = {
                key: {**r, "read": set(r["read"]), "seen": set(r["seen"])}
                for key, r in saved["records"].items()
            }

    def outputs(self) -> None:
        """The outputs' first results, in the browser's namespace (only those not
        measured before, on a resumed run), and what the run read."""
        from site_builder.runtime.reactive import Page

        self.stops.mark("outputs")
        program, result = self.program, self.result
        self.page = Page(self.browser, program.inputs, program.outputs)
        records: dict[str, dict[str, Any]] = {}
        result.initial, self.measured = {}, 0
        for spec in program.outputs:
            key = output_key(spec)
            record = self.records.get(key) or records.get(key)
            if record is None:
                record = {"read": set(), "seen": set(), "answer": None}
                read, seen = record["read"], record["seen"]
                with _files_read(self.cwd, read), _files_read(self.cwd, seen, folders=True):
                    record["initial"] = self.page.measure(spec)
                self.measured += 1
            records[key] = record
            result.initial[spec["id"]] = record["initial"]
        self.records = records
        self._files()
        _explain_build_only_names(program, self.ns, result)
        result.deps = imported_distributions(program.bundle)

    def _files(self) -> None:
        read = self.read.union(*(r["read"] for r in self.records.values()))
        seen = self.seen.union(*(r["seen"] for r in self.records.values()))
        self.result.files = sorted(read)
        # The pictures the run read and the folders it listed, as it saw them: a later build
        # reuses the run while these are the same (its other files are in its key already).
        self.result.read = {
            name: d
            for name in sorted(seen)
            if (name.endswith("/") or Path(name).suffix.lower() in MEDIA)
            and (d := read_digest(self.cwd, name))
        }

    def answer_ahead(self, seconds: float) -> None:
        """Phase 4: the answers the page gives before Python (site_builder/answers.py),
        within *seconds*: an alarm stops a call that runs past them, so a slow output is
        left to the browser's Python instead of failing the article. Bundle files read
        meanwhile are given to the browser's Python too."""
        import signal
        import time

        from site_builder import answers

        program, page, result = self.program, self.page, self.result
        limits = answers.Limits(**program.answers)
        start = time.monotonic()

        def time_up(signum: int, frame: Any) -> None:
            raise answers.TimeUp

        spaces = answers.spaces_of(page, result.rows, limits.combinations)
        # Browser code that imports the browser's own modules may answer otherwise there
        # (try: import js ... except ImportError: ...): the build cannot answer for it.
        bundle = Path(program.bundle) if program.bundle else None
        sources = browser_sources([c.code for c in program.cells if c.browser], bundle)
        own = sorted(imports_of(sources) & BROWSER_ONLY)
        todo = [s for s in program.outputs if s["deps"]]
        if own or seconds <= 0:
            why = f"its browser code imports {', '.join(own)}: it may answer otherwise there"
            for spec in todo:
                self.records[output_key(spec)]["answer"] = (
                    "left",
                    why if own else "no time left for answers",
                )
        else:
            previous = signal.signal(signal.SIGALRM, time_up)
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                with redirect_stdout(_Capped()):
                    for spec in todo:
                        record = self.records[output_key(spec)]
                        if record["answer"] is not None:
                            continue  # answered before this run was resumed
                        with _files_read(self.cwd, record["read"]):
                            found, left = answers.precompute(
                                page,
                                spaces,
                                result.initial,
                                limits,
                                start + seconds,
                                only={spec["id"]},
                            )
                        oid = spec["id"]
                        record["answer"] = (
                            ("found", found[oid])
                            if oid in found
                            else (
                                "left",
                                left.get(oid, ""),
                            )
                        )
            except answers.TimeUp:  # the alarm rang just as the work ended: keep what was found
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
        found, left = {}, {}
        for spec in todo:
            record = self.records[output_key(spec)]
            kind, value = record["answer"] or ("left", "the article's time for answers ran out")
            if kind == "found":
                found[spec["id"]] = value
            else:
                left[spec["id"]] = value
            if kind == "left" and ("time" in value or "too slow" in value):
                record["answer"] = None  # a resumed run tries it again
        self._files()
        domains = {n: s.domain for n, s in spaces.items() if not isinstance(s, str)}
        files, too_large = answers.files(found, domains, limits.bytes)
        tabled = {oid for f in files for oid in f["outputs"]}
        result.answers = {
            "files": files,
            "inputs": answers.ready_inputs(page, tabled),
            "left": {**left, **too_large},
            "seconds": round(time.monotonic() - start, 2),
        }


def run(program: Program, progress: Any) -> tuple[RunResult, Any]:
    """Run *program* as the build and then as the browser will; see the module docstring.
    Returns the result and the browser's reactive Page (None when the run failed)."""
    done = Run(program, Stops(progress))
    if not done.cells_and_values():
        return done.result, None
    done.outputs()
    return done.result, done.page


def _explain_build_only_names(program: Program, ns: dict[str, Any], result: RunResult) -> None:
    """An output that fails on a name only the build defined (the browser holds only what
    was exported) says which cell to export it from."""
    for output in result.initial.values():
        found = re.fullmatch(r"NameError: name '(\w+)' is not defined", output.get("error", ""))
        if not found or found[1] not in ns:
            continue
        name = found[1]
        cell = next((c for c in reversed(program.cells) if name in _names_set(c.code)), None)
        where = f"the `python build` cell at line {cell.line - 1}" if cell else "a `build` cell"
        output["error"] = (
            f"NameError: name '{name}' exists only at build time: "
            f"add it to export= on {where} (e.g. ```python build export={name})"
        )


def _names_set(code: str) -> set[str]:
    """Names a cell's code binds (assignments, defs, imports), at any depth."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def imported_distributions(bundle: str | None) -> dict[str, str]:
    """{distribution: version} of every installed distribution that provides a module this
    process imported (the standard library, this package and the bundle's modules aside)."""
    import importlib.metadata as metadata

    local = {p.stem for p in Path(bundle).glob("*.py")} if bundle else set()
    ours = {"site_builder", "__main__", *sys.stdlib_module_names, *local}
    ours |= set(_PACKAGES.get("imports", []))  # locked wheels: part of the cache key already
    tops = {name.partition(".")[0] for name in list(sys.modules)} - ours
    providers = metadata.packages_distributions()
    found = {}
    for top in sorted(tops):
        for dist in providers.get(top, []):
            try:
                found[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                continue
    return dict(sorted(found.items()))


def _run_cells(program: Program, ns: dict[str, Any], result: RunResult, stops: Stops) -> Program:
    """Phase 1: every cell in order in *ns*, stopping after each (Stops.after_cells);
    return the program the run went on with."""
    count = 0
    while True:
        resume = stops.after_cells(count)
        if resume is not None:
            program = resume.program
            if resume.rerun is not None:  # from the state after every cell
                for name in resume.forget:
                    ns.pop(name, None)
                for index in resume.rerun:
                    result.cells[index] = _run_cell(program, program.cells[index], ns, stops)
                continue  # a stop after the cells again, holding this state
        if count == len(program.cells):
            return program
        result.cells.append(_run_cell(program, program.cells[count], ns, stops))
        count += 1


def _run_cell(program: Program, cell: Any, ns: dict[str, Any], stops: Stops) -> CellOutput:
    """One cell in *ns*: what it printed and showed."""
    article, scratch = program.article, os.getcwd()
    stops.mark(f"cell {cell.index}")
    out, err = _Capped(), _Capped()
    shown = ""
    try:
        body, last = _split_last_expr(cell.code, cell.line, article)
        with redirect_stdout(out), redirect_stderr(err):
            exec(body, ns)
            if last is not None:
                shown = _display(eval(last, ns))
    except BaseException as exc:  # SystemExit and KeyboardInterrupt are cell errors too
        failure = _failure(exc, article, program.bundle, scratch)
        if isinstance(exc, SystemExit):
            failure.message = f"the cell called exit({exc.code!r})"
        raise _Stop(failure) from None
    return CellOutput(out.text(), err.text(), shown)


def _evaluate(program: Program, ns: dict[str, Any], result: RunResult, mark: Any) -> None:
    """Phase 2: inline values, the rows of rows inputs and the cells' exports."""
    from site_builder.runtime.reactive import coerce
    from site_builder.runtime.views import HTML, inline_value

    article = program.article
    mark("inline")
    # Inline values read the inputs at their first values, as the page's live prose does
    # (and as the outputs will: the page sets the same values).
    ns.update({i["name"]: coerce(i, i["value"]) for i in program.inputs})
    for inline in program.inlines:
        if inline.kind != "value":
            result.inlines.append("")  # an input placed in the text: rendered from its spec
            continue
        try:
            # At its own line and column of the Markdown, so a traceback marks it there.
            pad = "\n" * (inline.line - 1) + "(" + " " * max(inline.column - 1, 0)
            code = compile(pad + inline.expr + ")", article, "eval")
            value = eval(code, ns)
            shown = inline_value(value, inline.format)
            if isinstance(shown, HTML):
                result.markup.append(len(result.inlines))
            result.inlines.append(str(shown))
        except Exception as exc:
            result.error = _failure(exc, article, program.bundle, os.getcwd())
            result.error.line = inline.line
            raise _Stop from None
    for rows in program.rows:
        try:
            value = to_plain(eval(rows.expr, ns))
            if not (isinstance(value, list) and all(isinstance(r, dict) for r in value)):
                raise TypeError(f"rows must be a list of dicts, got {type(value).__name__}")
            _check_rows(rows, value)
            result.rows[rows.name] = value
        except Exception as exc:
            message = f"rows of input '{rows.name}': {type(exc).__name__}: {exc}"
            result.error = Failure(article, rows.line, message)
            raise _Stop from None
    for cell in program.cells:
        for name in cell.export:
            try:
                result.exports[name] = to_plain(ns[name])
            except (KeyError, TypeError) as exc:
                problem = "is not defined" if isinstance(exc, KeyError) else str(exc)
                result.error = Failure(article, cell.line - 1, f"export '{name}': {problem}")
                raise _Stop from None


def _check_rows(rows: Any, value: list[dict[str, Any]]) -> None:
    """A rows input's rows must have its key in every row, once each, its columns, and a
    row for its first value: otherwise a reader's choice would reach no row."""
    seen: dict[Any, int] = {}
    for i, row in enumerate(value):
        if rows.key not in row:
            found = ", ".join(map(repr, list(row)[:8]))
            raise KeyError(f"row {i} has no key column {rows.key!r} (its columns: {found})")
        key = row[rows.key]
        if key in seen:
            raise ValueError(f"rows {seen[key]} and {i} share the key {key!r}: keys must be unique")
        seen[key] = i
    if value and rows.columns is not None:
        missing = [c for c in rows.columns if all(c not in row for row in value)]
        if missing:
            raise KeyError(f"no row has the column(s) {', '.join(map(repr, missing))}")
    for column, spec in rows.formats.items():  # every value its column's format can show
        for i, row in enumerate(value):
            cell = row.get(column)
            if cell is None or (isinstance(cell, float) and math.isnan(cell)):
                continue
            try:
                format(cell, spec)
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"row {i}: {column} {cell!r} cannot be shown with format {spec!r} ({exc})"
                ) from None
    if value and rows.value is not None and rows.value not in seen:
        near = ", ".join(map(repr, list(seen)[:5]))
        raise ValueError(f"no row has the key {rows.value!r} (value:); keys are like {near}")


# Files a page shows or plays, which its Python seldom reads: not part of a run's key
# (cells.py), but recorded with a digest when the run read them (RunResult.read), with the
# folders it listed. Every other file of a bundle (data, modules, text) is part of the key
# whether the run read it or not: a library reading a file from C is not seen reading it.
MEDIA = frozenset({".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico", ".mp4",
                   ".webm", ".ogg", ".mp3", ".wav", ".m4a", ".pdf"})  # fmt: skip

# (scratch folder, what was read there, whether folders listed count) while recording
_reading: list[tuple[str, set[str], bool]] = []


def _record_reads(event: str, args: tuple[Any, ...]) -> None:
    """Files opened for reading, and folders listed ("name/"), under the recorded folder,
    into every set recording them."""
    if not _reading or event not in ("open", "os.listdir", "os.scandir"):
        return
    target = args[0] if args else None
    if event != "open":
        target = "." if target is None else target
    if not isinstance(target, str | bytes):
        return
    if event == "open":
        flags = args[2] if len(args) > 2 and isinstance(args[2], int) else 0
        mode = args[1] if isinstance(args[1], str) else ""
        if flags & (os.O_WRONLY | os.O_RDWR) or any(c in mode for c in "wax+"):
            return
    elif _importing():
        return  # the import system looking for modules: those are in the run's key
    path = os.path.realpath(os.fsdecode(target))
    for folder, found, folders in _reading:
        inside = path == folder or path.startswith(folder + os.sep)
        if event == "open" and inside and os.path.isfile(path):
            found.add(os.path.relpath(path, folder).replace(os.sep, "/"))
        elif folders and event != "open" and inside and os.path.isdir(path):
            found.add(os.path.relpath(path, folder).replace(os.sep, "/").rstrip("/") + "/")


def _importing() -> bool:
    """Whether the import system is what lists a folder now (its frames are frozen)."""
    frame: Any = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def read_digest(folder: str | Path, name: str) -> str | None:
    """What the run saw of *name* under *folder*: a file's SHA-256, or a folder's ("x/")
    sorted listing's; None when it is not there any more."""
    import hashlib

    path = os.path.join(folder, name)
    try:
        if name.endswith("/"):
            listing = "\n".join(sorted(os.listdir(path)))
            return "dir:" + hashlib.sha256(listing.encode()).hexdigest()
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError:
        return None


@contextlib.contextmanager
def _files_read(folder: str, found: set[str], folders: bool = False) -> Any:
    """Add to *found* the files under *folder* (the scratch copy of the bundle) opened for
    reading inside this block (the bundle files the browser's Python will need), and with
    *folders* the folders listed there ("name/", what a reused run depends on too)."""
    if not getattr(_record_reads, "installed", False):
        sys.addaudithook(_record_reads)
        _record_reads.installed = True  # type: ignore[attr-defined]
    _reading.append((os.path.realpath(folder), found, folders))
    try:
        yield
    finally:
        _reading.pop()


def _run_as_the_browser(program: Program, result: RunResult, mark: Any) -> dict[str, Any]:
    """Phase 3: what the browser will do, in a fresh namespace holding only the exports,
    with only the standard library and the bundle's modules; return that namespace."""
    bundle = program.bundle
    local = {p.stem for p in Path(bundle).glob("*.py")} if bundle else set()
    finder = _BrowserImports(local)
    sys.meta_path.insert(0, finder)
    browser: dict[str, Any] = {"__name__": "__main__", **json.loads(json.dumps(result.exports))}
    browser["__builtins__"] = _limited_builtins(finder)
    for cell in program.cells:
        if not cell.browser:
            continue
        mark(f"browser cell {cell.index}")
        try:
            body, last = _split_last_expr(cell.code, cell.line, program.article)
            with redirect_stdout(_Capped()), redirect_stderr(_Capped()):
                exec(body, browser)
                if last is not None:
                    eval(last, browser)
        except BaseException as exc:
            result.error = _failure(exc, program.article, bundle, os.getcwd())
            result.error.message = "in the browser runtime: " + result.error.message
            result.error.hint = (
                "cells marked `exec` run again in the reader's browser, "
                "where only names exported by `build` cells exist; "
                "mark this cell `build`, or export what it needs"
            )
            raise _Stop from None
    return browser


def main() -> None:
    """``python -m site_builder.runner JOB RESULT LIMIT PARENT``: run the job in the box."""
    import time

    from site_builder.sandbox import Supervisor, confine_writes, die_with_parent

    started = time.monotonic()
    job_path, result_path, limit, parent = sys.argv[1:5]
    die_with_parent(int(parent))  # a build killed outright takes its cells with it
    program = Program.from_json(json.loads(Path(job_path).read_text(encoding="utf-8")))
    folders = [os.getcwd(), os.environ["TMPDIR"]]

    def cells() -> int:
        # The article's browser packages (the locked pure-Python wheels, unpacked) come
        # before the build's own site-packages: the same code runs on both sides.
        sys.path[1:1] = _PACKAGES.get("paths", [])
        if program.bundle:
            sys.path.insert(0, program.bundle)
        # Opened before the box closes: the only files outside it this process writes.
        progress = open(result_path + ".progress", "w", encoding="utf-8")  # noqa: SIM115
        result_file = open(result_path, "w", encoding="utf-8")  # noqa: SIM115
        answers_file = open(result_path + ".answers", "w", encoding="utf-8")  # noqa: SIM115
        box = confine_writes(folders)
        _guard_writes(folders)
        done = Run(program, Stops(progress))
        if done.cells_and_values():
            done.outputs()
        result = done.result
        result.box = box
        # NaN and ±inf are values a cell may export (the build reads them back exactly).
        # The answers go to a file of their own, after the result: if computing them
        # overran the article's time limit after all, the build still has the article.
        result_file.write(json.dumps(result.to_json(), default=str))
        result_file.close()
        if done.page is not None and program.answers and not result.error:
            progress.write("answers\n")
            progress.flush()
            done.answer_ahead(answer_seconds(program, float(limit) - (time.monotonic() - started)))
            answers_file.write(json.dumps(result.answers))
        answers_file.close()
        return 0

    status = Supervisor().run(cells, float(limit))
    sys.exit({-1: TIME_LIMIT_EXIT, -2: 130}.get(status, status))


TIME_LIMIT_EXIT = 124  # the runner's exit status when the cells passed the time limit


def answer_seconds(program: Program, left: float) -> float:
    """The seconds for a run's answers: the article's, within what its time limit left."""
    return float(min(program.answers["seconds"], left * 0.8 - 1))


if __name__ == "__main__":
    main()
