"""Run one article's Python in a child process: ``python -m site_builder.runner JOB RESULT``.

Phases, in order (each mirrors what the reader's browser will do):
1. every cell, in order, in one build namespace; output captured per cell;
2. inline {py}`...` values, rows of row-inputs, and the cells' exports, from that namespace;
3. a fresh *browser* namespace holding only the exports, in which the browser cells run
   again with imports limited to what Pyodide has; the widgets' initial outputs come from
   there, computed by the same ``site_builder.runtime.reactive`` code the browser runs.

The working directory is a scratch copy of the article's bundle; an audit hook refuses
writes outside it. Progress goes to ``RESULT.progress`` so the parent can name the cell
that hung or killed the process.
"""

from __future__ import annotations

import ast
import importlib.abc
import io
import json
import math
import os
import re
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

OUTPUT_LIMIT = 200_000  # characters of printed output kept per cell


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


def _guard_writes(scratch: str) -> None:
    """Refuse file writes and deletions outside the scratch folder and the temp folder."""
    allowed = (os.path.realpath(scratch), os.path.realpath(os.environ.get("TMPDIR", "/tmp")))
    write_events = {
        "os.remove",
        "os.rename",
        "os.rmdir",
        "os.mkdir",
        "shutil.rmtree",
        "os.truncate",
        "os.chmod",
        "os.symlink",
        "os.link",
    }

    def inside(path: Any) -> bool:
        if isinstance(path, int):
            return True
        real = os.path.realpath(os.fsdecode(path))
        return any(real == a or real.startswith(a + os.sep) for a in allowed)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and args[0] is not None:
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing and not inside(args[0]):
                raise PermissionError(
                    f"build-time Python may only write inside its working "
                    f"folder, not to {os.fsdecode(args[0])}"
                )
        elif event in write_events and args and not inside(args[0]):
            raise PermissionError(
                f"build-time Python may only change files inside its working "
                f"folder, not {os.fsdecode(args[0])}"
            )

    sys.addaudithook(hook)


class _BrowserImports(importlib.abc.MetaPathFinder):
    """Refuse imports the browser runtime cannot satisfy (no numpy, pandas, ...)."""

    def __init__(self, local: set[str]):
        self.allowed = set(sys.stdlib_module_names) | local | {"site_builder", "_pyodide"}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top not in self.allowed:
            raise ModuleNotFoundError(
                f"No module named {top!r} in the browser runtime (Pyodide has the standard "
                f"library and this article's own modules)",
                name=fullname,
            )
        return None


