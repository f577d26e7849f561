// The Python worker: the only code that touches Pyodide. Messages: docs/protocol.md.
// It loads the runtime, the article's modules and browser cells once, then holds a handle
// to Page.update and answers each "update" with one call (never runPython per call).

let update = null; // PyProxy of Page.update
let renderAll = null; // PyProxy of Page.render_all_json

const post = (message) => self.postMessage(message);
const status = (state, message) => post({ type: "status", state, message });

async function fetchJSON(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

async function start(loadPyodide, indexURL, snapshotURL) {
  if (snapshotURL) {
    try {
      const snapshot = fetch(snapshotURL).then((r) => {
        if (!r.ok) throw new Error(`${snapshotURL} answered ${r.status}`);
        return r.arrayBuffer();
      });
      snapshot.catch(() => {}); // handled below; a rejection before Pyodide awaits it is not "unhandled"
      return { py: await loadPyodide({ indexURL, _loadSnapshot: snapshot }), snapshot: true };
    } catch (err) {
      console.warn(`Python snapshot unusable (${err.message || err}); starting without it`);
    }
  }
  return { py: await loadPyodide({ indexURL }), snapshot: false };
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

async function init({ spec: specURL, shared: sharedURL, indexURL, snapshot: snapshotURL, integrity }) {
  status("loading", "Loading Python…");
  if (integrity) await verify(indexURL, integrity);
  let loadPyodide;
  try {
    ({ loadPyodide } = await import(`${indexURL}pyodide.mjs`));
  } catch (err) {
    throw new Error(`the Python runtime could not be downloaded (${err.message || err})`);
  }
  const [{ py, snapshot }, spec, shared] = await Promise.all([
    start(loadPyodide, indexURL, snapshotURL),
    fetchJSON(specURL),
    fetchJSON(sharedURL),
  ]);
  const home = "/home/pyodide/xw";
  for (const [path, source] of Object.entries({ ...shared, ...spec.modules })) {
    const file = `${home}/${path}`;
    py.FS.mkdirTree(file.slice(0, file.lastIndexOf("/")));
    py.FS.writeFile(file, source);
  }
  const reactive = py.runPython(
    `import sys\nsys.path.insert(0, ${JSON.stringify(home)})\n` +
      "from site_builder.runtime import reactive\nreactive",
  );
  const ns = reactive.new_namespace(JSON.stringify(spec.exports));
  for (const cell of spec.cells) {
    // Pad with newlines so tracebacks name the Markdown file's own line numbers.
    py.runPython("\n".repeat(cell.line - 1) + cell.code, { globals: ns, filename: spec.article });
  }
  const page = reactive.Page.from_json(ns, JSON.stringify(spec.inputs), JSON.stringify(spec.outputs));
  update = page.update;
  renderAll = page.render_all_json;
  post({
    type: "ready",
    python: py.runPython("import sys; sys.version.split()[0]"),
    snapshot,
  });
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === "init") {
      await init(data);
    } else if (data.type === "update") {
      post({ type: "result", id: data.id, ...JSON.parse(update(JSON.stringify(data.changes))) });
    } else if (data.type === "render_all") {
      post({ type: "result", id: data.id, ...JSON.parse(renderAll()) });
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : typeof err === "object" ? JSON.stringify(err) : String(err);
    console.error("worker:", message);
    if (data.type === "init") status("error", message.trim().split("\n").slice(-1)[0]);
    else post({ type: "result", id: data.id, error: message });
  }
};
