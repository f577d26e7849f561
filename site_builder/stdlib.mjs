// Compile the runtime's standard library: node stdlib.mjs <pyodide folder> <core zip> <rest zip> <module>...
// Pyodide ships the standard library as source (python_stdlib.zip), so every start
// compiles the ~200 modules CPython and Pyodide import while starting: most of a cold
// start's CPU. This compiles every module with the runtime's own CPython (3.14) into
// unchecked-hash .pyc files, which zipimport loads without the source, and splits them in
// two zips, module by module: the core (the modules starting Python and importing
// <module>... loads, plus _xw_stdlib.py) and the rest, which _xw_stdlib fetches the first
// time a module of it is imported (static/js/worker.js). A package can be in both: its
// codecs, say, beyond the few a start needs. Deterministic: the same runtime and
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
loaded = {m.__file__[len(src) + 1 :] for m in list(sys.modules.values())
          if (getattr(m, "__file__", None) or "").startswith(src + "/")}
core = {f.split("/")[0].removesuffix(".py") for f in loaded}
FINDER = '''"""Imports the standard-library modules left out of the core zip. The first import of
one fetches the rest (a synchronous request, allowed in a worker) and puts it on sys.path;
a module of a package whose other modules are in the core is found by adding the rest's
folder of that package to the package's __path__."""
import sys

REST = %r  # the rest's modules, by dotted name


class RestFinder:
    url = ""  # where the rest is fetched from; "" once it is in place
    path = "/lib/python_stdlib_rest.zip"

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in REST:
            return None
        from importlib.machinery import PathFinder

        if cls.url:
            cls.fetch(name)
        parent = name.rpartition(".")[0]
        if not parent:
            return PathFinder.find_spec(name, [cls.path], target)
        package = sys.modules.get(parent)
        if package is None or not hasattr(package, "__path__"):
            return None
        where = cls.path + "/" + parent.replace(".", "/")
        if where not in package.__path__:
            package.__path__.append(where)
        return PathFinder.find_spec(name, package.__path__, target)

    @classmethod
    def fetch(cls, name):
        import js

        request = js.XMLHttpRequest.new()
        request.open("GET", cls.url, False)
        request.responseType = "arraybuffer"
        request.send()
        if request.status != 200:
            raise ImportError(f"{name}: {cls.url} answered {request.status}", name=name)
        with open(cls.path, "wb") as f:
            f.write(request.response.to_bytes())
        cls.url = ""
        if cls.path not in sys.path:
            sys.path.append(cls.path)


def install(url=""):
    """Find the rest's modules from now on: fetched from *url* when first needed, or
    already written at RestFinder.path (url "")."""
    RestFinder.url = url
    if not url and RestFinder.path not in sys.path:
        sys.path.append(RestFinder.path)
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

def in_core(info):
    """A module only if it was imported; folders and data files with their top-level name."""
    if info.filename.endswith(".py"):
        return info.filename in loaded
    return top(info) in core

def dotted(filename):
    return filename.removesuffix(".py").replace("/", ".").removesuffix(".__init__")

with zipfile.ZipFile(src) as zin:
    infos = sorted(zin.infolist(), key=lambda i: i.filename)
    mine = [i for i in infos if in_core(i)]
    rest = [i for i in infos if not in_core(i) or i.is_dir()]  # folders in both
    names = sorted(dotted(i.filename) for i in rest if i.filename.endswith(".py"))
    finder = FINDER % (frozenset(names),)
    finder_pyc = _code_to_hash_pyc(compile(finder, f"{src}/_xw_stdlib.py", "exec"), importlib.util.source_hash(finder.encode()), checked=False)
    result = [pack(mine, ("_xw_stdlib.pyc", finder_pyc, False)), pack(rest)]
result
`);
const [core, rest] = zips.toJs();
writeFileSync(coreOut, core);
writeFileSync(restOut, rest);