def _limited_builtins(finder: _BrowserImports) -> dict[str, Any]:
    """Builtins whose __import__ refuses modules the browser lacks, even if already loaded."""
    import builtins

    real_import = builtins.__import__

    def checked_import(
        name: str,
        globals: Any = None,
        locals: Any = None,  # noqa: A002
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


def _failure(exc: BaseException, article: str, bundle: str | None, scratch: str) -> dict:
    frames = _author_frames(exc.__traceback__, article, bundle)
    if isinstance(exc, SyntaxError) and exc.filename == article:
        return {
            "path": article,
            "line": exc.lineno or 0,
            "col": exc.offset or 0,
            "message": f"SyntaxError: {exc.msg}",
            "trace": "",
        }
    last = frames[-1] if frames else None
    path = last.filename if last else article
    if bundle and path.startswith(bundle + os.sep):
        path = "BUNDLE:" + os.path.relpath(path, bundle)
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    trace = "".join(traceback.format_list(frames)).replace(scratch + os.sep, "")
    return {
        "path": path,
        "line": last.lineno if last else 0,
        "col": 0,
        "message": message,
        "trace": trace,
    }


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


def _display(value: Any) -> str:
    """The HTML for a cell's last value. Inline styles are dropped: the site's
    Content-Security-Policy forbids them (pandas adds some to every DataFrame)."""
    import html

    if value is None:
        return ""
    if hasattr(value, "_repr_html_"):
        markup = str(value._repr_html_())
    elif hasattr(value, "_repr_svg_"):
        markup = str(value._repr_svg_())
    else:
        return f'<pre class="xw-value">{html.escape(repr(value))}</pre>'
    return STYLE_ATTR_RE.sub("", STYLE_BLOCK_RE.sub("", markup))


def to_plain(value: Any) -> Any:
    """Convert numpy/pandas values to JSON-ready Python; NaN becomes None."""
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
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot send a {type(value).__name__} to the browser")


def run(job: dict[str, Any], progress: Any) -> dict[str, Any]:
    article, bundle = job["article"], job.get("bundle")
    scratch = os.getcwd()

    def mark(text: str) -> None:
        progress.write(text + "\n")
        progress.flush()

    result: dict[str, Any] = {
        "cells": [],
        "inlines": [],
        "exports": {},
        "rows": {},
        "initial": {},
        "error": None,
    }
    ns: dict[str, Any] = {"__name__": "__main__"}
    for cell in job["cells"]:
        mark(f"cell {cell['index']}")
        out, err = _Capped(), _Capped()
        shown = ""
        try:
            body, last = _split_last_expr(cell["code"], cell["line"], article)
            with redirect_stdout(out), redirect_stderr(err):
                exec(body, ns)
                if last is not None:
                    shown = _display(eval(last, ns))
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are cell errors too
            result["error"] = _failure(exc, article, bundle, scratch)
            if isinstance(exc, SystemExit):
                result["error"]["message"] = f"the cell called exit({exc.code!r})"
            result["error"]["cell"] = cell["index"]
            return result
        result["cells"].append({"stdout": out.text(), "stderr": err.text(), "display": shown})

    mark("inline")
    for inline in job["inlines"]:
        try:
            code = compile(
                "\n" * (inline["line"] - 1) + "(" + inline["expr"] + ")", article, "eval"
            )
            result["inlines"].append(str(eval(code, ns)))
        except Exception as exc:
            result["error"] = _failure(exc, article, bundle, scratch)
            result["error"]["line"] = inline["line"]
            return result
    for rows in job["rows"]:
        try:
            value = to_plain(eval(rows["expr"], ns))
            if not (isinstance(value, list) and all(isinstance(r, dict) for r in value)):
                raise TypeError(f"rows must be a list of dicts, got {type(value).__name__}")
            result["rows"][rows["name"]] = value
        except Exception as exc:
            result["error"] = {
                "path": article,
                "line": rows["line"],
                "col": 0,
                "trace": "",
                "message": f"rows of input '{rows['name']}': {type(exc).__name__}: {exc}",
            }
            return result
    for cell in job["cells"]:
        for name in cell["export"]:
            try:
                result["exports"][name] = to_plain(ns[name])
            except (KeyError, TypeError) as exc:
                problem = "is not defined" if isinstance(exc, KeyError) else str(exc)
                result["error"] = {
                    "path": article,
                    "line": cell["line"] - 1,
                    "col": 0,
                    "trace": "",
                    "message": f"export '{name}': {problem}",
                }
                return result

    # Phase 3: what the browser will do, with only the standard library and local modules.
    local = {p.stem for p in Path(bundle).glob("*.py")} if bundle else set()
    finder = _BrowserImports(local)
    sys.meta_path.insert(0, finder)
    browser: dict[str, Any] = {"__name__": "__main__", **json.loads(json.dumps(result["exports"]))}
    browser["__builtins__"] = _limited_builtins(finder)
    for cell in job["cells"]:
        if not cell["browser"]:
            continue
        mark(f"browser cell {cell['index']}")
        try:
            body, last = _split_last_expr(cell["code"], cell["line"], article)
            with redirect_stdout(_Capped()), redirect_stderr(_Capped()):
                exec(body, browser)
                if last is not None:
                    eval(last, browser)
        except BaseException as exc:
            result["error"] = _failure(exc, article, bundle, scratch)
            result["error"]["message"] = "in the browser runtime: " + result["error"]["message"]
            result["error"]["hint"] = (
                "cells marked `exec` run again in the reader's browser, "
                "where only names exported by `build` cells exist; "
                "mark this cell `build`, or export what it needs"
            )
            return result
    mark("outputs")
    from site_builder.runtime.reactive import Page

    page = Page(browser, job["inputs"], job["outputs"])
    result["initial"] = page.render_all()
    return result


def main() -> None:
    job_path, result_path = sys.argv[1], sys.argv[2]
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    if job.get("bundle"):
        sys.path.insert(0, job["bundle"])
    _guard_writes(os.getcwd())
    with open(result_path + ".progress", "w", encoding="utf-8") as progress:
        result = run(job, progress)
    data = json.dumps(result, allow_nan=False, default=str)
    with open(result_path, "w", encoding="utf-8") as f:
        f.write(data)


if __name__ == "__main__":
    main()
