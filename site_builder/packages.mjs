// Make a package set's image: node packages.mjs <pyodide folder> <output file> <wheel>...
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
const image = py.runPython(`
import compileall, json, os, py_compile, site, zipfile

root, target = "/image", site.getsitepackages()[0]
for i in range(${wheels.length}):
    with zipfile.ZipFile(f"/tmp/wheel-{i}.whl") as wheel:
        for info in wheel.infolist():
            parts = info.filename.split("/")
            if info.is_dir():
                continue
            if parts[0].endswith(".data"):  # NAME.data/purelib/... installs at the root
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                parts = parts[2:]
            path = os.path.join(root, *parts)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(wheel.read(info))
compileall.compile_dir(
    root, ddir=target, quiet=2, workers=1,
    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
)
files = sorted(
    os.path.relpath(os.path.join(d, n), root) for d, _, names in os.walk(root) for n in names
)
blobs = [open(os.path.join(root, f), "rb").read() for f in files]
header = json.dumps([[f, len(b)] for f, b in zip(files, blobs)], separators=(",", ":")).encode()
len(header).to_bytes(4, "little") + header + b"".join(blobs)
`);
writeFileSync(output, image.toJs());
