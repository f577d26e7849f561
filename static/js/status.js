// What the page says about its Python: the status line, the offer to load it, a stopped
// output, the first message to the worker.

import { make } from "./dom.js";

// Whether a snapshot of this runtime is saved (static/js/worker.js): Python was loaded here.
export async function loadedBefore(runtimeURL) {
  try {
    const keys = await (await caches.open("xw-python-snapshots")).keys();
    return keys.some((request) => request.url.startsWith(runtimeURL));
  } catch {
    return false; // no Cache Storage (not a secure context)
  }
}

// Whether the reader's browser says to spare the network (Save-Data, or a 2G/3G link).
export function savingData() {
  const connection = navigator.connection;
  return Boolean(connection && (connection.saveData || /(^|-)2g|3g/.test(connection.effectiveType || "")));
}

// A "Load Python" button in the status line; the first click on a figure does the same.
export function offerToLoad(statusEl, load, needs = (_widget) => true) {
  const button = make("button", { className: "xw-load", textContent: "Load Python" }, { type: "button" });
  let started = false;
  const go = () => {
    if (started) return;
    started = true;
    button.remove();
    load();
  };
  button.addEventListener("click", go);
  statusEl?.append(" ", button);
  for (const widget of document.querySelectorAll(".xw-widget")) if (needs(widget)) widget.addEventListener("pointerdown", go, { once: true });
}

// An output the watchdog stopped: its error says so, with a button to compute it again.
export function showStopped(el, text, retry) {
  const error = /** @type {HTMLElement} */ (el.querySelector(".xw-error"));
  /** @type {HTMLElement} */ (el.querySelector(".xw-result")).hidden = true; // stale now
  error.textContent = text;
  error.hidden = false;
  let button = el.querySelector(".xw-retry");
  if (!button) {
    button = make("button", { className: "xw-retry", textContent: "Try again" }, { type: "button" });
    error.after(button);
  }
  button.hidden = false;
  button.onclick = () => {
    /** @type {HTMLElement} */ (button).hidden = true;
    error.hidden = true;
    retry();
  };
}

export const SETTLE_MS = 500; // an input is settled when it has not changed for this long

// What a widget's value outputs say, in one line: "σ(x): 0.7311. Odds: 2.72".
export function summary(widget) {
  const parts = [];
  for (const el of widget.querySelectorAll(".xw-value")) {
    const label = el.querySelector(".xw-label")?.textContent?.trim();
    const value = el.querySelector(".xw-result")?.textContent?.trim();
    if (value) parts.push(label ? `${label}: ${value}` : value);
  }
  return parts.join(". ");
}

export function showStatus(statusEl, state, text) {
  document.documentElement.dataset.xwState = state;
  if (!statusEl) return;
  statusEl.hidden = false;
  statusEl.dataset.state = state;
  const shown = statusEl.querySelector(".xw-status-text");
  if (shown) shown.textContent = text;
}

// The first message to the worker: where everything it loads lives (docs/protocol.md).
export function initMessage(data) {
  const url = (path) => new URL(path, location.href).href;
  return {
    type: "init",
    spec: url(data.xwSpec),
    shared: url(data.xwShared),
    indexURL: url(data.xwRuntime),
    snapshot: data.xwSnapshot ? data.xwSnapshot.split(" ") : null, // modules to import first
    stdlib: data.xwStdlib ? data.xwStdlib.split(" ").map(url) : null, // [core, rest] compiled
    integrity: data.xwIntegrity ? JSON.parse(data.xwIntegrity) : null,
    image: data.xwImage ? { url: url(data.xwImage), sha256: data.xwImageSha256 } : null,
    lock: data.xwLock ? url(data.xwLock) : "",
    packages: data.xwPackages ? url(data.xwPackages) : "",
  };
}
