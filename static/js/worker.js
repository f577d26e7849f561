// The Python worker: the only code that touches Pyodide. Messages: docs/protocol.md.
// It loads the runtime, the article's modules and browser cells once, then holds handles
// to its Page (never runPython per call). An update sets the inputs at once and queues the
// outputs they affect, cheapest first; each result is posted as soon as it is computed,
// and between two outputs newer input is taken in, so an output is computed once, with
// the latest values, however fast a slider moves. The page stops this worker (and starts
// another) when one output runs past the article's time limit.

let page = null; // PyProxy of the article's reactive.Page
let python = null; // the Pyodide instance, kept for the visit's next article ("open")
let kept = ""; // the files under HOME before any article's (site_builder/runtime/visit.py)
let modules = []; // the open article's bundle modules, by path
let cellsMs = 0; // how long the open article's exec cells ran
const queue = []; // output ids still to compute for the latest inputs, cheapest first
let rank = new Map(); // output id -> its place: by the cost the build measured, then page order
let draining = false;
let latest = 0; // id of the newest update taken in

const post = (message) => self.postMessage(message);
const status = (state, message) => post({ type: "status", state, message });

// Let messages that arrived meanwhile run (a MessageChannel task, unclamped unlike setTimeout).
const channel = new MessageChannel();
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();
const yieldToMessages = () =>
  new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });

function enqueue(ids) {
  for (const id of ids) if (!queue.includes(id)) queue.push(id);
  queue.sort((a, b) => rank.get(a) - rank.get(b));
  drain();
}

async function drain() {
  if (draining) return;
  draining = true;
  try {
    while (queue.length > 0) {
      const output = queue.shift();
      post({ type: "computing", output });
      post({ type: "output", output, result: JSON.parse(page.compute_json(output)) });
      await yieldToMessages();
    }
  } finally {
    draining = false;
  }
  post({ type: "idle", id: latest });
}

// The largest runtime files are also in the site gzipped (NAME.gz): many static hosts,
// GitHub Pages among them, send .wasm and .bin files uncompressed. Every fetch of this
// worker, Pyodide's own included, asks for the .gz first and decompresses it here; a host
// that decoded it already (Content-Encoding) is noticed by the missing gzip magic, and a
// site without the .gz (or another origin) gets the file itself.
const PACKED = /\/(pyodide\.asm\.wasm|image\.[0-9a-f]+\.bin)$/;
// Every response's bytes are counted as they arrive, so the page can show the download's
// progress while Python loads ("progress" messages, at most every 200 ms).
let received = 0;
let told = 0;
const counted = (response) => {
  if (!response.body || !response.ok) return response;
  const counter = new TransformStream({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (performance.now() - told > 200) {
        told = performance.now();
        post({ type: "progress", bytes: received });
      }
      controller.enqueue(chunk);
    },
  });
  return new Response(response.body.pipeThrough(counter), { status: response.status, statusText: response.statusText, headers: response.headers });
};
const originalFetch = self.fetch.bind(self);
const plainFetch = async (input, init) => counted(await originalFetch(input, init));
self.fetch = async (input, init) => {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url, location.href);
  if (url.origin !== location.origin || !PACKED.test(url.pathname)) return plainFetch(input, init);
  const packed = await plainFetch(`${url.href}.gz`, init);
  if (!packed.ok || !packed.body) return plainFetch(input, init);
  const [peek, body] = packed.body.tee();
  const reader = peek.getReader();
  const { value } = await reader.read();
  reader.cancel();
  const gzip = value !== undefined && value[0] === 0x1f && value[1] === 0x8b;
  const type = url.pathname.endsWith(".wasm") ? "application/wasm" : "application/octet-stream";
  return new Response(gzip ? body.pipeThrough(new DecompressionStream("gzip")) : body, {
    headers: { "Content-Type": type },
  });
};

