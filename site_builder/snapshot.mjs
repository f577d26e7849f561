// Make a Pyodide memory snapshot: node snapshot.mjs <pyodide folder> <output file> [image module...]
// CPython is started and the standard-library modules the widget runtime uses are
// imported, then the interpreter's memory is saved. Loading it in the browser skips
// CPython's start-up. Uses Pyodide's private _makeSnapshot option: pinned with the runtime.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [folder, output, image, ...modules] = process.argv.slice(2);

// The same bytes from every build (so the file, named by its content, caches well): hash
// seed 0, and randomness and clocks fixed while CPython starts. Nothing random is kept for
// later: os.urandom and secrets ask the browser's crypto each time.
let seed = 1;
const fill = (array) => {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < bytes.length; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  return array;
};
globalThis.crypto.getRandomValues = fill;
createRequire(import.meta.url)("node:crypto").randomFillSync = fill;
Date.now = () => 1700000000000;
performance.now = () => 0;
const { loadPyodide } = await import(pathToFileURL(`${folder}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${folder}/`, _makeSnapshot: true, env: { PYTHONHASHSEED: "0", HOME: "/home/pyodide" } });
py.runPython("import ast, html, json, math, sys, traceback");
// A page with packages (site_builder/packages.py) gets its own snapshot: the image of its
// pure-Python packages installed, and the modules its browser code imports imported, so
// neither they nor the standard-library modules they use are compiled in the browser.
// A module that fails to import here is simply left to the page.
if (image) {
  const bytes = new Uint8Array(readFileSync(image));
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const files = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  const site = py.runPython("import site; site.getsitepackages()[0]");
  let offset = 4 + length;
  for (const [path, size] of files) {
    const file = `${site}/${path}`;
    py.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    py.FS.writeFile(file, bytes.subarray(offset, offset + size));
    offset += size;
  }
  py.runPython(`
import importlib, sys
sys.path_importer_cache.pop(${JSON.stringify(site)}, None)
for name in ${JSON.stringify(modules)}:
    try:
        importlib.import_module(name)
    except Exception:
        pass
`);
}
writeFileSync(output, py.makeMemorySnapshot());
