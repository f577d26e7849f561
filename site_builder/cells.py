"""Run an article's Python at build time in a child process, with a time limit and a cache
(in the dev server, in the article's warm runner: warm.py)."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .article_program import program_of
from .cache import entry_path, read_entry, write_entry
from .config import SiteConfig
from .errors import Collector, Diagnostic
from .model import Article
from .pyodide import PYODIDE_VERSION, pyodide_dir
from .runner import MEDIA, TIME_LIMIT_EXIT, read_digest
from .runtime.program import Failure, Program, RunResult

log = logging.getLogger(__name__)
RUNTIME_DIR = Path(__file__).parent / "runtime"


def _components(
    program: Program, bundle: Path | None, packages: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything a run depends on that is known before it, by part: the program (its code,
    each part with the line it stands at, which the key leaves out), the bundle's files
    but its pictures and sounds (MEDIA) and the article's own Markdown (by path and
    content), the packages, and the tool (the shared package and the runner, the Python
    implementation and version, the Pyodide version of the browser check). So an edit to
    the prose, headings or front matter, or to a picture, reuses the run: only what the
    Python can see makes it run again; and when it runs again, what changed can be said
    (why_it_ran). The pictures it read, the folders it listed and the distributions it
    imported are known only after the run: RunResult.read and installed_versions_match,
    checked when the run is reused."""
    tool = hashlib.sha256(f"{sys.implementation.name} {sys.version} {PYODIDE_VERSION}".encode())
    files: dict[str, str] = {}
    roots = [RUNTIME_DIR, *(Path(__file__).with_name(n) for n in ("runner.py", "answers.py"))]
    for root in [*roots, *([bundle] if bundle else [])]:
        found = (
            [root]
            if root.is_file()
            else sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        )
        for path in found:
            if root is bundle and (path.suffix.lower() in MEDIA or str(path) == program.article):
                continue  # the page's pictures and sounds count if the run read them
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if root is bundle:
                files[path.relative_to(root).as_posix()] = digest
            else:
                tool.update(path.relative_to(root.parent).as_posix().encode() + b"\0")
                tool.update(digest.encode())
    return {
        "program": program.to_json(),
        "files": files,  # every file of the bundle but MEDIA (runner.py says why)
        "packages": packages["key"] if packages else "",
        "tool": tool.hexdigest(),
    }


def _fingerprint(components: dict[str, Any]) -> str:
    """The cache key of a run: its components without the places their code stands at."""
    data = {**components, "program": _without_places(components["program"])}
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


# The parts of a program that stand at lines of the page, as an author names them.
PROGRAM_PARTS = {
    "cells": "cell",
    "inlines": "inline value",
    "outputs": "output",
    "rows": "rows input",
}


def why_it_ran(last: dict[str, Any] | None, now: dict[str, Any]) -> list[str]:
    """What changed since the last run of an article (*last*, its components; None for
    none), in the author's words: "the cell at line 40 changed", "data/people.csv
    changed", "the packages changed"."""
    if last is None:
        return ["its first run here"]
    said = []
    for part, what in PROGRAM_PARTS.items():
        before, after = last["program"].get(part, []), now["program"].get(part, [])
        kept = {json.dumps(_without_places(x), sort_keys=True) for x in before}
        for item in after:
            if json.dumps(_without_places(item), sort_keys=True) not in kept:
                line = item.get("line", 1) - (what == "cell")  # a cell: its fence's line
                said.append(f"the {what} at line {line} changed")
        if len(after) < len(before):
            gone = len(before) - len(after)
            said.append(f"{gone} {what}{'s' * (gone != 1)} removed")
    for name in sorted(set(last["files"]) | set(now["files"])):
        if last["files"].get(name) != now["files"].get(name):
            state = (
                "added"
                if name not in last["files"]
                else "removed"
                if name not in now["files"]
                else "changed"
            )
            said.append(f"{name} {state}")
    if last["packages"] != now["packages"]:
        said.append("the packages changed")
    if last["tool"] != now["tool"]:
        said.append("the site builder or Python changed")

    def rest(components: dict[str, Any]) -> Any:  # the program but the parts said above
        parts = components["program"].items()
        return _without_places({k: v for k, v in parts if k not in PROGRAM_PARTS})

    if not said and rest(now) != rest(last):
        said.append("its inputs or limits changed")
    return said or ["its last result was not in the cache"]


