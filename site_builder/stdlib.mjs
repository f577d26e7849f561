// Compile the runtime's standard library: node stdlib.mjs <pyodide folder> <core zip> <rest zip> <module>...
// Pyodide ships the standard library as source (python_stdlib.zip), so every start
// compiles the ~200 modules CPython and Pyodide import while starting: most of a cold
// start's CPU. This compiles every module with the runtime's own CPython (3.14) into
// unchecked-hash .pyc files, which zipimport loads without the source, and splits them in
// two zips by top-level name: the core (what starting Python and importing <module>...
// loads, plus _xw_stdlib.py) and the rest, which _xw_stdlib fetches the first time a
// module of it is imported (static/js/worker.js). Deterministic: the same runtime and
// module list give the same bytes.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [folder, coreOut, restOut, ...modules] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${folder}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${folder}/`, env: { PYTHONHASHSEED: "0", HOME: "/home/pyodide" } });
const zips = py.runPython(`
import importlib, importlib.util, io, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

for name in ${JSON.stringify(modules)}:
    try:
        importlib.import_module(name)
    except Exception:
        pass
src = next(p for p in sys.path if p.endswith(".zip"))
core = {n.partition(".")[0] for n, m in list(sys.modules.items())
        if (getattr(m, "__file__", None) or "").startswith(src + "/")}
FINDER = '''"""Imports the standard-library modules left out of the core zip: the first import of
one fetches the rest (a synchronous request, allowed in a worker) and puts it on sys.path."""
import sys

REST = %r


class RestFinder:
    url = ""
    path = "/lib/python_stdlib_rest.zip"

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if path is not None or name not in REST or not cls.url:
            return None
        import js
        from importlib.machinery import PathFinder

        request = js.XMLHttpRequest.new()
        request.open("GET", cls.url, False)
        request.responseType = "arraybuffer"
        request.send()
        if request.status != 200:
            raise ImportError(f"{name}: {cls.url} answered {request.status}", name=name)
        with open(cls.path, "wb") as f:
            f.write(request.response.to_bytes())
        cls.url = ""
        sys.path.append(cls.path)
        return PathFinder.find_spec(name, path, target)


def install(url):
    RestFinder.url = url
    if RestFinder not in sys.meta_path:
        sys.meta_path.append(RestFinder)
'''

def pack(infos, extra=None):
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
            entry = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_STORED if is_dir else zipfile.ZIP_DEFLATED
            out.writestr(entry, data, compresslevel=9)
    return buf.getvalue()

def top(info):
    name = info.filename.split("/")[0]
    return name.removesuffix(".py") if "/" not in info.filename else name

with zipfile.ZipFile(src) as zin:
    infos = sorted(zin.infolist(), key=lambda i: i.filename)
    mine = [i for i in infos if top(i) in core or not i.filename.endswith((".py", "/")) and "/" not in i.filename]
    rest = [i for i in infos if i not in mine]
    names = sorted({top(i) for i in rest})
    finder = FINDER % (frozenset(names),)
    finder_pyc = _code_to_hash_pyc(compile(finder, f"{src}/_xw_stdlib.py", "exec"), importlib.util.source_hash(finder.encode()), checked=False)
    result = [pack(mine, ("_xw_stdlib.pyc", finder_pyc, False)), pack(rest)]
result
`);
const [core, rest] = zips.toJs();
writeFileSync(coreOut, core);
writeFileSync(restOut, rest);