async function fetchJSON(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

// The bytes at *url*; *what* names it in the error when the server refuses.
async function fetchBytes(url, what) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${what} answered ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

// A bundle file the article's Python reads (spec.files), as bytes for Pyodide's files.
async function fetchFile(url, path) {
  return [path, await fetchBytes(url, `${path}, a file the article's Python reads,`)];
}

// Memory snapshots (Pyodide's private _makeSnapshot/_loadSnapshot options, pinned with the
// runtime): the first visit starts CPython, imports the modules the page names, saves the
// interpreter's memory in the browser's Cache Storage and goes on; later visits start from
// it, skipping CPython's start-up, with nothing downloaded for it. A snapshot is keyed by
// the runtime's URL, the module list and the package image; one that does not load is
// dropped and Python starts as on a first visit.
const SNAPSHOTS = "xw-python-snapshots";
const REST = "/lib/python_stdlib_rest.zip"; // the standard library beyond the core (stdlib.mjs)
const KEEP = 4; // snapshots kept per runtime (pages with other packages have their own)

function snapshotKey(indexURL, modules, image, stdlib, sharedURL) {
  const name = (url) => (url ? new URL(url).pathname.split("/").pop() : "");
  const query = new URLSearchParams({
    modules: modules.join(" "),
    image: image?.sha256 || "",
    stdlib: name(stdlib?.[0]),
    runtime: name(sharedURL),
  });
  return `${indexURL}xw-snapshot?${query}`;
}

// Pyodide copies a snapshot into the WebAssembly heap as it was compiled (30 MB), without
// growing it first (pyodide/pyodide#6254): a larger snapshot, made with a large package
// image, fails with "offset is out of bounds" and every visit starts cold. So while a
// snapshot loads, the module's memory is grown to hold it as soon as it is instantiated,
// before Emscripten makes its views of it.
async function withHeapFor(bytes, load) {
  const grow = (result) => {
    const exports = (result.instance || result).exports || {};
    const memory = Object.values(exports).find((value) => value instanceof WebAssembly.Memory);
    const short = memory ? bytes - memory.buffer.byteLength : 0;
    if (memory && short > 0) memory.grow(Math.ceil(short / 65536));
    return result;
  };
  /** @type {any} */
  const wasm = WebAssembly;
  const { instantiate, instantiateStreaming } = wasm;
  wasm.instantiate = (/** @type {any[]} */ ...args) => instantiate.apply(wasm, args).then(grow);
  wasm.instantiateStreaming = (/** @type {any[]} */ ...args) => instantiateStreaming.apply(wasm, args).then(grow);
  try {
    return await load();
  } finally {
    wasm.instantiate = instantiate;
    wasm.instantiateStreaming = instantiateStreaming;
  }
}

async function savedSnapshot(key) {
  try {
    const response = await (await caches.open(SNAPSHOTS)).match(key);
    if (!response) return null;
    const bytes = await response.arrayBuffer();
    return bytes.byteLength === Number(response.headers.get("X-Length")) ? bytes : null;
  } catch {
    return null; // no Cache Storage here (not a secure context), or it failed
  }
}

async function saveSnapshot(key, indexURL, bytes) {
  try {
    const cache = await caches.open(SNAPSHOTS);
    await cache.put(key, new Response(bytes, { headers: { "X-Length": String(bytes.byteLength) } }));
    const mine = [];
    for (const request of await cache.keys()) {
      if (!request.url.startsWith(indexURL)) await cache.delete(request); // another runtime's
      else if (request.url !== key) mine.push(request);
    }
    for (const request of mine.slice(0, Math.max(0, mine.length - (KEEP - 1)))) await cache.delete(request);
  } catch (err) {
    console.warn(`Python's snapshot was not saved (${err.message || err})`);
  }
}

async function forgetSnapshot(key) {
  try {
    await (await caches.open(SNAPSHOTS)).delete(key);
  } catch {}
}

const HOME = "/home/pyodide/xw"; // the article's files, the widget runtime's, the working folder

function writeFiles(py, entries) {
  for (const [path, source] of entries) {
    const file = `${HOME}/${path}`;
    py.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    py.FS.writeFile(file, source);
  }
}

// Start Python with the package image and the widget runtime (*shared*, the site's
// site_builder.runtime package) installed: from a saved snapshot when there is one,
// otherwise from scratch, saving a snapshot for next time when *modules* is given; the
// runtime is imported before it is saved, so later visits do not compile it.
async function start(loadPyodide, options, modules, image, imageBytes, stdlib, shared, sharedURL) {
  const key = modules && self.caches ? snapshotKey(options.indexURL, modules, image, stdlib, sharedURL) : "";
  const installShared = async (py) => {
    writeFiles(py, Object.entries(await shared));
    py.runPython(`import sys\nif "${HOME}" not in sys.path: sys.path.insert(0, "${HOME}")`);
  };
  // The standard library compiled at build time (site_builder/stdlib.mjs): its core zip
  // replaces Pyodide's source zip, and _xw_stdlib fetches the rest when first imported.
  // A page with packages imports them before its snapshot is made, when Python must not
  // hold a request object: it fetches the rest here, while Pyodide starts.
  if (stdlib) options = { ...options, stdLibURL: stdlib[0] };
  const rest = stdlib && image ? fetchBytes(stdlib[1], `the standard library (${stdlib[1]})`) : null;
  rest?.catch(() => {}); // awaited below
  // The modules of the rest this page's code imports (pyodide.page_stdlib), fetched while
  // Pyodide starts and put in place after any snapshot, which other pages share.
  const own = stdlib?.[2] && !rest ? fetchBytes(stdlib[2], `the page's standard-library modules (${stdlib[2]})`) : null;
  own?.catch(() => {}); // awaited below
  const withOwn = async (py) => {
    if (!own) return py;
    const path = `/lib/${new URL(stdlib[2]).pathname.split("/").pop()}`;
    py.FS.writeFile(path, await own, { canOwn: true });
    // zipimport, not zipfile: zipfile is in the rest itself.
    py.runPython(`
import sys, zipimport, _xw_stdlib
names = zipimport.zipimporter(${JSON.stringify(path)}).get_data("_xw_page_modules.txt")
sys.path.insert(1, ${JSON.stringify(path)})
_xw_stdlib.REST = _xw_stdlib.REST - set(names.decode().split())  # found on sys.path now
`);
    return py;
  };
  const withRest = async (py) => {
    if (rest) py.FS.writeFile(REST, await rest, { canOwn: true });
    // Fetched on first use from its URL, or already in place at REST ("").
    if (stdlib) py.runPython(`import _xw_stdlib\n_xw_stdlib.install(${JSON.stringify(rest ? "" : stdlib[1])})`);
    return py;
  };
  const saved = key ? await savedSnapshot(key) : null;
  let restored = null;
  if (saved) {
    try {
      restored = await withHeapFor(saved.byteLength, () => loadPyodide({ ...options, _loadSnapshot: saved }));
    } catch (err) {
      console.warn(`Python's saved snapshot did not load (${err.message || err}); starting without it`);
      await forgetSnapshot(key);
    }
  }
  if (restored) {
    const py = await withOwn(await withRest(restored));
    const bytes = await imageBytes;
    if (bytes) installImage(py, bytes); // its files, for what the snapshot did not import
    await installShared(py);
    return { py, snapshot: true };
  }
  const py = await withRest(await loadPyodide(key ? { ...options, _makeSnapshot: true } : options));
  const bytes = await imageBytes;
  if (bytes) installImage(py, bytes);
  await installShared(py);
  if (key) {
    py.runPython(`
import importlib
for name in ${JSON.stringify([...modules, "site_builder.runtime.reactive"])}:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # the page reports it where it is imported
`);
    let snapshot = null;
    try {
      snapshot = py.makeMemorySnapshot();
    } catch (err) {
      console.warn(`Python's snapshot was not made (${err.message || err})`);
    }
    // While snapshots are made, Python sees the worker's globals through a recording
    // proxy on which getters fail ("Illegal invocation"): give it the globals themselves.
    py.registerJsModule("js", self);
    if (snapshot) saveSnapshot(key, options.indexURL, snapshot); // not awaited: Python goes on
  }
  return { py: await withOwn(py), snapshot: false };
}

// The article's pure-Python packages: one image of their files, bytecode included
// (site_builder/packages.mjs), checked against the SHA-256 the build recorded, then
// written into site-packages. Fetched while Pyodide starts.
async function fetchImage({ url, sha256 }) {
  const bytes = await fetchBytes(url, `the page's Python packages (${url})`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== sha256) throw new Error(`the page's Python packages (${url}) failed their integrity check`);
  return bytes;
}

function installImage(py, bytes) {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const files = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  const site = py.runPython("import site; site.getsitepackages()[0]");
  const made = new Set();
  let offset = 4 + length;
  for (const [path, size] of files) {
    const file = `${site}/${path}`;
    const folder = file.slice(0, file.lastIndexOf("/"));
    if (!made.has(folder)) py.FS.mkdirTree(folder);
    made.add(folder);
    py.FS.writeFile(file, bytes.subarray(offset, offset + size), { canOwn: true }); // no copy
    offset += size;
  }
  // Only site-packages' own finder forgets what it listed (importlib.invalidate_caches()
  // would import importlib.metadata first: half a second of compiling).
  py.runPython(`import sys\nf = sys.path_importer_cache.get(${JSON.stringify(site)})\nif f: f.invalidate_caches()`);
}

// The article's compiled packages (spec.packages), from the site or the distribution: Pyodide's loadPackage reads each
// wheel's SHA-256 from the page's pyodide-lock.json and refuses a file that differs. It
// reports failures through a callback rather than by rejecting, so they are collected.
async function loadPackages(py, names) {
  const failures = [];
  await py.loadPackage(names, {
    checkIntegrity: true,
    messageCallback: () => {},
    errorCallback: (message) => failures.push(message),
  });
  if (failures.length) throw new Error(`a Python package did not load: ${failures.join("; ")}`);
}

// Pyodide (314.0.7) reports a runtime that does not compile (a truncated
// pyodide.asm.wasm, say) with a console warning and then waits for ever: this promise
// turns that warning into a failed start.
function instantiationFailed() {
  return new Promise((_, reject) => {
    const warn = console.warn;
    let failed = false;
    let reason = "";
    console.warn = (...args) => {
      warn.apply(console, args);
      if (failed && !reason) reason = args[0] instanceof Error ? args[0].message : String(args[0]);
      if (!failed && String(args[0]).includes("wasm instantiation failed")) {
        failed = true; // the reason comes in the next warning
        setTimeout(() => reject(new Error(`the Python runtime (pyodide.asm.wasm) did not compile: ${reason}`)));
      }
    };
  });
}

// A runtime on another origin (CDN mode): fetch every file with its Subresource Integrity
// hash before Pyodide loads them, so a file that differs from the one the site was built
// with stops the start. Pyodide's own fetches then come from the HTTP cache.
async function verify(indexURL, integrity) {
  await Promise.all(
    Object.entries(integrity).map(async ([name, hash]) => {
      try {
        const response = await fetch(indexURL + name, { integrity: hash, mode: "cors" });
        await response.arrayBuffer();
      } catch {
        throw new Error(`${name} from ${indexURL} failed its integrity check`);
      }
    }),
  );
}

async function init({ spec: specURL, shared: sharedURL, indexURL, snapshot: modules, stdlib, integrity, image, lock, packages }) {
  status("loading", "Loading Python…");
  if (integrity) await verify(indexURL, integrity);
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(`${indexURL}pyodide.mjs`));
  } catch (err) {
    throw new Error(`the Python runtime could not be downloaded (${err.message || err})`);
  }
  const options = lock ? { indexURL, lockFileURL: lock, packageBaseUrl: packages } : { indexURL };
  const imageBytes = image ? fetchImage(image) : Promise.resolve(null);
  imageBytes.catch(() => {}); // awaited in start(); a rejection before that is not "unhandled"
  const shared = fetchJSON(sharedURL);
  shared.catch(() => {}); // awaited in start()
  const [{ py, snapshot }, spec] = await Promise.all([
    Promise.race([
      start(loadPyodide, options, modules, image, imageBytes, stdlib, shared, sharedURL),
      instantiationFailed(),
    ]),
    fetchJSON(specURL),
  ]);
  python = py;
  kept = py.runPython("from site_builder.runtime import visit\nvisit").files_under(HOME);
  await runArticle(spec, specURL);
  post({
    type: "ready",
    python: pythonVersion(),
    snapshot,
    timeLimit: spec.time_limit,
    kept: false,
    cellsMs,
  });
}

