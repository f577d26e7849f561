"""Files the site ships besides its pages (the build's copy phase, ``copy_assets``):
static files under content-hashed names, passthrough files, the Pyodide runtime (copied
into the site, or reached on a CDN), the browser's packages and the Python package both
sides run."""

from __future__ import annotations

import functools
import gzip
import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import SiteConfig
from .errors import Collector
from .npm import FetchFailed
from .output import MARKER, MARKER_TEXT, SiteFiles
from .pyodide import (
    PYODIDE_VERSION,
    RUNTIME_FILES,
    ensure_pyodide,
    ensure_stdlib,
    gzipped,
    integrity,
    pyodide_dir,
)
from .urls import Urls


@dataclass
class Assets:
    """What the copy phase wrote and what pages need to reach it."""

    files: SiteFiles  # what this build writes: the assets, then the pages rendered
    names: dict[str, str]  # static/ paths -> their content-hashed paths
    runtime: dict[str, Any]  # how pages reach Pyodide (copy_pyodide); {}: no runtime
    shared: str  # URL of the shared Python package, shipped once per site
    package_locks: dict[str, dict[str, str]] = field(default_factory=dict)  # copy_packages
    # A JavaScript module -> every module it imports (preloaded with it: no waterfall).
    imports: dict[str, list[str]] = field(default_factory=dict)


def copy_assets(
    config: SiteConfig, urls: Urls, packages: Any, unchanged: bool, problems: Collector
) -> Assets:
    """Copy static files, passthrough files, the runtime and the browser's *packages*
    (packages.Packages or None). When *unchanged* (an incremental build whose key covers
    them) they are only named: the returned files start empty."""
    files = SiteFiles()
    files.write(MARKER, MARKER_TEXT, "site-builder")
    try:
        names, imports = copy_static(config, files)
    except ModuleCycle as exc:
        problems.error(config.static_dir, 0, str(exc), hint="move what both use to a third module")
        names, imports = {}, {}
    copy_passthrough(config, files)
    runtime = copy_pyodide(config, files, urls, problems)
    locks = copy_packages(config, files, urls, packages, problems) if runtime else {}
    shared = ""
    if runtime:
        owner = "site_builder/runtime"
        shared = urls(files.hashed("static/xw-python.json", shared_package(), owner))
    return Assets(SiteFiles() if unchanged else files, names, runtime, shared, locks, imports)


# A static import of another module by a relative path: import … from "./x.js", or import("./x.js").
MODULE_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}/[^"'\s]+\.js)\2""")
# A stylesheet's reference to another static file by a relative path: url("../fonts/x.woff2").
CSS_URL = re.compile(r"""(\burl\(\s*)(["']?)(\.{0,2}/?[^"'()\s:]+)\2(?=\s*\))""")


class ModuleCycle(Exception):
    """Static modules that import each other: their content-hashed names cannot be made."""


def copy_static(config: SiteConfig, out: SiteFiles) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Copy static/ with content-hashed names: ({original path: hashed path}, {a JavaScript
    module: every module it imports, directly or not}). A module's relative imports, and a
    stylesheet's relative ``url()``s, are rewritten to the hashed names of what they name
    (hashed first), so a change to one file renames it and every file that refers to it,
    and nothing else."""
    assets: dict[str, str] = {}
    imports: dict[str, list[str]] = {}
    static = config.path("static_dir")
    files = {p.relative_to(static).as_posix(): p for p in sorted(static.rglob("*")) if p.is_file()}

    def copy(rel: str, importers: tuple[str, ...]) -> str:
        if rel in assets:
            return assets[rel]
        data = files[rel].read_bytes()
        found: list[str] = []
        if rel.endswith((".js", ".css")):

            def hashed(m: re.Match[str]) -> str:
                target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), m[3]))
                if target not in files:
                    return m[0]  # not one of ours: left as written
                if target in importers or target == rel:
                    cycle = " → ".join((*importers, rel, target))
                    raise ModuleCycle(f"{config.static_dir}/ modules import each other: {cycle}")
                name = copy(target, (*importers, rel))
                found.extend([target, *imports.get(target, [])])
                where = posixpath.dirname(f"static/{rel}")
                relative = posixpath.relpath(name, where)
                relative = relative if relative.startswith(".") else f"./{relative}"
                return f"{m[1]}{m[2]}{relative}{m[2]}"

            pattern = MODULE_IMPORT if rel.endswith(".js") else CSS_URL
            data = pattern.sub(hashed, data.decode("utf-8")).encode("utf-8")
            if rel.endswith(".js"):
                imports[rel] = list(dict.fromkeys(found))
        assets[rel] = out.hashed(f"static/{rel}", data, f"{config.static_dir}/{rel}")
        return assets[rel]

    for rel in files:
        copy(rel, ())
    return dict(sorted(assets.items())), imports


def copy_passthrough(config: SiteConfig, out: SiteFiles) -> None:
    """Publish the passthrough folders and files at their own paths, as they are (editor
    and hidden files left out). One that would replace a page is a conflict naming both."""
    from .config import passthrough_files

    for rel, file in passthrough_files(config):
        out.write(rel, file, rel)


# Runtime files shipped gzipped too (the worker fetches NAME.gz; static/js/worker.js):
# binary types many hosts send uncompressed. The stdlib zip is compressed already.
PRECOMPRESSED = {"pyodide.asm.wasm"}


def copy_pyodide(
    config: SiteConfig, out: SiteFiles, urls: Urls, problems: Collector
) -> dict[str, Any]:
    """Ship Pyodide inside the site (or point at the CDN); return how pages reach it:
    ``index_url``, ``origin`` (another origin the page's CSP must allow), ``integrity``
    (SRI values when that origin serves it) and ``stdlib`` (URLs of the compiled standard
    library's core and rest, "" when it could not be made: Pyodide's own is used)."""
    source = config.runtime.source
    if source == "none":
        return {}
    try:
        folder = ensure_pyodide(config.root / ".cache")
    except FetchFailed as exc:
        problems.error("site.toml", 0, str(exc))
        return {}
    if source == "cdn":
        parts = urlsplit(config.runtime.cdn_url)
        return {
            "index_url": config.runtime.cdn_url,
            "origin": f"{parts.scheme}://{parts.netloc}",
            "integrity": integrity(folder),
            "stdlib": "",  # the distribution's own: nothing of the runtime is shipped
        }
    prefix = f"_pyodide/{PYODIDE_VERSION}/"
    for name in RUNTIME_FILES:
        out.write(prefix + name, folder / name, f"pyodide@{PYODIDE_VERSION}")
        if name in PRECOMPRESSED:
            packed = gzipped(folder / name)
            out.write(prefix + packed.name, packed, f"pyodide@{PYODIDE_VERSION}")
    stdlib = compiled_stdlib(folder, out, urls, problems)
    return {
        "index_url": urls(prefix),
        "origin": "",
        "integrity": None,
        "stdlib": stdlib,
        "weight": first_visit_weight(folder, stdlib, out),
    }


def first_visit_weight(folder: Path, stdlib: str, out: SiteFiles) -> int:
    """The bytes a first visit downloads to start Python (from a host that compresses text,
    as GitHub Pages does): the runtime's scripts, its WebAssembly gzipped, the standard
    library's core. The page says it while Python loads."""
    total = _gzip_size(folder / "pyodide.mjs") + _gzip_size(folder / "pyodide.asm.mjs")
    total += gzipped(folder / "pyodide.asm.wasm").stat().st_size
    core = stdlib.split(" ")[0] if stdlib else ""
    for path in out.files:
        if core.endswith("/" + path):
            return total + len(out.read(path))
    return total + (folder / "python_stdlib.zip").stat().st_size


@functools.lru_cache(maxsize=8)
def _gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6, mtime=0))


