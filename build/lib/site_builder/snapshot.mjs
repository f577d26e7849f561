// Make a Pyodide memory snapshot: node snapshot.mjs <pyodide folder> <output file>
// CPython is started and the standard-library modules the widget runtime uses are
// imported, then the interpreter's memory is saved. Loading it in the browser skips
// CPython's start-up. Uses Pyodide's private _makeSnapshot option: pinned with the runtime.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [folder, output] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${folder}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${folder}/`, _makeSnapshot: true });
py.runPython("import ast, html, json, math, sys, traceback");
writeFileSync(output, py.makeMemorySnapshot());