const pythonVersion = () => python.runPython("import sys; sys.version.split()[0]");

// The article's packages, modules, files and browser cells, in a namespace of its own.
async function runArticle(spec, specURL) {
  const py = python;
  if (spec.packages?.length) await loadPackages(py, spec.packages);
  const files = await Promise.all((spec.files || []).map((path) => fetchFile(new URL(path, specURL).href, path)));
  modules = Object.keys(spec.modules || {});
  writeFiles(py, [...Object.entries(spec.modules || {}), ...files]);
  // The bundle's files at the paths the build's cells used: open("data/x.csv") works here too.
  py.FS.chdir(HOME);
  const reactive = py.runPython("from site_builder.runtime import reactive\nreactive");
  const ns = reactive.new_namespace(spec.exports); // JSON text, read by Python as written
  post({ type: "starting", timeLimit: spec.time_limit }); // the page's watchdog starts
  const began = performance.now();
  for (const cell of spec.cells) {
    // Pad with newlines so tracebacks name the Markdown file's own line numbers.
    py.runPython("\n".repeat(cell.line - 1) + cell.code, { globals: ns, filename: spec.article });
  }
  page = reactive.Page.from_json(ns, JSON.stringify(spec.inputs), JSON.stringify(spec.outputs));
  cellsMs = performance.now() - began;
  ns.destroy();
  reactive.destroy();
  rank = new Map(spec.outputs.map((o, i) => [o.id, (o.cost || 0) * spec.outputs.length + i]));
}

