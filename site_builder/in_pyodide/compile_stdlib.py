"""The runtime's standard library as two zips of unchecked-hash bytecode (run by
stdlib.mjs in Pyodide): the core, holding the modules that starting Python and importing
*modules* load plus ``_xw_stdlib`` (the finder, from ``stdlib_finder.py``), and the rest,
which that finder fetches the first time one of its modules is imported."""

import importlib
import importlib.util
import io
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]

EPOCH = (1980, 1, 1, 0, 0, 0)  # every entry's time: the same runtime gives the same bytes


def main(modules: list[str], finder_source: str) -> list[bytes]:
    """[core zip, rest zip] for this runtime, with *modules* in the core."""
    for name in modules:
        try:  # noqa: SIM105 (contextlib would be one more module in the core)
            importlib.import_module(name)
        except Exception:
            pass
    src = next(p for p in sys.path if p.endswith(".zip"))
    loaded = {
        (m.__file__ or "")[len(src) + 1 :]
        for m in list(sys.modules.values())
        if (getattr(m, "__file__", None) or "").startswith(src + "/")
    }
    core = {f.split("/")[0].removesuffix(".py") for f in loaded}

    def in_core(info: zipfile.ZipInfo) -> bool:
        """A module only if it was imported; folders and data files with their top name."""
        if info.filename.endswith(".py"):
            return info.filename in loaded
        return _top(info) in core

    with zipfile.ZipFile(src) as zin:
        infos = sorted(zin.infolist(), key=lambda i: i.filename)
        mine = [i for i in infos if in_core(i)]
        rest = [i for i in infos if not in_core(i) or i.is_dir()]  # folders in both
        names = sorted(_dotted(i.filename) for i in rest if i.filename.endswith(".py"))
        finder = finder_source.replace("REST = frozenset()", f"REST = {frozenset(names)!r}", 1)
        finder_pyc = _code_to_hash_pyc(
            compile(finder, f"{src}/_xw_stdlib.py", "exec"),
            importlib.util.source_hash(finder.encode()),
            checked=False,
        )
        return [
            _pack(zin, src, mine, ("_xw_stdlib.pyc", finder_pyc, False)),
            _pack(zin, src, rest),
        ]


def _pack(
    zin: zipfile.ZipFile,
    src: str,
    infos: list[zipfile.ZipInfo],
    extra: tuple[str, bytes, bool] | None = None,
) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        files = []
        for info in infos:
            data = zin.read(info)
            name = info.filename
            if name.endswith(".py"):
                code = compile(data, f"{src}/{name}", "exec", dont_inherit=True)
                data = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
                name += "c"
            files.append((name, data, info.is_dir()))
        if extra:
            files.append(extra)
        for name, data, is_dir in sorted(files):
            entry = zipfile.ZipInfo(name, EPOCH)
            entry.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
            out.writestr(entry, data, compresslevel=9)
    return buf.getvalue()


def _top(info: zipfile.ZipInfo) -> str:
    name = info.filename.split("/")[0]
    return name.removesuffix(".py") if "/" not in info.filename else name


def _dotted(filename: str) -> str:
    return filename.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