def _shadowing_modules(article: Article) -> list[Diagnostic]:
    """A bundle module named like a module of the standard library (json.py) would
    replace it, for the build's own code too: an error at that file, before anything runs."""
    if not article.source.bundle:
        return []
    found = []
    for path in sorted(article.source.bundle.glob("*.py")):
        if path.stem in sys.stdlib_module_names:
            found.append(
                Diagnostic(
                    str(Path(article.source.rel).parent / path.name),
                    1,
                    0,
                    f"this module is named like the standard library's {path.stem!r}, which "
                    "it would replace (at build time and in the browser)",
                    hint=f"rename it, say to my_{path.stem}.py, and import that",
                )
            )
    return found


def _without_places(value: Any) -> Any:
    """*value* (a program as JSON) without the lines and columns it was found at: moving
    code down the page by editing the prose above it changes no result."""
    if isinstance(value, dict):
        return {k: _without_places(v) for k, v in value.items() if k not in ("line", "column")}
    if isinstance(value, list):
        return [_without_places(v) for v in value]
    return value


def installed_versions_match(deps: dict[str, str]) -> bool:
    """Are these distributions installed at these versions now?"""
    import importlib.metadata as metadata

    for dist, version in deps.items():
        try:
            if metadata.version(dist) != version:
                return False
        except metadata.PackageNotFoundError:
            return False
    return True


def _load_cached(path: Path, key: str, bundle: Path | None) -> tuple[RunResult | None, list[str]]:
    """The cached run at *key*, if the files it read are as it read them and the
    distributions it imported as installed; else None, with what changed."""
    payload = read_entry(path, key)  # missing or damaged: None, simply re-run
    if payload is None:
        return None, []
    try:
        result = RunResult.from_json(json.loads(payload))
    except (ValueError, KeyError, TypeError):  # written by another version
        return None, []
    if result.read and bundle is not None:
        changed = [
            f"the folder {name.rstrip('/')} changed" if name.endswith("/") else f"{name} changed"
            for name, digest in result.read.items()
            if read_digest(bundle, name) != digest
        ]
        if changed:
            return None, changed
    if not installed_versions_match(result.deps):
        return None, ["an installed package it imports changed"]
    return result, []


def _store(path: Path, key: str, result: RunResult) -> None:
    write_entry(path, key, json.dumps(result.to_json()).encode("utf-8"))


def answer_limits(config: SiteConfig, article: Article) -> dict[str, Any]:
    """The limits of *article*'s answers computed ahead (answers.py), or {} for none."""
    combinations = article.meta.precompute
    if combinations is None:
        combinations = config.runtime.precompute
    if not combinations:
        return {}
    meta, site = article.meta, config.runtime
    return {
        "combinations": combinations,
        "bytes": site.precompute_bytes if meta.precompute_bytes is None else meta.precompute_bytes,
        "seconds": meta.precompute_seconds or site.precompute_seconds,
    }


def run_article(
    article: Article,
    timeout: float,
    cache_dir: Path | None,
    browser_stdlib: Path | None = None,
    packages: dict[str, Any] | None = None,
    answers: dict[str, Any] | None = None,
    warm: Any = None,
) -> tuple[RunResult | None, list[Diagnostic]]:
    """Execute *article*'s cells (or reuse a cached run); return the result or diagnostics.
    *packages*: the article's browser packages (packages.Packages.build_env); *answers*:
    the limits of its answers computed ahead (answer_limits); *warm*: the dev server's
    warm runners (warm.Pool), to run it in."""
    program = dataclasses.replace(program_of(article), answers=answers or {})
    if program.empty:
        return RunResult(), []
    if shadows := _shadowing_modules(article):
        return None, shadows
    components = _components(program, article.source.bundle, packages)
    key = _fingerprint(components)
    cache_file = entry_path(cache_dir / "cells", key, ".json") if cache_dir else None
    stale: list[str] = []
    if cache_file:
        cached, stale = _load_cached(cache_file, key, article.source.bundle)
        if cached is not None:
            return cached, []
    # What the last run of this article saw, to say what changed since: a checked entry
    # like the others, by the article's path.
    named = hashlib.sha256(article.source.rel.encode()).hexdigest()
    seen = cache_dir / "cells" / "seen" / f"{named}.json" if cache_dir else None
    payload = read_entry(seen, named) if seen else None
    try:
        last = json.loads(payload) if payload is not None else None
    except ValueError:
        last = None
    start = time.perf_counter()
    if warm is not None:
        result, problems = _run_warm(
            warm, article, program, components, timeout, browser_stdlib, packages
        )
    else:
        result, problems = _run_in_box(article, program, timeout, browser_stdlib, packages)
    if result and cache_file:
        _store(cache_file, key, result)
    if result:
        result.seconds = time.perf_counter() - start
        result.why = stale or why_it_ran(last if isinstance(last, dict) else None, components)
        if seen:
            write_entry(seen, named, json.dumps(components, sort_keys=True).encode())
    return result, problems