def compiled_stdlib(folder: Any, out: SiteFiles, urls: Urls, problems: Collector) -> str:
    """Ship the standard library compiled to bytecode (pyodide.ensure_stdlib) under
    content-hashed names; return "CORE-URL REST-URL" for the page, or "" without Node."""
    try:
        core, rest = ensure_stdlib(folder)
    except FetchFailed as exc:
        problems.warn("site.toml", 0, f"{exc}; pages compile the standard library as they start")
        return ""
    owner = f"pyodide@{PYODIDE_VERSION}"
    prefix = f"_pyodide/{PYODIDE_VERSION}/"
    names = [
        out.hashed(prefix + n, p.read_bytes(), owner)
        for n, p in (("stdlib.zip", core), ("stdlib-rest.zip", rest))
    ]
    return " ".join(urls(n) for n in names)


def copy_packages(
    config: SiteConfig, out: SiteFiles, urls: Urls, packages: Any, problems: Collector
) -> dict[str, dict[str, str]]:
    """Ship every locked package set (packages.Packages): its pure-Python wheels as one
    image with their bytecode (gzipped too), its compiled wheels with a
    ``pyodide-lock.json`` for Pyodide's loader. In CDN mode those stay on the
    distribution's server (the page checks their SHA-256). Return {set key: {"image":
    URL, "image_sha256", "lock": URL, "origin": another origin the page then fetches
    from}}, each "" when not needed."""
    import hashlib

    from .packages import LOCK_NAME, PackageError

    if packages is None:
        return {}
    remote = packages.remote
    parts = urlsplit(packages.dist.url)
    shipped = {}
    runtime = pyodide_dir(config.root / ".cache")  # verified by copy_pyodide just before
    for found in packages.sets.values():
        entry = {"image": "", "image_sha256": "", "lock": "", "origin": ""}
        try:
            image = packages.image(found, runtime)
            if image:
                data = image.read_bytes()
                name = out.hashed("_pyodide/packages/image.bin", data, LOCK_NAME)
                packed = gzipped(image)
                out.write(name + ".gz", packed, LOCK_NAME)
                entry["image"] = urls(name)
                entry["image_size"] = str(packed.stat().st_size)  # what a first visit fetches
                entry["image_sha256"] = hashlib.sha256(data).hexdigest()
            absolute = {}
            for wheel in found.wheels:
                if wheel.name not in found.compiled:
                    continue
                if remote:
                    absolute[wheel.name] = packages.dist.url + wheel.file_name
                    continue
                out.write(wheel.site_path, packages.file(wheel), LOCK_NAME)
        except PackageError as exc:
            problems.error(LOCK_NAME, 0, str(exc))
            continue
        if found.compiled:
            lock = packages.page_lock(found, absolute)
            entry["lock"] = urls(out.hashed("_pyodide/packages/pyodide-lock.json", lock, LOCK_NAME))
            entry["origin"] = f"{parts.scheme}://{parts.netloc}" if absolute else ""
        shipped[found.key] = entry
    return shipped


SHARED_PACKAGE = Path(__file__).parent / "runtime"  # the Python both sides run


def shared_package() -> bytes:
    """The shared Python package as one JSON file ({path: source}) every page's worker
    loads: the same bytes for every page, so the browser fetches it once per site."""
    modules = {"site_builder/__init__.py": ""}
    for path in sorted(SHARED_PACKAGE.glob("*.py")):
        modules[f"site_builder/runtime/{path.name}"] = path.read_text(encoding="utf-8")
    return json.dumps(modules, sort_keys=True, separators=(",", ":")).encode()
