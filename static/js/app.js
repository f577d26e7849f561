// Main thread: owns the DOM. Starts the Python worker, sends input changes, applies results.
// Messages: docs/protocol.md. DOM contract (classes, data attributes): README, "Widget DOM".
// The page is complete before this runs; if anything here fails, it stays as built.

const article = document.querySelector("[data-xw-spec]");
if (article) start(article);

// One closure holds the page's state (the worker, what is in flight, what waits): the
// handlers below share it, which is why this function is longer than the others.
function start(article) {
  const root = document.documentElement;
  /** @type {HTMLElement | null} */
  const statusEl = document.querySelector(".xw-status");
  /** @type {Map<string, HTMLElement>} */
  const outputs = new Map();
  for (const el of document.querySelectorAll("[data-xw-output]")) {
    if (el instanceof HTMLElement) outputs.set(el.dataset.xwOutput || "", el);
  }
  const waiting = new Map(); // request id -> resolve, for renderAll()
  let ready = false;
  let inFlight = null; // id of the update being computed
  let pending = {}; // latest value per input, not yet sent: the latest value always wins
  let nextId = 1;
  let busyTimer = 0;
  let settleTimer = 0;
  const touched = new Set(); // outputs updated since the last announcement

  const setStatus = (state, text) => showStatus(statusEl, state, text);

  let worker;
  try {
    worker = new Worker(article.dataset.xwWorker, { type: "module" });
  } catch (err) {
    setStatus("error", `Interactive figures are unavailable: ${err.message || err}`);
    return;
  }
  setStatus("loading", "Loading Python to make the figures interactive…");
  worker.onerror = (event) => {
    event.preventDefault();
    ready = false;
    setStatus("error", `Interactive figures stopped: the Python worker failed (${event.message || "unknown error"}).`);
  };
  worker.onmessage = ({ data }) => handle(data);
  worker.postMessage(initMessage(article.dataset));

  function handle(msg) {
    if (msg.type === "status") {
      const text = msg.state === "error" ? `Interactive figures are unavailable: ${msg.message}` : msg.message;
      setStatus(msg.state, text);
    } else if (msg.type === "ready") {
      ready = true;
      performance.mark("xw-ready");
      root.dataset.xwStartedFrom = msg.snapshot ? "snapshot" : "scratch";
      setStatus("ready", `Interactive: Python ${msg.python} is running in your browser.`);
      send();
    } else if (msg.type === "result") {
      if (waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
        return;
      }
      clearTimeout(busyTimer);
      for (const el of outputs.values()) delete el.dataset.busy;
      inFlight = null;
      if (msg.error) setStatus("error", `Interactive figures hit an error: ${msg.error}`);
      else {
        applyResults(outputs, msg.outputs);
        for (const id of Object.keys(msg.outputs)) touched.add(id);
      }
      root.dataset.xwUpdates = String(Number(root.dataset.xwUpdates || 0) + 1);
      if (Object.keys(pending).length === 0) delete root.dataset.xwPending;
      send();
    }
  }

  function send() {
    if (!ready || inFlight !== null || Object.keys(pending).length === 0) return;
    const changes = pending;
    pending = {};
    inFlight = nextId++;
    // A call still running after a second says so at its outputs; the page stays usable.
    busyTimer = setTimeout(() => {
      for (const el of outputs.values()) el.dataset.busy = "true";
    }, 1000);
    worker.postMessage({ type: "update", id: inFlight, changes });
  }

  // *preview*: a hover that shows a value without choosing it; never announced.
  function change(name, value, preview = false) {
    pending[name] = value;
    root.dataset.xwPending = "true";
    if (!preview) {
      clearTimeout(settleTimer);
      settleTimer = setTimeout(announce, SETTLE_MS);
    }
    send();
  }

  // Once the reader's input has settled and its results are in, tell screen readers
  // once, per widget, what its value outputs now say.
  function announce() {
    if (inFlight !== null || Object.keys(pending).length > 0) {
      settleTimer = setTimeout(announce, SETTLE_MS / 2);
      return;
    }
    const widgets = new Set([...touched].map((id) => outputs.get(id)?.closest(".xw-widget")));
    touched.clear();
    for (const widget of widgets) {
      const region = widget?.querySelector(".xw-announce");
      if (region) {
        const text = summary(widget);
        if (text && text !== region.textContent) region.textContent = text;
      }
    }
  }

  // Test and debugging hook: recompute every output in the browser without touching the page.
  window.xw = {
    renderAll: () =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        worker.postMessage({ type: "render_all", id });
      }),
  };

  for (const box of document.querySelectorAll("[data-xw-input]")) bindInput(box, change);
}