def _run_warm(
    pool: Any,
    article: Article,
    program: Program,
    components: dict[str, Any],
    timeout: float,
    browser_stdlib: Path | None = None,
    packages: dict[str, Any] | None = None,
) -> tuple[RunResult | None, list[Diagnostic]]:
    """Run *program* in the article's warm runner, from the latest state it shares."""
    bundle = article.source.bundle
    base = {k: components[k] for k in ("files", "packages", "tool")}
    base |= {"bundle": str(bundle), "stdlib": str(browser_stdlib), "env": packages}
    slug = article.source.slug
    for _ in range(2):
        warm = pool.take(
            slug, bundle, base, lambda private: child_env(private, browser_stdlib, packages)
        )
        try:
            warm.sync()
            ran = warm.run(program, timeout)
        finally:
            pool.give_back(slug, warm)
        if ran.result is not None or not warm.stale.startswith("its runner"):
            break  # else the runner itself failed, not the cells: once more, in a new one
    result, problems = outcome(
        article, timeout, ran.code, ran.stderr, ran.progress, ran.result, ran.answers
    )
    if result is not None:
        warm.read = result.read
        n, k = len(program.cells), len(ran.cells)
        said = (
            "no cell"
            if not k
            else "its cell"
            if k == n == 1
            else f"all {n} cells"
            if k == n
            else f"{k} of {n} cells"
        )
        if ran.how == "only the cells it reaches":
            said += f" (the others do not depend on {'them' if k > 1 else 'it'})"
        elif ran.how.startswith("from after cell"):
            said += " (from the state after the cells above it)"
        if warm.replaced.startswith("a cell"):  # what made it start again, if not the key
            said += f" (from the start: {warm.replaced})"
            warm.replaced = ""
        outputs = len(program.outputs)
        if ran.outputs < outputs:  # the others' results kept: computed from the same state
            said += f", {ran.outputs} of {outputs} output{'s' * (outputs != 1)}"
        result.ran = said
    return result, problems


def warm_up(config: SiteConfig, articles: list[Article], pool: Any) -> list[str]:
    """Run *articles*' Python in warm runners of *pool* (the dev server's, after its
    first build reused their runs from the cache), so that their first edit runs only
    what it reaches; return a note for each. Articles with browser packages are left."""
    notes = []
    for article in articles:
        if pool.has(article.source.slug) or article.meta.packages or config.runtime.packages:
            continue
        timeout = article.meta.timeout or config.runtime.timeout
        limits = answer_limits(config, article)
        # No cache: a run taken from it would leave the runner cold.
        result, _ = run_article(article, timeout, None, _browser_stdlib(config), None, limits, pool)
        if result is not None and result.seconds:
            notes.append(
                f"{article.source.rel}: its Python is kept warm for edits ({result.seconds:.1f} s)"
            )
    return notes


def _browser_stdlib(config: SiteConfig) -> Path | None:
    """The browser's own standard library (Pyodide's), when downloaded: the check of exec
    cells refuses what it lacks (a module removed since the host's Python, say)."""
    stdlib = pyodide_dir(config.root / ".cache") / "python_stdlib.zip"
    return stdlib if stdlib.is_file() else None


def _run_in_box(
    article: Article,
    program: Program,
    timeout: float,
    browser_stdlib: Path | None = None,
    packages: dict[str, Any] | None = None,
) -> tuple[RunResult | None, list[Diagnostic]]:
    """Run *program* in the runner, in a scratch copy of the bundle (see sandbox.py)."""
    with tempfile.TemporaryDirectory(prefix="site-builder-") as tmp:
        work, private = Path(tmp) / "work", Path(tmp) / "tmp"
        scratch_copy(article.source.bundle, work)
        private.mkdir()
        job_file, result_file = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job_file.write_text(json.dumps(program.to_json()), encoding="utf-8")
        env = child_env(private, browser_stdlib, packages)
        start = time.perf_counter()
        args = [sys.executable, "-m", "site_builder.runner", str(job_file), str(result_file)]
        code, stderr = _run_child([*args, str(timeout), str(os.getpid())], work, env, timeout)
        log.debug("ran %s in %.2f s", article.source.rel, time.perf_counter() - start)
        return outcome(
            article,
            timeout,
            code,
            stderr,
            _progress(result_file),
            _text(result_file),
            _text(Path(f"{result_file}.answers")),
        )


