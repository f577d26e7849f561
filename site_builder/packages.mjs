// Make a package set's image: node packages.mjs <pyodide folder> <output file> <wheel>...
// (The Python it runs: in_pyodide/package_image.py.)
// The files of pure-Python wheels as they lie in site-packages, with their bytecode
// compiled by the runtime's own CPython (3.14): unchecked-hash .pyc files, which Python
// loads without looking at the source, so a page imports them without compiling (the
// larger part of a package's start-up cost). The page writes the image into Pyodide's
// site-packages in one go (static/js/worker.js). Format: a 4-byte little-endian header
// length, the header (JSON [[path, size], ...], sorted), then the files' bytes in order.
// Deterministic: hash seed 0, sorted paths, the same wheels give the same bytes.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [folder, output, ...wheels] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(`${folder}/pyodide.mjs`).href);
const py = await loadPyodide({ indexURL: `${folder}/`, env: { PYTHONHASHSEED: "0", HOME: "/home/pyodide" } });
wheels.forEach((wheel, i) => {
  py.FS.writeFile(`/tmp/wheel-${i}.whl`, new Uint8Array(readFileSync(wheel)));
});
py.runPython(readFileSync(new URL("./in_pyodide/package_image.py", import.meta.url), "utf8"));
const image = py.globals.get("main")(wheels.length);
writeFileSync(output, image.toJs());