// The next article of the visit, in the same Python (the page moved to it in the document):
// what the last one left (its namespace, modules and files) is forgotten first.
async function open({ spec: specURL }) {
  status("loading", "Starting the article's Python…");
  const spec = await fetchJSON(specURL);
  queue.length = 0;
  page?.destroy();
  page = null;
  const visit = python.runPython("from site_builder.runtime import visit\nvisit");
  visit.forget(HOME, kept, JSON.stringify(modules));
  visit.destroy();
  await runArticle(spec, specURL);
  post({ type: "ready", python: pythonVersion(), snapshot: false, timeLimit: spec.time_limit, kept: true, cellsMs });
}

// A failure nobody awaited (a runtime file that does not compile, say) ends the start too.
self.addEventListener("unhandledrejection", (event) => {
  if (!page) status("error", String(event.reason?.message || event.reason).trim().split("\n").slice(-1)[0]);
});

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      await init(data);
    } else if (data.type === "open") {
      await open(data);
    } else if (data.type === "update") {
      const answer = JSON.parse(page.accept(JSON.stringify(data.changes)));
      latest = data.id;
      if (answer.error) post({ type: "result", id: data.id, error: answer.error });
      enqueue((answer.outputs || []).filter((id) => !data.skip.includes(id)));
    } else if (data.type === "compute") {
      enqueue(data.outputs);
    } else if (data.type === "render_all") {
      post({ type: "result", id: data.id, ...JSON.parse(page.render_all_json()) });
    } else if (data.type === "memory") {
      post({ type: "result", id: data.id, bytes: python._module.HEAP8.length });
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : typeof err === "object" ? JSON.stringify(err) : String(err);
    console.error("worker:", message);
    if (data.type === "init" || data.type === "open") status("error", message.trim().split("\n").slice(-1)[0]);
    else post({ type: "result", id: data.id, error: message });
  }
};