def scratch_copy(bundle: Path | None, work: Path) -> None:
    """The folder cells run in: a copy of the article's bundle (empty without one)."""
    if bundle:
        shutil.copytree(bundle, work, symlinks=True, ignore=_special_files)
    else:
        work.mkdir()


def child_env(
    private: Path, browser_stdlib: Path | None, packages: dict[str, Any] | None
) -> dict[str, str]:
    """The environment of the process that runs cells, with *private* as its own
    temporary folder (inside the box: not the shared /tmp)."""
    return {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent.parent), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "MPLBACKEND": "Agg",
        "TMPDIR": str(private),
        "TEMP": str(private),
        "TMP": str(private),
        "MPLCONFIGDIR": str(private / "matplotlib"),
        "XDG_CACHE_HOME": str(private / "cache"),
        "SITE_BUILDER_BROWSER_STDLIB": str(browser_stdlib or ""),
        "SITE_BUILDER_PACKAGES": json.dumps(packages or {}),
    }


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def outcome(
    article: Article,
    timeout: float,
    code: int,
    stderr: str,
    progress: str,
    result_text: str | None,
    answers_text: str | None,
) -> tuple[RunResult | None, list[Diagnostic]]:
    """What a run of *article*'s cells came to: the runner's exit *code*, the end of its
    *stderr*, the last step it reported (*progress*: a cell's index, "outputs",
    "answers"), its result and its answers as JSON text (None when not written)."""
    where = article.source.rel
    result = _read_result(result_text, answers_text, progress)
    if result is not None and progress == "answers":
        # Stopped while computing answers ahead: the article itself is complete.
        code = 0 if code == TIME_LIMIT_EXIT else code
    if code == TIME_LIMIT_EXIT:
        return None, [
            Diagnostic(
                where,
                _progress_line(article, progress),
                0,
                f"Python did not finish within {timeout:g} s (the article's time limit); stopped",
                hint="an infinite loop? or raise the limit with 'timeout:' in the front matter",
            )
        ]
    if code != 0 or result is None:
        detail = stderr.strip().splitlines()[-1:] or [f"exit code {code}"]
        return None, [
            Diagnostic(
                where,
                _progress_line(article, progress),
                0,
                f"Python exited the build process ({detail[0]})",
                hint="cells must not call os._exit() or kill their own process",
            )
        ]
    if result.error:
        return None, [_diagnostic(article, result.error)]
    return result, []


def _read_result(
    result_text: str | None, answers_text: str | None, progress: str
) -> RunResult | None:
    """The runner's result, with the answers it computed ahead when it finished them."""
    try:
        result = RunResult.from_json(json.loads(result_text or ""))
    except (ValueError, KeyError, TypeError):
        return None
    try:
        answers = json.loads(answers_text or "")
    except ValueError:
        answers = None
    if isinstance(answers, dict) and isinstance(answers.get("files"), list):
        result.answers = answers
    elif progress == "answers":
        result.answers = {"files": [], "left": {"*": "stopped at the article's time limit"}}
    return result


def _progress(result_file: Path) -> str:
    """The last step the runner reported (a cell's index, "outputs", "answers", ...)."""
    try:
        return Path(f"{result_file}.progress").read_text(encoding="utf-8").split()[-1]
    except (OSError, IndexError):
        return ""


def _special_files(folder: str, names: list[str]) -> list[str]:
    """Names shutil.copytree must skip: anything that is not a file, folder or symlink
    (a FIFO would block the copy)."""
    skipped = []
    for name in names:
        try:
            mode = os.lstat(os.path.join(folder, name)).st_mode
        except OSError:
            skipped.append(name)
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
            skipped.append(name)
    return skipped


_children: set[subprocess.Popen[bytes]] = set()
_children_lock = threading.Lock()
GRACE = 10.0  # seconds past the limit before the runner itself is killed