const SETTLE_MS = 500; // an input is settled when it has not changed for this long

// What a widget's value outputs say, in one line: "σ(x): 0.7311. Odds: 2.72".
function summary(widget) {
  const parts = [];
  for (const el of widget.querySelectorAll(".xw-value")) {
    const label = el.querySelector(".xw-label")?.textContent?.trim();
    const value = el.querySelector(".xw-result")?.textContent?.trim();
    if (value) parts.push(label ? `${label}: ${value}` : value);
  }
  return parts.join(". ");
}

function showStatus(statusEl, state, text) {
  document.documentElement.dataset.xwState = state;
  if (!statusEl) return;
  statusEl.hidden = false;
  statusEl.dataset.state = state;
  const shown = statusEl.querySelector(".xw-status-text");
  if (shown) shown.textContent = text;
}

// The first message to the worker: where everything it loads lives (docs/protocol.md).
function initMessage(data) {
  const url = (path) => new URL(path, location.href).href;
  return {
    type: "init",
    spec: url(data.xwSpec),
    shared: url(data.xwShared),
    indexURL: url(data.xwRuntime),
    snapshot: useSnapshot(data.xwSnapshot),
    integrity: data.xwIntegrity ? JSON.parse(data.xwIntegrity) : null,
  };
}

// Put the worker's results into their outputs: text, formula slots, or markup.
function applyResults(outputs, results) {
  for (const [id, result] of Object.entries(results)) {
    const el = outputs.get(id);
    if (!el) continue;
    const error = /** @type {HTMLElement} */ (el.querySelector(".xw-error"));
    if (!result.ok) {
      error.textContent = result.error;
      error.hidden = false;
      continue;
    }
    error.hidden = true;
    error.textContent = "";
    const target = /** @type {HTMLElement} */ (el.querySelector(".xw-result"));
    if (el.classList.contains("xw-formula")) {
      for (const slot of el.querySelectorAll("[data-slot]")) slot.textContent = result.value[Number(slot.getAttribute("data-slot"))];
      // What screen readers read of the formula states the new numbers too.
      const math = el.querySelector("math[data-xw-alt]");
      const template = math?.getAttribute("data-xw-alt");
      if (math && template) math.setAttribute("alttext", template.replace(/⟨(\d+)⟩/g, (_, k) => result.value[Number(k)] ?? "?"));
    } else if (el.classList.contains("xw-value")) {
      target.textContent = result.value;
    } else {
      target.innerHTML = result.value; // html, plot and table outputs: markup from Python
    }
  }
}

// The snapshot saves seconds of CPU but costs 6 MB more download: only worth it on a fast
// connection whose reader has not asked to save data (and where the browser says so).
function useSnapshot(url) {
  if (!url) return "";
  const connection = navigator.connection;
  if (connection && (connection.saveData || /(^|-)2g|3g/.test(connection.effectiveType))) return "";
  return new URL(url, location.href).href;
}

function decimals(step) {
  const text = String(step || "1");
  return text.includes(".") ? text.split(".")[1].length : 0;
}

