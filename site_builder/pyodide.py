"""The Pyodide runtime: pinned here and nowhere else, fetched once from npm (npm.py); the
standard library as bytecode zips, gzipped copies and SRI hashes for the site; what a
page's browser code imports."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

from .npm import FetchFailed, ensure_npm_files

log = logging.getLogger(__name__)

PYODIDE_VERSION = "314.0.7"
# The files a page loads; the npm package's other files (types, maps, consoles) are not shipped.
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
CDN_URL = f"https://cdn.jsdelivr.net/npm/pyodide@{PYODIDE_VERSION}/"


# The npm registry's published integrity of the package tarball: a download that does not
# match it is refused. Changes only together with PYODIDE_VERSION.
PYODIDE_INTEGRITY = (
    "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi"
    "/6V5JEsOlD2R1A=="
)


def pyodide_dir(cache_root: Path) -> Path:
    return cache_root / f"pyodide-{PYODIDE_VERSION}"


def ensure_pyodide(cache_root: Path) -> Path:
    """Return a folder with the pinned Pyodide files, intact; fetch them with ``npm pack``
    (checked against the registry's integrity hash) when missing or damaged."""
    return ensure_npm_files(
        pyodide_dir(cache_root), "pyodide", PYODIDE_VERSION, PYODIDE_INTEGRITY, RUNTIME_FILES
    )


STDLIB_SCRIPT = Path(__file__).with_name("stdlib.mjs")
IN_PYODIDE = Path(__file__).with_name("in_pyodide")  # the Python the scripts run
# What the core of the compiled standard library holds besides what starting Python
# imports: the modules the widget runtime (site_builder/runtime) imports.
STDLIB_CORE = (
    *("ast", "collections.abc", "dataclasses", "html", "json"),
    *("math", "sys", "time", "traceback", "typing"),
)


def ensure_stdlib(folder: Path) -> tuple[Path, Path]:
    """The runtime's standard library compiled to bytecode by its own CPython, as two zips
    (stdlib.mjs): the core a page starts with, and the rest it fetches when first needed.
    Made once per runtime, script and core list (Node), kept beside the runtime."""
    import subprocess

    from .cache import write_atomically

    scripts = [STDLIB_SCRIPT, *(IN_PYODIDE / n for n in ("compile_stdlib.py", "stdlib_finder.py"))]
    key = hashlib.sha256(
        b"\0".join([*(p.read_bytes() for p in scripts), *map(str.encode, STDLIB_CORE)])
    ).hexdigest()[:10]
    core, rest = folder / f"stdlib-{key}-core.zip", folder / f"stdlib-{key}-rest.zip"
    if core.is_file() and rest.is_file():
        return core, rest
    if shutil.which("node") is None:
        raise FetchFailed("Node.js is needed to compile the runtime's standard library")
    tmp = [folder / f".{p.name}.{os.getpid()}" for p in (core, rest)]
    proc = subprocess.run(
        ["node", str(STDLIB_SCRIPT), str(folder.resolve()), *map(str, tmp), *STDLIB_CORE],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not all(t.is_file() for t in tmp):
        for t in tmp:
            t.unlink(missing_ok=True)
        raise FetchFailed(f"compiling the standard library failed: {proc.stderr[-500:]}")
    write_atomically(rest, tmp[1].read_bytes())
    write_atomically(core, tmp[0].read_bytes())
    for t in tmp:
        t.unlink()
    return core, rest


def gzipped(path: Path) -> Path:
    """*path* compressed beside it (``name.gz``, gzip -9, no timestamp: the same bytes every
    time), made once. Hosts such as GitHub Pages compress text but not ``.wasm`` or ``.bin``
    files; the page's worker fetches these instead and decompresses them itself."""
    import gzip

    from .cache import write_atomically

    packed = path.with_name(path.name + ".gz")
    if not (packed.is_file() and packed.stat().st_mtime_ns >= path.stat().st_mtime_ns):
        write_atomically(packed, gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))
    return packed


def sri(path: Path) -> str:
    """Subresource Integrity value (sha384) of a file."""
    import base64

    digest = hashlib.sha384(path.read_bytes()).digest()
    return "sha384-" + base64.b64encode(digest).decode()


def integrity(folder: Path) -> dict[str, str]:
    """The SRI value of every runtime file, hashed once per file version (13.5 MB in all)
    and kept beside them, so a CDN-mode build does not hash them again each time."""
    import json

    from .cache import write_atomically

    stamps = {}
    for name in RUNTIME_FILES:
        st = os.stat(folder / name)
        stamps[name] = [st.st_mtime_ns, st.st_size]
    record = folder / "integrity.json"
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        if saved["stamps"] == stamps and set(saved["sri"]) == set(RUNTIME_FILES):
            return dict(saved["sri"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing or damaged: hash again
    values = {name: sri(folder / name) for name in RUNTIME_FILES}
    write_atomically(record, json.dumps({"stamps": stamps, "sri": values}, sort_keys=True))
    return values


def browser_sources(cells: list[str], bundle: Path | None) -> list[str]:
    """The Python a page runs in the browser: its exec cells' code (*cells*) and the
    modules of its bundle."""
    modules = sorted(bundle.glob("*.py")) if bundle else []
    return [*cells, *(p.read_text(encoding="utf-8") for p in modules)]


def imports_of(sources: list[str], dotted: bool = False) -> set[str]:
    """The names of the modules *sources* (Python code) import absolutely: their top-level
    names, or (*dotted*) the names as written."""
    import ast

    names: set[str] = set()
    for text in sources:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
    return names if dotted else {n.partition(".")[0] for n in names}


def page_stdlib(core: Path, rest: Path, sources: list[str]) -> bytes | None:
    """The standard-library modules outside the core (ensure_stdlib) that a page's browser
    code (*sources*) imports, and those they import in turn, as a zip of their entries in
    the rest: a first visit fetches these instead of the whole rest (static/js/worker.js).
    Only modules whose every file is in the rest are taken; what another path imports (a
    package half in the core, an import nobody could see) is still fetched with the rest
    when first imported. None when the page needs none of them."""
    import io
    import sysconfig
    import zipfile

    def top(name: str) -> str:
        return name.split("/")[0].removesuffix(".pyc").removesuffix(".py")

    with zipfile.ZipFile(core) as z:
        in_core = {top(n) for n in z.namelist()}
    with zipfile.ZipFile(rest) as z:
        infos = [i for i in z.infolist() if top(i.filename) not in in_core]
        only_rest = {top(i.filename) for i in infos}
        # What they import, read from the build's own standard library's sources (the
        # browser's may differ a little: what is missed is fetched with the rest).
        folder = Path(sysconfig.get_paths()["stdlib"])
        wanted: set[str] = set()
        todo = sorted(imports_of(sources) & only_rest)
        while todo:
            name = todo.pop()
            if name in wanted:
                continue
            wanted.add(name)
            module = folder / f"{name}.py"
            files = [module] if module.is_file() else sorted((folder / name).glob("**/*.py"))
            texts = [f.read_text(encoding="utf-8", errors="replace") for f in files]
            todo += sorted((imports_of(texts) & only_rest) - wanted)
        if not wanted:
            return None
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            names = []
            for info in infos:
                if top(info.filename) in wanted:
                    out.writestr(info, z.read(info), compresslevel=9)
                    if info.filename.endswith(".pyc"):
                        dotted = info.filename.removesuffix(".pyc").replace("/", ".")
                        names.append(dotted.removesuffix(".__init__"))
            # The modules it holds, for the worker (which must not import zipfile: it is
            # in the rest itself).
            entry = zipfile.ZipInfo(PAGE_MODULES, (1980, 1, 1, 0, 0, 0))
            out.writestr(entry, "\n".join(names))
    return buf.getvalue()


PAGE_MODULES = "_xw_page_modules.txt"  # in a page's zip: the modules it holds, a line each
