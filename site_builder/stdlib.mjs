// Compile the runtime's standard library: node stdlib.mjs <pyodide folder> <core zip> <rest zip> <module>...
// (The Python it runs: in_pyodide/compile_stdlib.py and in_pyodide/stdlib_finder.py.)
// Pyodide ships the standard library as source (python_stdlib.zip), so every start
// compiles the ~200 modules CPython and Pyodide import while starting: most of a cold
// start's CPU. This compiles every module with the runtime's own CPython (3.14) into
// unchecked-hash .pyc files, which zipimport loads without the source, and splits them in
// two zips, module by module: the core (the modules starting Python and importing
// <module>... loads, plus _xw_stdlib.py) and the rest, which _xw_stdlib fetches the first
// time a module of it is imported (static/js/worker.js). A package can be in both: its
// codecs, say, beyond the few a start needs. Deterministic: the same runtime and
// module list give the same bytes.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [folder, coreOut, restOut, ...modules] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${folder}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${folder}/`, env: { PYTHONHASHSEED: "0", HOME: "/home/pyodide" } });
const here = new URL("./in_pyodide/", import.meta.url);
py.runPython(readFileSync(new URL("compile_stdlib.py", here), "utf8"));
const finder = readFileSync(new URL("stdlib_finder.py", here), "utf8");
const zips = py.globals.get("main")(py.toPy(modules), finder);
const [core, rest] = zips.toJs();
writeFileSync(coreOut, core);
writeFileSync(restOut, rest);