function bindInput(box, change) {
  const name = box.dataset.xwInput;
  const type = box.dataset.xwType;
  if (type === "rows") return bindRows(box, name, change);
  const input = box.querySelector("input, select");
  if (type === "range") {
    const readout = box.querySelector("output");
    input.addEventListener("input", () => {
      readout.textContent = Number(input.value).toFixed(decimals(input.step));
      change(name, input.value);
    });
    if (input.dataset.xwKeyStep) bindKeyboardStep(input, Number(input.dataset.xwKeyStep));
  } else if (type === "number") {
    input.addEventListener("input", () => {
      if (input.value !== "" && input.checkValidity()) change(name, input.value);
    });
  } else if (type === "checkbox") {
    input.addEventListener("change", () => change(name, input.checked));
  } else {
    input.addEventListener("change", () => change(name, input.value));
  }
}

// A range whose step is fine (value precision) moves by a coarser keyboard step: arrows
// by one, Page Up/Down by ten; the value stays on the step grid.
function bindKeyboardStep(input, keyStep) {
  const moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
  input.addEventListener("keydown", (e) => {
    const by = moves[e.key];
    if (!by) return;
    e.preventDefault();
    const min = Number(input.min);
    const max = Number(input.max);
    const step = Number(input.step) || 1;
    const target = Math.min(max, Math.max(min, Number(input.value) + by * keyStep));
    const onGrid = min + Math.round((target - min) / step) * step;
    input.value = onGrid.toFixed(decimals(input.step));
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

function bindRows(box, name, change) {
  const body = box.querySelector("tbody");
  const rows = [...body.rows];
  const search = box.querySelector(".xw-rows-search");
  const count = box.querySelector(".xw-rows-count");
  // The build gave every row tabindex -1 and the chosen one 0 (roving tab stop).
  let chosen = rows.find((tr) => tr.tabIndex === 0) || rows[0];
  const table = box.querySelector("table");
  table.setAttribute("role", "grid");
  table.setAttribute("aria-readonly", "true");

  function choose(tr, focus) {
    if (!tr) return;
    if (chosen) {
      chosen.setAttribute("aria-selected", "false");
      chosen.tabIndex = -1;
    }
    chosen = tr;
    tr.setAttribute("aria-selected", "true");
    tr.tabIndex = 0;
    if (focus) tr.focus();
    change(name, tr.dataset.key);
  }
  body.addEventListener("click", (e) => choose(e.target.closest("tr"), true));
  body.addEventListener("focusin", (e) => {
    const tr = e.target.closest("tr");
    if (tr && tr !== chosen) choose(tr, false);
  });
  // Hovering previews a row; leaving the table returns to the chosen one.
  body.addEventListener("mouseover", (e) => {
    const tr = e.target.closest("tr");
    if (tr) change(name, tr.dataset.key, true);
  });
  body.addEventListener("mouseleave", () => chosen && change(name, chosen.dataset.key, true));
  body.addEventListener("keydown", (e) => {
    const visible = rows.filter((tr) => !tr.hidden);
    const at = visible.indexOf(chosen);
    const step = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 }[e.key];
    let next = null;
    if (step) next = visible[Math.min(Math.max(at + step, 0), visible.length - 1)];
    else if (e.key === "Home") next = visible[0];
    else if (e.key === "End") next = visible[visible.length - 1];
    if (next) {
      e.preventDefault();
      choose(next, true);
    }
  });
  search.hidden = false;
  count.hidden = false;
  const field = search.querySelector("input");
  const total = rows.length;
  field.addEventListener("input", () => {
    const needle = field.value.trim().toLowerCase();
    let shown = 0;
    for (const tr of rows) {
      tr.hidden = needle !== "" && !tr.textContent.toLowerCase().includes(needle);
      if (!tr.hidden) shown++;
    }
    count.textContent = needle ? `${shown} of ${total} rows match “${field.value.trim()}”` : "";
  });
}