def _run_child(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int, str]:
    """Run the runner; return its exit status and the end of what it printed to stderr.

    Its output goes to files, not pipes, so a process a cell left behind holding them
    cannot keep the build waiting. The runner enforces the time limit itself (and stops
    every process the cells started); if it does not, its process group is killed.
    """
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        with _children_lock:
            _children.add(proc)
        try:
            try:
                code = proc.wait(timeout=timeout + GRACE)
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
                proc.wait()
                code = TIME_LIMIT_EXIT
        except BaseException:
            _kill_group(proc, signal.SIGKILL)
            proc.wait()
            raise
        finally:
            with _children_lock:
                _children.discard(proc)
        err.seek(max(0, err.seek(0, os.SEEK_END) - 4000))
        return code, err.read().decode("utf-8", "replace")


def _kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, sig)


def stop_children() -> None:
    """Stop every running cell process (the build was interrupted): each runner then stops
    every process its cells started."""
    with _children_lock:
        for proc in _children:
            _kill_group(proc, signal.SIGTERM)


def _progress_line(article: Article, progress: str) -> int:
    """The line of the cell that was running when the child process stopped (*progress*:
    the index of the cell it last reported)."""
    try:
        return article.cells[int(progress)].line
    except (ValueError, IndexError):
        return article.cells[0].line if article.cells else 0


def _diagnostic(article: Article, error: Failure) -> Diagnostic:
    path = error.path
    if error.in_bundle and article.source.bundle:
        path = str(Path(article.source.rel).parent / path)
    elif path == str(article.source.path):
        path = article.source.rel
    hint = error.hint
    if error.trace:
        trace = error.trace.replace(str(article.source.path), article.source.rel).rstrip()
        hint = (hint + "\n" if hint else "") + "traceback (author code only):\n" + trace
    return Diagnostic(path, error.line, error.col, error.message, hint)


def check_run(article: Article, result: RunResult, problems: list[Diagnostic]) -> None:
    """What a run says that the author must hear: failed outputs, inputs named like an
    exported value; each a diagnostic at its line."""
    for inp in (i for w in article.widgets for i in w.inputs if not i.options.get("copy")):
        if inp.name in result.exports:  # the page would set the input over the value
            problems.append(
                Diagnostic(
                    article.source.rel,
                    inp.line,
                    0,
                    f"input '{inp.name}' has the name of a value a cell exports: in the "
                    "browser the input would replace it",
                    hint="rename the input or the exported value",
                )
            )
    lines = {o.id: o.line for w in article.widgets for o in w.outputs}
    lines.update({f"p{i.index}": i.line for i in article.inlines})  # live prose
    for oid, res in result.initial.items():
        if not res["ok"]:
            problems.append(
                Diagnostic(article.source.rel, lines[oid], 0, f"output failed: {res['error']}")
            )


def run_articles(
    config: SiteConfig,
    articles: list[Article],
    problems: Collector,
    packages: dict[str, dict[str, Any]] | None = None,
    warm: Any = None,
) -> dict[str, RunResult]:
    """Run every article's Python in child processes, two at a time on two cores;
    *packages*: slug -> the article's browser packages (packages.Packages.build_env);
    *warm*: the dev server's warm runners (warm.Pool), to run them in."""
    articles = [a for a in articles if a.cells or a.widgets or a.inlines]
    if not articles:
        return {}
    from .sandbox import landlock_abi

    cache = config.path("cache_dir")
    if not landlock_abi():
        log.warning(
            "cells run without an OS sandbox here (no Landlock): only Python's own file "
            "functions are kept inside the scratch folder, not subprocesses or ctypes"
        )

    stdlib = _browser_stdlib(config)

    def one(article: Article) -> tuple[Article, Any, list[Diagnostic]]:
        timeout = article.meta.timeout or config.runtime.timeout
        result, diags = run_article(
            article,
            timeout,
            cache,
            stdlib,
            (packages or {}).get(article.source.slug),
            answer_limits(config, article),
            warm,
        )
        return article, result, diags

    from concurrent.futures import ThreadPoolExecutor

    executed: dict[str, RunResult] = {}
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        for article, result, diags in pool.map(one, articles):
            problems.extend(diags)
            if result is not None:
                found: list[Diagnostic] = []
                check_run(article, result, found)
                executed[article.source.slug] = result
                problems.extend(found)
    except BaseException:  # Ctrl-C: stop the cells now rather than when they finish
        pool.shutdown(wait=False, cancel_futures=True)
        stop_children()
        raise
    pool.shutdown()
    return executed
