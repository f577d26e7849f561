// Main thread: owns the DOM. Starts the Python worker, sends input changes, applies results.
// Messages: docs/protocol.md. DOM contract (classes, data attributes): README, "Widget DOM".
// The page is complete before this runs; if anything here fails, it stays as built.

const MIN_TEXT_PX = 11; // the smallest text a drawing may show, in CSS pixels
const SCROLLERS = "pre, math, .table-scroll, .xw-display, div.xw-result";
// What a scrolling box is called, by its selector (a formula is named by its alttext).
const SCROLLER_NAMES = [
  ["pre", "Code"],
  [".table-scroll, .xw-display", "Table"],
  ["*", "Output"],
];

const article = document.querySelector("[data-xw-spec], [data-xw-answers]");
const readable = makeReadable();

// One closure holds the page's state (the worker, what it computes, what waits): the
// handlers below share it, which is why this function is longer than the others.
function start(article) {
  const root = document.documentElement;
  const answers = article.dataset.xwAnswers ? makeAnswers(JSON.parse(article.dataset.xwAnswers)) : null;
  const python = Boolean(article.dataset.xwSpec); // a page with runtime = "none" has none
  // Whether input NAME can move now: Python answers it, or tables answer all it changes.
  const canMove = (name) => ready || Boolean(answers?.answers(name));
  /** @type {HTMLElement | null} */
  const statusEl = document.querySelector(".xw-status");
  /** @type {Map<string, HTMLElement>} */
  const outputs = new Map();
  for (const el of document.querySelectorAll("[data-xw-output]")) {
    if (el instanceof HTMLElement) outputs.set(el.dataset.xwOutput || "", el);
  }
  const waiting = new Map(); // request id -> resolve, for renderAll()
  let worker = null;
  let ready = false;
  let starts = 0; // how many workers this page has started
  let limit = 5; // seconds one output may run (the spec's time_limit, sent with "ready")
  // Every input's latest value sent: what a restarted worker is given. No prototype, so
  // any Python name is a key of its own (an input called __proto__ or constructor too).
  const current = Object.create(null);
  const stopped = new Set(); // outputs the watchdog stopped, until the reader retries
  let lastSent = 0;
  let nextId = 1;
  let watchdog = 0;
  let busyTimer = 0;
  let standby = null; // {worker, ready}: a worker started in case this one must be stopped
  let standbyTimer = 0;
  let settleTimer = 0;
  const touched = new Set(); // outputs updated since the last announcement

  const setStatus = (state, text) => showStatus(statusEl, state, text);
  const fail = (text) => {
    ready = false;
    setStatus("error", answers ? `${text} The figures answered ahead still move.` : text);
    setInteractive(canMove, `Not interactive: ${text}`);
  };

  // A worker; its messages are handled once it is the page's worker. A standby (started
  // while an output runs long, so a stopped worker is replaced at once) keeps its "ready"
  // until then.
  function spawn() {
    const w = { worker: new Worker(article.dataset.xwWorker, { type: "module" }), ready: null };
    w.worker.onerror = (event) => {
      event.preventDefault();
      if (w.worker === worker) {
        fail(`Interactive figures stopped: the Python worker failed (${event.message || "unknown error"}).`);
      } else if (standby === w) {
        standby = null;
      }
    };
    w.worker.onmessage = ({ data }) => {
      if (w.worker === worker) handle(data);
      else if (data.type === "ready") w.ready = data;
      else if (data.type === "status" && data.state === "error" && standby === w) standby = null;
    };
    w.worker.postMessage(initMessage(article.dataset));
    return w;
  }

  function launch() {
    ready = false;
    starts++;
    try {
      worker = spawn().worker;
    } catch (err) {
      fail(`Interactive figures are unavailable: ${err.message || err}`);
    }
  }

  // Half way to the limit, start the worker that would replace this one.
  function prepareStandby() {
    if (standby) return;
    try {
      standby = spawn();
    } catch {
      standby = null;
    }
  }

  function dropStandby() {
    clearTimeout(standbyTimer);
    standby?.worker.terminate();
    standby = null;
  }

  function handle(msg) {
    if (msg.type === "status") {
      if (msg.state === "error") fail(`Interactive figures are unavailable: ${msg.message}`);
      else if (starts === 1) setStatus(msg.state, msg.message); // a restart keeps saying why
    } else if (msg.type === "ready") {
      clearTimeout(watchdog);
      ready = true;
      limit = msg.timeLimit || limit;
      if (starts === 1) {
        performance.mark("xw-ready");
        root.dataset.xwStartedFrom = msg.snapshot ? "snapshot" : "scratch";
        setStatus("ready", `Interactive: Python ${msg.python} is running in your browser.`);
      } else {
        setStatus("ready", `Interactive again: Python restarted after an output ran over ${limit} s.`);
      }
      setInteractive(canMove);
      if (starts === 1) {
        // What the tables answered before Python was ready, Python is told now.
        const changes = { ...current };
        const names = Object.keys(changes);
        const answered = answers ? answers.outputsOf(names).filter((id) => answers.lookup(id, current) !== undefined) : [];
        if (names.length) send(changes, answered);
        restore(false);
      }
      if (starts > 1) {
        // A new worker knows only the build's values: give it the reader's, then redo
        // every output the old one may have left half done (the stopped ones aside).
        const changes = { ...current };
        if (Object.keys(changes).length) send(changes);
        const redo = [...outputs.keys()].filter((id) => !stopped.has(id));
        worker.postMessage({ type: "compute", outputs: redo });
      }
    } else if (msg.type === "starting") {
      // The article's exec cells run now: they are watched like any output (three times
      // its limit: they are several), so a start that never ends says so and stops.
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        worker.terminate();
        fail(`Python stopped: the article's start-up code ran over ${3 * msg.timeLimit} s.`);
      }, 3000 * msg.timeLimit);
    } else if (msg.type === "progress") {
      if (!ready && starts === 1 && root.dataset.xwState === "loading") {
        const of = article.dataset.xwWeight ? ` of ${megabytes(Number(article.dataset.xwWeight))}` : "";
        setStatus("loading", `${answers ? "The figures answered ahead move now; l" : "L"}oading Python: ${megabytes(msg.bytes)}${of}…`);
      }
    } else if (msg.type === "computing") {
      clearTimeout(watchdog);
      clearTimeout(standbyTimer);
      watchdog = setTimeout(() => overran(msg.output), limit * 1000);
      standbyTimer = setTimeout(prepareStandby, limit * 500);
      busyTimer = setTimeout(() => {
        const el = outputs.get(msg.output);
        if (el) el.dataset.busy = "true";
      }, 1000);
    } else if (msg.type === "output") {
      clearTimeout(watchdog);
      clearTimeout(busyTimer);
      clearTimeout(standbyTimer);
      const el = outputs.get(msg.output);
      if (el) delete el.dataset.busy;
      if (!stopped.has(msg.output)) {
        // A table answers for the reader's latest values; Python's result may be older.
        const result = answers?.lookup(msg.output, current) ?? msg.result;
        applyResults(outputs, { [msg.output]: result });
        touched.add(msg.output);
      }
    } else if (msg.type === "idle") {
      dropStandby(); // nothing runs long any more
      if (msg.id === lastSent) finished();
    } else if (msg.type === "result") {
      if (waiting.has(msg.id)) {
        waiting.get(msg.id)(msg);
        waiting.delete(msg.id);
      } else if (msg.error) {
        setStatus("error", `Interactive figures hit an error: ${msg.error}`);
      }
    }
  }

  function finished() {
    delete root.dataset.xwPending;
    root.dataset.xwUpdates = String(Number(root.dataset.xwUpdates || 0) + 1);
  }

  // One output ran past the limit: stop its worker (the only way to stop Python there
  // without cross-origin isolation, which static hosts such as GitHub Pages can't turn
  // on), say so at the output, and start a new worker for the others.
  function overran(id) {
    stopped.add(id);
    const el = outputs.get(id);
    if (el) {
      delete el.dataset.busy;
      showStopped(el, `Stopped after ${limit} s: this output's Python ran too long.`, () => retry(id));
    }
    worker.terminate();
    setInteractive((name) => Boolean(answers?.answers(name)), "Restarting Python: an output ran too long…");
    setStatus("loading", `An output ran over ${limit} s and was stopped; restarting Python…`);
    clearTimeout(standbyTimer);
    const next = standby;
    standby = null;
    if (!next) {
      launch();
      return;
    }
    ready = false;
    starts++;
    worker = next.worker;
    if (next.ready) handle(next.ready); // started while the output ran: ready already
  }

  function retry(id) {
    stopped.delete(id);
    root.dataset.xwPending = "true";
    worker.postMessage({ type: "compute", outputs: [id] });
  }

  // *answered*: outputs a table answered already, which Python need not compute.
  function send(changes, answered = []) {
    lastSent = nextId++;
    Object.assign(current, changes);
    worker.postMessage({ type: "update", id: lastSent, changes, skip: [...stopped, ...answered] });
  }

  // The outputs that read one of *names*, answered from their tables for the current
  // values (the tables are fetched first when they are not in yet); returns those answered
  // at once.
  function answerAhead(names) {
    if (!answers) return [];
    const ids = answers.outputsOf(names);
    const answer = () => {
      const found = ids.flatMap((id) => {
        const result = answers.lookup(id, current);
        return result === undefined || stopped.has(id) ? [] : [[id, result]];
      });
      applyResults(outputs, Object.fromEntries(found));
      for (const [id] of found) touched.add(id);
      return found.map(([id]) => id);
    };
    const now = answer();
    if (now.length < ids.length) {
      const asked = lastSent;
      answers
        .load(names)
        .then(() => {
          answer();
          if (!ready && asked === lastSent) finished(); // Python is not there to say so
        })
        .catch((err) => {
          console.warn(`answers: ${err.message || err}`); // Python answers, once it is ready
          if (!ready && asked === lastSent) finished();
        });
    }
    return now;
  }

  // *preview*: a hover that shows a value without choosing it; never announced. The
  // worker takes in new values between two outputs, so every change goes at once.
  function change(name, value, preview = false) {
    if (!canMove(name)) return;
    root.dataset.xwPending = "true";
    if (!preview) {
      clearTimeout(settleTimer);
      settleTimer = setTimeout(announce, SETTLE_MS);
    }
    current[name] = value;
    if (!ready) lastSent = nextId++; // the tables' answers are this update
    const answered = answerAhead([name]);
    if (ready) send({ [name]: value }, answered);
    else if (answered.length === answers?.outputsOf([name]).length) finished();
  }

  // Once the reader's input has settled and its results are in, tell screen readers
  // once, per widget, what its value outputs now say.
  function announce() {
    if (root.dataset.xwPending) {
      settleTimer = setTimeout(announce, SETTLE_MS / 2);
      return;
    }
    remember();
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

  // The state of every input the reader changed is in the address (?z=1.5&pid=12), so a
  // link shares exactly what they see; each settled change is a step the back button
  // undoes. Other parameters of the address are kept.
  const inputNames = new Set(
    [...document.querySelectorAll("[data-xw-input]")].map((el) => /** @type {HTMLElement} */ (el).dataset.xwInput),
  );
  function remember() {
    const params = new URLSearchParams(location.search);
    for (const [name, value] of Object.entries(current)) params.set(name, String(value));
    const query = String(params);
    const search = query ? `?${query}` : "";
    if (search !== location.search) history.pushState(null, "", search + location.hash);
  }
  // From the address: when the page is ready, and on the back and forward buttons (then an
  // input the address doesn't name goes back to the build's value).
  // The address is the reader's (or whoever sent the link): a value its input cannot take
  // is ignored, the input keeping its own, and the address is left as it was written.
  function restore(all) {
    const params = new URLSearchParams(location.search);
    for (const name of inputNames) {
      const value = params.get(name || "");
      if ((value !== null || all) && canMove(name || "") && (value === null || acceptable(name || "", value))) {
        setInput(name || "", value);
      }
    }
  }
  function bindButtons() {
    for (const button of document.querySelectorAll(".xw-buttons button")) {
      const widget = button.closest(".xw-widget");
      button.addEventListener("click", () => {
        const preset = /** @type {HTMLElement} */ (button).dataset.xwSet;
        const values = preset ? JSON.parse(preset) : null;
        for (const box of widget?.querySelectorAll("[data-xw-input]") || []) {
          const name = /** @type {HTMLElement} */ (box).dataset.xwInput || "";
          if (values && !(name in values)) continue;
          setInput(name, values ? values[name] : null, box);
        }
      });
    }
  }

  // Test and debugging hook: recompute every output in the browser without touching the page.
  window.xw = {
    // Every output a table answers, for the values the inputs have now (tests compare
    // them with renderAll: the same program in the browser's Python).
    answered: async () => {
      if (!answers) return {};
      const ids = answers.outputsOf([...inputNames].map((n) => n || ""));
      await answers.load([...inputNames].map((n) => n || ""));
      return Object.fromEntries(ids.map((id) => [id, answers.lookup(id, current)]));
    },
    renderAll: () =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        worker.postMessage({ type: "render_all", id });
      }),
  };

  const weight = article.dataset.xwWeight ? ` (${megabytes(Number(article.dataset.xwWeight))})` : "";
  const load = () => {
    setInteractive(canMove, `Loading Python${weight} to make this figure interactive…`);
    setStatus("loading", answers ? `The figures answered ahead move now; loading Python${weight} for the rest…` : `Loading Python${weight} to make the figures interactive…`);
    launch();
  };
  for (const box of document.querySelectorAll("[data-xw-input]")) bindInput(box, change, canMove);
  if (answers) {
    // A table is fetched when the reader first reaches for one of its inputs: hovering or
    // focusing its widget, or an adjustable number in the text.
    const reach = (e) => {
      const from = /** @type {Element} */ (e.target).closest?.(".xw-widget, [data-xw-adjust]");
      if (!from) return;
      const names = from.matches("[data-xw-adjust]")
        ? [/** @type {HTMLElement} */ (from).dataset.xwAdjust || ""]
        : [...from.querySelectorAll("[data-xw-input]")].map((el) => /** @type {HTMLElement} */ (el).dataset.xwInput || "");
      answers.load(names).catch(() => {});
    };
    for (const type of ["pointerover", "focusin", "touchstart"]) document.addEventListener(type, reach, { passive: true });
    restore(false); // a shared link's values, where the tables can answer them
    // On a fast connection that is not saving data, the tables of the widgets on screen
    // (or about to be) are fetched when the browser is idle, so the first move is a lookup.
    if (!savingData() && "IntersectionObserver" in window) {
      const near = new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            if (!entry.isIntersecting) continue;
            near.unobserve(entry.target);
            const idle = window.requestIdleCallback || ((fn) => setTimeout(fn, 200));
            idle(() => reach({ target: entry.target }));
          }
        },
        { rootMargin: "25% 0px" },
      );
      for (const el of document.querySelectorAll(".xw-widget, [data-xw-adjust]")) near.observe(el);
    }
  }
  bindButtons();
  window.addEventListener("popstate", () => restore(true));
  for (const el of document.querySelectorAll("[data-xw-adjust]")) if (el instanceof HTMLElement) bindAdjustable(el);
  // The reader asked to save data, or the connection is slow: Python (megabytes) loads
  // only when asked for, by the button or by reaching for a figure; unless an earlier
  // visit loaded it here (its snapshot is saved, and its files are in the HTTP cache).
  const offer = () => {
    setInteractive(canMove, `Python${weight} is not loaded yet, to save data: use “Load Python” above, or click a figure.`);
    setStatus("static", answers ? "The figures answered ahead move; the others show the values they were built with." : "Figures show the values they were built with.");
    // Reaching for a figure loads Python only where a table does not answer it.
    const needs = (widget) => [...widget.querySelectorAll("[data-xw-input]")].some((el) => !canMove(/** @type {HTMLElement} */ (el).dataset.xwInput || ""));
    offerToLoad(statusEl, load, needs);
  };
  if (!python) {
    setInteractive(canMove, "This figure shows the values it was built with: this page loads no Python.");
    setStatus("static", "Interactive without Python: the figures answer from values computed when the site was built.");
  } else if (!savingData()) load();
  else loadedBefore(new URL(article.dataset.xwRuntime || "", location.href).href).then((before) => (before ? load() : offer()));
}

// Whether a snapshot of this runtime is saved (static/js/worker.js): Python was loaded here.
async function loadedBefore(runtimeURL) {
  try {
    const keys = await (await caches.open("xw-python-snapshots")).keys();
    return keys.some((request) => request.url.startsWith(runtimeURL));
  } catch {
    return false; // no Cache Storage (not a secure context)
  }
}

// A new element with *props* set as properties and *attrs* as attributes.
function make(tag, props = {}, attrs = {}) {
  const el = Object.assign(document.createElement(tag), props);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

// Whether the reader's browser says to spare the network (Save-Data, or a 2G/3G link).
function savingData() {
  const connection = navigator.connection;
  return Boolean(connection && (connection.saveData || /(^|-)2g|3g/.test(connection.effectiveType || "")));
}

// A "Load Python" button in the status line; the first click on a figure does the same.
function offerToLoad(statusEl, load, needs = (_widget) => true) {
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

// Inputs work only while Python can answer them, so that a readout never moves without
// its figure: before (and while Python restarts, or after it failed) they are disabled and
// each widget's note says why.
// *on*: true, false, or a function of an input's name (answers before Python: a table
// answers every output of some inputs, whose controls then work without Python).
function setInteractive(on, note = "") {
  const can = typeof on === "function" ? on : () => on;
  let all = true;
  for (const box of document.querySelectorAll("[data-xw-input]")) {
    const moves = can(/** @type {HTMLElement} */ (box).dataset.xwInput || "");
    all &&= moves;
    for (const control of box.querySelectorAll("input, select, button")) {
      if (control instanceof HTMLInputElement || control instanceof HTMLSelectElement || control instanceof HTMLButtonElement) control.disabled = !moves;
    }
  }
  for (const widget of document.querySelectorAll(".xw-widget")) {
    const names = [...widget.querySelectorAll("[data-xw-input]")].map((el) => /** @type {HTMLElement} */ (el).dataset.xwInput || "");
    const moves = names.every((name) => can(name));
    for (const button of widget.querySelectorAll(".xw-buttons button")) {
      const preset = /** @type {HTMLElement} */ (button).dataset.xwSet;
      const sets = preset ? Object.keys(JSON.parse(preset)) : names;
      /** @type {HTMLButtonElement} */ (button).disabled = !sets.every((name) => can(name));
    }
    const el = widget.querySelector(".xw-note");
    if (el instanceof HTMLElement) {
      el.hidden = moves;
      if (note) el.textContent = note;
    }
  }
  for (const el of document.querySelectorAll(".xw-adjust[role=slider]")) {
    el.setAttribute("aria-disabled", String(!can(/** @type {HTMLElement} */ (el).dataset.xwAdjust || "")));
  }
  document.documentElement.dataset.xwInteractive = String(all);
}

// A size in bytes as a reader reads it: "5.5 MB", "830 KB".
function megabytes(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

// An output the watchdog stopped: its error says so, with a button to compute it again.
function showStopped(el, text, retry) {
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
    snapshot: data.xwSnapshot ? data.xwSnapshot.split(" ") : null, // modules to import first
    stdlib: data.xwStdlib ? data.xwStdlib.split(" ").map(url) : null, // [core, rest] compiled
    integrity: data.xwIntegrity ? JSON.parse(data.xwIntegrity) : null,
    image: data.xwImage ? { url: url(data.xwImage), sha256: data.xwImageSha256 } : null,
    lock: data.xwLock ? url(data.xwLock) : "",
    packages: data.xwPackages ? url(data.xwPackages) : "",
  };
}

// Readable on any screen. A drawing (an SVG with a viewBox) scales to its column, and its
// text with it: on a phone a 560-unit plot shows 12 px labels at 7 px. Each text is kept
// at MIN_TEXT_PX or more on screen (the drawing scales, the text does not shrink below).
// A box that scrolls sideways (code, formula, wide table) becomes a named tab stop, so a
// keyboard can scroll it too. Both are measured by a ResizeObserver: nothing is laid out
// early, and a box is checked again whenever its width changes.
function makeReadable() {
  const observer = new ResizeObserver((entries) => {
    for (const { target, contentRect } of entries) {
      if (target instanceof SVGSVGElement) fitText(target, contentRect.width);
      else if (target instanceof HTMLElement || target instanceof MathMLElement) markScroller(target);
    }
  });
  const each = (root, fn) => {
    for (const el of root.querySelectorAll(`svg[viewBox], ${SCROLLERS}`)) fn(el);
  };
  return {
    watch: (root) => each(root, (el) => observer.observe(el)),
    forget: (root) => each(root, (el) => observer.unobserve(el)),
  };
}

function fitText(svg, width) {
  const box = svg.viewBox.baseVal;
  if (!box?.width || !width) return;
  // The drawing's own scale (preserveAspectRatio may fit it by its height instead).
  const scale = svg.getScreenCTM()?.a || width / box.width;
  for (const text of svg.querySelectorAll("text")) {
    if (!text.dataset.xwSize) text.dataset.xwSize = getComputedStyle(text).fontSize;
    const own = Number.parseFloat(text.dataset.xwSize);
    const size = Math.max(own, MIN_TEXT_PX / scale);
    text.style.fontSize = size > own ? `${Math.ceil(size * 100) / 100}px` : "";
  }
}

function markScroller(el) {
  const scrolls = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
  if (scrolls === (el.dataset.xwScrolls === "true")) return;
  el.dataset.xwScrolls = String(scrolls);
  if (scrolls) {
    el.tabIndex = 0;
    if (!el.hasAttribute("aria-label") && !(el instanceof MathMLElement)) {
      const [, kind] = SCROLLER_NAMES.find(([selector]) => el.matches(selector)) || ["", "Output"];
      if (!el.getAttribute("role")) el.setAttribute("role", "group");
      el.setAttribute("aria-label", `${kind} (scrolls sideways)`);
      el.dataset.xwNamed = "true";
    }
  } else {
    el.removeAttribute("tabindex");
    if (el.dataset.xwNamed) {
      el.removeAttribute("aria-label");
      if (el.getAttribute("role") === "group") el.removeAttribute("role");
      delete el.dataset.xwNamed;
    }
  }
}

// Put the worker's results into their outputs: text, formula slots, or markup.
function applyResults(outputs, results) {
  for (const [id, result] of Object.entries(results)) {
    const el = outputs.get(id);
    if (!el) continue;
    const error = /** @type {HTMLElement} */ (el.querySelector(".xw-error"));
    const target = /** @type {HTMLElement} */ (el.querySelector(".xw-result"));
    // A failed output shows its error, not the result of inputs the reader has left.
    target.hidden = !result.ok;
    if (!result.ok) {
      error.textContent = result.error;
      error.hidden = false;
      continue;
    }
    error.hidden = true;
    error.textContent = "";
    if (el.classList.contains("xw-formula")) {
      for (const slot of el.querySelectorAll("[data-slot]")) slot.textContent = result.value[Number(slot.getAttribute("data-slot"))];
      // What screen readers read of the formula states the new numbers too.
      const math = el.querySelector("math[data-xw-alt]");
      const template = math?.getAttribute("data-xw-alt");
      if (math && template) math.setAttribute("alttext", template.replace(/⟨(\d+)⟩/g, (_, k) => result.value[Number(k)] ?? "?"));
    } else if (el.classList.contains("xw-value")) {
      if (result.html) target.innerHTML = result.value; // markup from Python: a sparkline
      else target.textContent = result.value;
    } else {
      // A redrawn output keeps the keyboard where it was: a focused chart (moving its
      // handle with the arrow keys redraws it) is focused again once replaced.
      const focusable = () => [...target.querySelectorAll("[tabindex]")];
      const focused = target.contains(document.activeElement) ? focusable().indexOf(/** @type {Element} */ (document.activeElement)) : -1;
      readable.forget(target);
      target.innerHTML = result.value; // html, plot and table outputs: markup from Python
      readable.watch(target);
      if (focused >= 0) /** @type {HTMLElement | undefined} */ (focusable()[focused])?.focus({ preventScroll: true });
      highlightLinked();
    }
  }
}

// Python's format() for the specs a range readout may use (widgets.READOUT_FORMAT):
// [+][,][.N][f|e|%|d]. Rounding is JavaScript's (half away from zero on the decimal
// shown), which matches Python's for the values a slider's step grid produces.
function formatNumber(value, spec) {
  const m = /^(\+?)(,?)(?:\.(\d+))?([fe%d]?)$/.exec(spec);
  if (!m) return String(value);
  const [, plus, comma, digits, kind] = m;
  const places = digits === undefined ? 6 : Number(digits);
  let text;
  if (kind === "e") {
    text = value.toExponential(places).replace(/e([+-])(\d)$/, "e$10$2");
  } else {
    const scaled = kind === "%" ? value * 100 : value;
    text = kind === "d" ? String(Math.round(scaled)) : scaled.toFixed(kind || digits !== undefined ? places : 6);
    if (!kind && digits === undefined) text = String(scaled);
    if (comma) {
      const [whole, part] = text.split(".");
      text = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (part === undefined ? "" : `.${part}`);
    }
    if (kind === "%") text += "%";
  }
  return plus && value >= 0 ? `+${text}` : text;
}

function decimals(step) {
  const text = String(step || "1");
  return text.includes(".") ? text.split(".")[1].length : 0;
}

function bindInput(box, change, canMove) {
  const name = box.dataset.xwInput;
  const type = box.dataset.xwType;
  if (type === "rows") {
    bindRows(box, name, change, canMove).catch((err) => console.warn(`rows input ${name}: ${err.message || err}`));
    return;
  }
  if (type === "button") return bindPress(box, name, change);
  if (type === "radio") return bindRadio(box, name, change);
  const input = box.querySelector("input, select");
  if (type === "range") {
    const readout = box.querySelector("output");
    const spec = input.dataset.xwFormat || `.${decimals(input.step)}f`;
    input.addEventListener("input", () => {
      readout.textContent = formatNumber(Number(input.value), spec);
      change(name, input.value);
    });
    if (input.dataset.xwKeyStep) bindKeyboardStep(input, Number(input.dataset.xwKeyStep));
    const play = box.querySelector(".xw-play");
    if (play instanceof HTMLButtonElement) bindPlay(play, input);
  } else if (type === "number") {
    // An entry out of range or off the step changes nothing, and says why.
    const problem = make("span", { className: "xw-invalid", id: `${input.id}-problem`, hidden: true });
    input.after(problem);
    input.addEventListener("input", () => {
      const ok = input.value !== "" && input.checkValidity();
      problem.hidden = ok;
      problem.textContent = ok ? "" : `Not used: ${input.validationMessage || "not a number"}`;
      if (ok) input.removeAttribute("aria-invalid");
      else input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", problem.id);
      if (ok) change(name, input.value);
    });
  } else if (type === "checkbox" || type === "toggle") {
    input.addEventListener("change", () => change(name, input.checked));
  } else if (type === "text") {
    input.addEventListener("input", () => change(name, input.value));
  } else {
    input.addEventListener("change", () => change(name, input.value));
  }
  // Set from elsewhere (the address, a preset, Reset, the back button): detail is the
  // value, or null for the build's own. The control changes as if the reader moved it.
  box.addEventListener("xw-set", (e) => {
    const value = /** @type {CustomEvent} */ (e).detail;
    if (input instanceof HTMLInputElement && input.type === "checkbox") {
      const on = value === null ? input.defaultChecked : value === true || value === "true";
      if (on !== input.checked) {
        input.checked = on;
        input.dispatchEvent(new Event("change"));
      }
      return;
    }
    let text = String(value);
    if (value === null) {
      text = input instanceof HTMLSelectElement
        ? [...input.options].find((o) => o.defaultSelected)?.value ?? input.options[0]?.value ?? ""
        : input.defaultValue;
    }
    if (text === input.value) return;
    input.value = text;
    input.dispatchEvent(new Event(input instanceof HTMLSelectElement ? "change" : "input"));
  });
}

// A button input counts presses: its value is how many times it was pressed (an output
// that reads it recomputes on each press: "roll again", "add one").
function bindPress(box, name, change) {
  const button = /** @type {HTMLButtonElement} */ (box.querySelector("button"));
  const first = Number(button.dataset.xwCount || 0);
  let count = first;
  button.addEventListener("click", () => change(name, ++count));
  box.addEventListener("xw-set", (e) => {
    const value = /** @type {CustomEvent} */ (e).detail;
    const next = value === null ? first : Number(value);
    if (!Number.isInteger(next) || next < 0 || next === count) return;
    count = next;
    change(name, count);
  });
}

// Radio buttons: one choice of several, all visible (arrow keys move between them).
function bindRadio(box, name, change) {
  const radios = /** @type {HTMLInputElement[]} */ ([...box.querySelectorAll("input[type=radio]")]);
  for (const radio of radios) radio.addEventListener("change", () => radio.checked && change(name, radio.value));
  box.addEventListener("xw-set", (e) => {
    const value = /** @type {CustomEvent} */ (e).detail;
    const target = radios.find((r) => (value === null ? r.defaultChecked : r.value === String(value)));
    if (target && !target.checked) {
      target.checked = true;
      target.dispatchEvent(new Event("change"));
    }
  });
}

// Play on a range: the slider moves by itself, a step (play.step, or the keyboard step)
// every play.every ms (33: 30 updates a second), from where it is to the end, then stops
// or starts over (play.loop). The reader taking the slider, or the button again, pauses
// it. With reduced motion asked for, it moves by ten steps every 0.7 s instead.
function bindPlay(button, input) {
  const spec = JSON.parse(button.dataset.xwPlay || "{}");
  const reduced = matchMedia("(prefers-reduced-motion: reduce)").matches;
  const step = (spec.step || Number(input.dataset.xwKeyStep) || Number(input.step) || 1) * (reduced ? 10 : 1);
  const every = reduced ? 700 : spec.every || 33;
  let timer = 0;
  const stop = () => {
    clearInterval(timer);
    timer = 0;
    button.textContent = "Play";
    button.setAttribute("aria-pressed", "false");
  };
  const tick = () => {
    if (input.disabled) return stop();
    const [lo, hi] = [Number(input.min), Number(input.max)];
    let next = Number(input.value) + step;
    if (next > hi + 1e-12) {
      if (!spec.loop) {
        input.value = String(hi);
        input.dispatchEvent(new Event("input"));
        return stop();
      }
      next = lo;
    }
    input.value = String(snapToGrid(input, next));
    input.dispatchEvent(new Event("input"));
  };
  button.addEventListener("click", () => {
    if (timer) return stop();
    if (Number(input.value) >= Number(input.max)) input.value = input.min; // from the start again
    button.textContent = "Pause";
    button.setAttribute("aria-pressed", "true");
    tick();
    timer = setInterval(tick, every);
  });
  input.addEventListener("pointerdown", stop);
  input.addEventListener("keydown", stop);
}

// A number in the text bound to a range input ({input}`name`, Tangle's adjustable
// number): a WAI-ARIA slider (arrows by the keyboard step, Page Up/Down by ten, Home/End)
// that the reader can also drag sideways. It drives the widget's own control, so the two
// stay in step and every change takes the control's path to Python.
const ADJUST_DRAG_PX = 240; // dragging this far sideways crosses the whole range

function bindAdjustable(el) {
  const input = document.getElementById(`xw-in-${el.dataset.xwAdjust}`);
  if (!(input instanceof HTMLInputElement)) return;
  const label = document.querySelector(`label[for="${input.id}"]`)?.textContent?.trim() || input.name;
  const spec = input.dataset.xwFormat || `.${decimals(input.step)}f`;
  const [min, max] = [Number(input.min), Number(input.max)];
  const keyStep = Number(input.dataset.xwKeyStep) || Number(input.step) || 1;
  Object.assign(el, { tabIndex: 0, title: "Drag sideways, or use the arrow keys" });
  for (const [name, value] of Object.entries({ role: "slider", "aria-label": label, "aria-valuemin": min, "aria-valuemax": max, "aria-disabled": input.disabled })) {
    el.setAttribute(name, String(value));
  }
  const show = () => {
    const text = formatNumber(Number(input.value), spec);
    el.textContent = text;
    el.setAttribute("aria-valuenow", input.value);
    el.setAttribute("aria-valuetext", text);
  };
  const set = (value) => {
    if (input.disabled) return;
    const onGrid = snapToGrid(input, value);
    if (onGrid === input.value) return;
    input.value = onGrid;
    input.dispatchEvent(new Event("input", { bubbles: true })); // the readout, then Python
  };
  input.addEventListener("input", show);
  show();
  const moves = { ArrowRight: keyStep, ArrowUp: keyStep, ArrowLeft: -keyStep, ArrowDown: -keyStep, PageUp: 10 * keyStep, PageDown: -10 * keyStep };
  el.addEventListener("keydown", (e) => {
    const value = Number(input.value);
    const target = e.key === "Home" ? min : e.key === "End" ? max : e.key in moves ? value + moves[e.key] : null;
    if (target === null) return;
    e.preventDefault();
    set(target);
  });
  el.addEventListener("pointerdown", (e) => {
    if (input.disabled) return;
    const [x0, v0] = [e.clientX, Number(input.value)];
    el.setPointerCapture(e.pointerId);
    el.dataset.dragging = "true";
    const move = (m) => set(v0 + ((m.clientX - x0) / ADJUST_DRAG_PX) * (max - min));
    const end = () => {
      el.removeEventListener("pointermove", move);
      delete el.dataset.dragging;
    };
    el.addEventListener("pointermove", move);
    el.addEventListener("pointerup", end, { once: true });
    el.addEventListener("pointercancel", end, { once: true });
    e.preventDefault();
  });
}

// A range whose step is fine (value precision) moves by a coarser keyboard step: arrows
// by one, Page Up/Down by ten; the value stays on the step grid.
function bindKeyboardStep(input, keyStep) {
  const moves = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
  input.addEventListener("keydown", (e) => {
    const by = moves[e.key];
    if (!by) return;
    e.preventDefault();
    input.value = snapToGrid(input, Number(input.value) + by * keyStep);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

// *value* kept within a range's min and max and put on its step grid, as the input's text.
function snapToGrid(input, value) {
  const [min, max] = [Number(input.min), Number(input.max)];
  const step = Number(input.step) || 1;
  const clamped = Math.min(max, Math.max(min, value));
  return (min + Math.round((clamped - min) / step) * step).toFixed(decimals(input.step));
}

// A rows input becomes a listbox (WAI-ARIA Authoring Practices, single select, selection
// follows focus): one tab stop, the active row named by aria-activedescendant, arrows,
// Page Up/Down, Home/End, a search field. Only the rows near the viewport exist in the DOM
// (those in view and ROW_OVERSCAN either side, reused while scrolling), so 50,000 rows cost
// what 30 do.
// The build's plain table stays for print and for readers without JavaScript.
const ROW_OVERSCAN = 8;
const ROW_REMS = 2; // the height of an option, as .xw-rows-option sets it

async function bindRows(box, name, change, canMove) {
  const response = await fetch(box.dataset.xwRows);
  if (!response.ok) return; // the plain table stays
  const [first, ...chunks] = (await response.text()).split("\n");
  /** @type {{headings: string[], total: number}} */
  const { headings, total } = JSON.parse(first);
  const keys = [];
  const columns = headings.map(() => /** @type {string[]} */ ([]));
  const lower = []; // each row's text, lower case, for the search field
  for (const line of chunks) {
    await new Promise((resolve) => setTimeout(resolve)); // one chunk per task
    const chunk = JSON.parse(line);
    keys.push(...chunk.keys);
    for (const [c, values] of chunk.columns.entries()) columns[c].push(...values);
    for (let i = 0; i < chunk.keys.length; i++) lower.push(chunk.columns.map((c) => c[i]).join("\u0000").toLowerCase());
  }
  const label = box.querySelector("caption")?.textContent?.replace(/\s*\(.*\)$/, "") || name;
  const id = (i) => `xw-${name}-row-${i}`;

  const search = make("label", { className: "xw-rows-search" });
  const field = make("input", { placeholder: "name, age, …" }, { type: "search" });
  search.append("Search ", field);
  const list = make("div", { className: "xw-rows-list", tabIndex: 0 }, { role: "listbox", "aria-label": `${label} (${total} rows)` });
  const head = make("div", { className: "xw-rows-head xw-rows-line" }, { "aria-hidden": "true" });
  for (const h of headings) head.append(make("span", { textContent: h }));
  const canvas = make("div", { className: "xw-rows-canvas" }, { role: "none" });
  list.append(head, canvas);
  const count = make("p", { className: "xw-rows-count" }, { "aria-live": "polite" });
  box.append(search, list, count);
  box.classList.add("xw-rows-live");

  // Columns as wide as their longest text (within reason), in characters.
  const widths = columns.map((col, c) => {
    let most = headings[c].length;
    for (let i = 0; i < col.length; i += Math.ceil(col.length / 2000)) most = Math.max(most, col[i].length);
    return Math.min(most, 24) + 2;
  });
  list.style.setProperty("--xw-columns", widths.map((w) => `minmax(${w}ch, ${w}fr)`).join(" "));
  const wide = `${widths.reduce((a, b) => a + b, 0)}ch`;
  canvas.style.minWidth = wide;
  head.style.minWidth = wide;

  let view = keys.map((_, i) => i); // the rows the search lets through, in order
  const start = keys.findIndex((k) => String(k) === box.dataset.xwChosen);
  let chosen = Math.max(start, 0); // index into keys
  const pool = new Map(); // row index -> its option element, for the rows on screen
  // Every row is ROW_REMS tall (site.css): known without laying anything out.
  const rowHeight = ROW_REMS * Number.parseFloat(getComputedStyle(document.documentElement).fontSize);
  let frame = 0;

  function option(i) {
    const el = make("div", { className: "xw-rows-line xw-rows-option" }, { role: "option" });
    fill(el, i);
    return el;
  }

  function fill(el, i) {
    el.id = id(i);
    el.dataset.row = String(i);
    el.replaceChildren(...columns.map((c) => make("span", { textContent: c[i], title: c[i].length > 20 ? c[i] : "" })));
  }

  // Lay out the options in view (and the active one, which aria-activedescendant names).
  function draw() {
    frame = 0;
    canvas.style.height = `${view.length * rowHeight}px`;
    const top = list.scrollTop - head.offsetHeight;
    const first = Math.max(0, Math.floor(top / rowHeight) - ROW_OVERSCAN);
    const last = Math.min(view.length, Math.ceil((top + list.clientHeight) / rowHeight) + ROW_OVERSCAN);
    const wanted = new Map();
    for (let at = first; at < last; at++) wanted.set(view[at], at);
    const at = view.indexOf(chosen);
    if (at >= 0) wanted.set(chosen, at);
    const spare = [];
    for (const [i, el] of pool) {
      if (!wanted.has(i)) {
        pool.delete(i);
        spare.push(el);
      }
    }
    for (const [i, position] of wanted) {
      let el = pool.get(i);
      if (!el) {
        el = spare.pop() || option(i);
        fill(el, i);
        pool.set(i, el);
        if (!el.isConnected) canvas.append(el);
      }
      el.style.transform = `translateY(${position * rowHeight}px)`;
      el.setAttribute("aria-posinset", String(position + 1));
      el.setAttribute("aria-setsize", String(view.length));
      el.setAttribute("aria-selected", String(i === chosen));
    }
    for (const el of spare) el.remove();
    if (at >= 0) list.setAttribute("aria-activedescendant", id(chosen));
    else list.removeAttribute("aria-activedescendant");
  }
  const redraw = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };

  // Scroll so that the row at *position* shows below the sticky headings.
  function reveal(position) {
    const top = position * rowHeight;
    const bottom = head.offsetHeight + top + rowHeight;
    if (top < list.scrollTop) list.scrollTop = top;
    else if (bottom > list.scrollTop + list.clientHeight) list.scrollTop = bottom - list.clientHeight;
  }

  function choose(i) {
    if (i === undefined || i === null || !canMove(name)) return;
    chosen = i;
    const at = view.indexOf(i);
    if (at >= 0) reveal(at);
    draw();
    change(name, String(keys[i]));
    linkRow(name, String(keys[i]));
    // The plain table (what prints) marks the same row, when its page holds it.
    for (const tr of box.querySelectorAll(".xw-chosen")) tr.classList.remove("xw-chosen");
    box.querySelector(`tr[data-key="${CSS.escape(String(keys[i]))}"]`)?.classList.add("xw-chosen");
  }

  box.addEventListener("xw-set", (e) => {
    const value = /** @type {CustomEvent} */ (e).detail;
    const key = value === null ? box.dataset.xwChosen : String(value);
    const i = keys.findIndex((k) => String(k) === key);
    if (i >= 0 && i !== chosen) choose(i);
  });

  const rowAt = (target) => {
    const el = target instanceof Element ? target.closest(".xw-rows-option") : null;
    return el ? Number(/** @type {HTMLElement} */ (el).dataset.row) : null;
  };
  list.addEventListener("scroll", redraw, { passive: true });
  list.addEventListener("click", (e) => {
    const i = rowAt(e.target);
    if (i !== null) {
      list.focus();
      choose(i);
    }
  });
  // Hovering previews a row; leaving the list returns to the chosen one.
  list.addEventListener("mouseover", (e) => {
    const i = rowAt(e.target);
    if (i === null) return;
    change(name, String(keys[i]), true);
    linkRow(name, String(keys[i])); // a linked chart marks the hovered row's point too
  });
  list.addEventListener("mouseleave", () => {
    change(name, String(keys[chosen]), true);
    linkRow(name, String(keys[chosen]));
  });
  list.addEventListener("keydown", (e) => {
    if (view.length === 0) return;
    const page = Math.max(1, Math.floor(list.clientHeight / rowHeight) - 1);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    const at = view.indexOf(chosen);
    let next = null;
    if (e.key in moves) next = at < 0 ? 0 : Math.min(Math.max(at + moves[e.key], 0), view.length - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = view.length - 1;
    if (next === null) return;
    e.preventDefault();
    choose(view[next]);
  });
  field.addEventListener("input", () => {
    const needle = field.value.trim().toLowerCase();
    view = [];
    for (let i = 0; i < total; i++) if (!needle || lower[i].includes(needle)) view.push(i);
    count.textContent = needle ? `${view.length} of ${total} rows match “${field.value.trim()}”` : "";
    list.scrollTop = 0;
    draw();
  });
  new ResizeObserver(redraw).observe(list);
  const at = view.indexOf(chosen);
  draw();
  reveal(at);
  draw();
  box.dataset.xwReady = "true";
  linkRow(name, String(keys[chosen]));
  // The address may name a row (a shared link); the page's restore may have come first.
  const wanted = new URLSearchParams(location.search).get(name);
  if (wanted !== null && canMove(name)) setInput(name, wanted, box);
}

// Whether input NAME's control can take *value* (text from the address) as it is.
function acceptable(name, value) {
  const box = /** @type {HTMLElement | undefined} */ (inputBoxes(name)[0]);
  const type = box?.dataset.xwType;
  const control = box?.querySelector("input, select");
  if (!box) return false;
  if (type === "range" || type === "number") {
    const input = /** @type {HTMLInputElement} */ (control);
    const n = Number(value);
    const [min, max] = [input.min === "" ? -Infinity : Number(input.min), input.max === "" ? Infinity : Number(input.max)];
    return value.trim() !== "" && Number.isFinite(n) && n >= min && n <= max;
  }
  if (type === "select") return [...(/** @type {HTMLSelectElement} */ (control)).options].some((o) => o.value === value);
  if (type === "radio") return [...box.querySelectorAll("input[type=radio]")].some((r) => /** @type {HTMLInputElement} */ (r).value === value);
  if (type === "checkbox" || type === "toggle") return value === "true" || value === "false";
  if (type === "button") return /^\d{1,9}$/.test(value);
  return true; // text, and rows (a key no row has changes nothing)
}

// The controls of input NAME (more than one when it is placed in several widgets).
const inputBoxes = (name) => document.querySelectorAll(`[data-xw-input="${CSS.escape(name)}"]`);
// Set an input as if the reader moved it (null: back to the build's value); its first
// control unless *box* says which.
function setInput(name, value, box = inputBoxes(name)[0]) {
  box?.dispatchEvent(new CustomEvent("xw-set", { detail: value }));
}

// A chart's points (runtime/charts.py): the circles of a scatter or point mark are one
// path per colour, each circle "M(cx - r) cy a r …" in its d, with their tooltips and keys
// as JSON lists in the same order (data-xw-tips, data-xw-keys); other marks with a
// tooltip (bars, a handle) are elements with data-xw-tip. Read once per drawn chart, in
// order of x: a redraw replaces the svg, and with it this list.
/** @typedef {{x: number, y: number, r: number, tip: string, key: string | null, color: string, el: Element | null}} ChartPoint */
/** @type {WeakMap<Element, ChartPoint[]>} */
const chartPoints = new WeakMap();
function pointsOf(svg) {
  let all = chartPoints.get(svg);
  if (all) return all;
  all = [];
  for (const path of svg.querySelectorAll("path[data-xw-tips]")) {
    const tips = JSON.parse(path.getAttribute("data-xw-tips") || "[]");
    const keys = JSON.parse(path.getAttribute("data-xw-keys") || "null");
    const color = [...path.classList].find((c) => c.startsWith("xw-c")) || "";
    const arcs = (path.getAttribute("d") || "").matchAll(/M(-?[\d.]+) (-?[\d.]+)a([\d.]+) /g);
    for (const [i, m] of [...arcs].entries()) {
      const r = Number(m[3]);
      all.push({ x: Number(m[1]) + r, y: Number(m[2]), r, tip: tips[i] ?? "", key: keys?.[i] ?? null, color, el: null });
    }
  }
  for (const el of svg.querySelectorAll("[data-xw-tip]:not(.xw-mark)")) {
    const box = /** @type {SVGGraphicsElement} */ (el).getBBox();
    all.push({ x: box.x + box.width / 2, y: box.y, r: 0, tip: el.getAttribute("data-xw-tip") || "", key: el.getAttribute("data-xw-key"), color: "", el });
  }
  all.sort((a, b) => a.x - b.x);
  chartPoints.set(svg, all);
  return all;
}
// The point under the pointer: an element under it, or the nearest circle it is on.
function pointAt(svg, e) {
  const target = /** @type {Element} */ (e.target);
  const el = target.closest?.("[data-xw-tip]");
  if (el) return pointsOf(svg).find((p) => p.el === el) || null;
  if (!target.matches?.("path[data-xw-tips]")) return null;
  const matrix = svg.getScreenCTM();
  if (!matrix) return null;
  const at = new DOMPoint(e.clientX, e.clientY).matrixTransform(matrix.inverse());
  let best = null;
  let nearest = Infinity;
  for (const p of pointsOf(svg)) {
    const d = Math.hypot(p.x - at.x, p.y - at.y);
    if (!p.el && d <= p.r + 1 && d < nearest) [best, nearest] = [p, d];
  }
  return best;
}
// Marks a point as shown (xw-active) or linked (xw-linked): an element takes the class; a
// circle of a path gets a circle of its own above it (.xw-mark, carrying its tip and key).
function markPoint(svg, point, cls) {
  for (const old of svg.querySelectorAll(`.${cls}`)) {
    if (old.classList.contains("xw-mark")) old.remove();
    else old.classList.remove(cls);
  }
  if (!point) return;
  if (point.el) return point.el.classList.add(cls);
  const mark = document.createElementNS("http://www.w3.org/2000/svg", "circle");
  mark.setAttribute("class", `xw-mark ${cls} ${point.color}`);
  for (const [name, value] of [["cx", point.x], ["cy", point.y], ["r", point.r]]) mark.setAttribute(name, String(value));
  mark.setAttribute("data-xw-tip", point.tip);
  if (point.key !== null) mark.setAttribute("data-xw-key", point.key);
  svg.append(mark);
}

// Linked highlighting: a chart whose points carry a rows input's keys (link: NAME) marks
// the point of the row chosen there (.xw-linked); choosing a point (a click, or Enter on
// the point the arrow keys reached) chooses its row.
/** @type {Map<string, string>} rows input name -> its chosen key */
const linkedRows = new Map();
function linkRow(name, key) {
  linkedRows.set(name, key);
  highlightLinked();
}
function highlightLinked() {
  for (const svg of document.querySelectorAll("svg.xw-chart[data-xw-link]")) {
    const key = linkedRows.get(svg.getAttribute("data-xw-link") || "");
    markPoint(svg, key === undefined ? null : pointsOf(svg).find((p) => p.key === key), "xw-linked");
  }
}
function chooseLinked(svg, point) {
  const name = svg.getAttribute("data-xw-link");
  if (!name || point?.key === null || point?.key === undefined) return;
  setInput(name, point.key);
}
document.addEventListener("click", (e) => {
  const svg = /** @type {Element} */ (e.target).closest?.("svg.xw-chart[data-xw-link]");
  if (svg) chooseLinked(svg, pointAt(svg, e));
});

// One input placed in several widgets (name: same): when one of its controls moves, the
// others follow (xw-set changes a control only when its value differs, so this ends).
function syncCopies(e) {
  const control = /** @type {Element} */ (e.target);
  const box = control.closest?.("[data-xw-input]");
  if (!(box instanceof HTMLElement) || box.dataset.xwType === "rows" || box.dataset.xwType === "button") return;
  const others = [...inputBoxes(box.dataset.xwInput || "")];
  if (others.length < 2) return;
  let value = null;
  if (control instanceof HTMLInputElement && control.type === "checkbox") value = control.checked;
  else if (control instanceof HTMLInputElement && control.type === "radio") value = control.checked ? control.value : null;
  else if (control instanceof HTMLInputElement || control instanceof HTMLSelectElement) value = control.value;
  if (value === null) return;
  for (const other of others) if (other !== box) setInput("", value, other);
}
document.addEventListener("input", syncCopies);
document.addEventListener("change", syncCopies);

// Direct manipulation: a chart's drag handle (runtime/charts.py) is bound to one or two
// range/number inputs. Dragging it turns the pointer's position back into values with the
// chart's scales (data-xw-scales) and sets the inputs, snapped to their grid; Python then
// redraws the chart with the handle where the values are. The chart redraws under the
// pointer, so the drag is followed on the document, not on the handle.
function toValue(scale, px) {
  const [kind, lo, hi, start, end] = scale;
  const t = (px - start) / (end - start);
  return kind === "log" ? 10 ** (Math.log10(lo) + t * (Math.log10(hi) - Math.log10(lo))) : lo + t * (hi - lo);
}
function setBound(name, value) {
  if (!name) return;
  const input = inputBoxes(name)[0]?.querySelector("input");
  if (!(input instanceof HTMLInputElement) || input.disabled) return;
  setInput(name, snapToGrid(input, value));
}
function stepBound(name, direction) {
  const input = inputBoxes(name || "")[0]?.querySelector("input");
  if (!(input instanceof HTMLInputElement)) return;
  const step = Number(input.dataset.xwKeyStep) || Number(input.step) || 1;
  setBound(name || "", Number(input.value) + direction * step);
}
document.addEventListener("pointerdown", (e) => {
  const handle = /** @type {Element} */ (e.target).closest?.("svg.xw-chart .handle");
  const box = handle?.closest(".xw-result");
  if (!handle || !box) return;
  e.preventDefault();
  const bindX = handle.getAttribute("data-xw-bind-x");
  const bindY = handle.getAttribute("data-xw-bind-y");
  const move = (/** @type {PointerEvent} */ ev) => {
    const svg = box.querySelector("svg.xw-chart[data-xw-scales]");
    const matrix = svg instanceof SVGSVGElement ? svg.getScreenCTM() : null;
    if (!svg || !matrix) return;
    const scales = JSON.parse(svg.getAttribute("data-xw-scales") || "{}");
    const at = new DOMPoint(ev.clientX, ev.clientY).matrixTransform(matrix.inverse());
    setBound(bindX || "", toValue(scales.x, at.x));
    setBound(bindY || "", toValue(scales.y, at.y));
  };
  const end = () => {
    document.removeEventListener("pointermove", move);
    document.removeEventListener("pointerup", end);
    document.removeEventListener("pointercancel", end);
    box.removeAttribute("data-dragging");
  };
  box.setAttribute("data-dragging", "true");
  document.addEventListener("pointermove", move);
  document.addEventListener("pointerup", end);
  document.addEventListener("pointercancel", end);
});

// Tooltips on a chart's points and bars (pointsOf): on hover, and from the keyboard, a
// chart being one tab stop whose arrow keys walk its points in order of x (Home/End:
// first/last, Escape: hide). The tip is a live region, so a screen reader says it.
// Listeners sit on the document: outputs are redrawn in place.
function bindChartTips() {
  /** @type {WeakMap<Element, ChartPoint>} */
  const shown = new WeakMap();
  const tipOf = (svg) => {
    const box = svg.closest(".xw-result") || svg.parentElement;
    if (!box) return null;
    let tip = box.querySelector(":scope > .xw-tip");
    if (!tip) {
      box.classList.add("xw-chart-box");
      tip = make("div", { className: "xw-tip", hidden: true }, { "aria-live": "polite" });
      box.append(tip);
    }
    return tip;
  };
  const show = (svg, point) => {
    if (point === (shown.get(svg) || null)) return;
    markPoint(svg, point, "xw-active");
    const tip = tipOf(svg);
    const matrix = svg.getScreenCTM();
    if (!tip || !point || !matrix) {
      shown.delete(svg);
      if (tip) tip.hidden = true;
      return;
    }
    shown.set(svg, point);
    const box = /** @type {HTMLElement} */ (tip.parentElement).getBoundingClientRect();
    const at = new DOMPoint(point.x, point.y - point.r).matrixTransform(matrix);
    tip.textContent = point.tip;
    tip.hidden = false;
    // Centred above the point, kept inside the output's box.
    const half = tip.offsetWidth / 2;
    const x = Math.min(Math.max(at.x - box.left, half), Math.max(half, box.width - half));
    tip.style.left = `${x}px`;
    tip.style.top = `${at.y - box.top}px`;
  };
  // pointerover and pointerdown too: a tap on a phone moves no pointer.
  for (const type of ["pointerover", "pointermove", "pointerdown"]) {
    document.addEventListener(type, (e) => {
      const svg = /** @type {Element} */ (e.target).closest?.("svg.xw-chart");
      if (svg) show(svg, pointAt(svg, /** @type {PointerEvent} */ (e)));
    });
  }
  document.addEventListener("pointerout", (e) => {
    const target = /** @type {Element} */ (e.target);
    const svg = target.closest?.("svg.xw-chart");
    // A finger leaves when it lifts: a tapped point's tip stays until the next tap.
    if (svg && e.pointerType !== "touch" && !svg.contains(/** @type {Node} */ (e.relatedTarget))) show(svg, null);
  });
  document.addEventListener("pointerdown", (e) => {
    for (const svg of document.querySelectorAll("svg.xw-chart")) {
      if (shown.has(svg) && !svg.contains(/** @type {Node} */ (e.target))) show(svg, null);
    }
  });
  document.addEventListener("keydown", (e) => {
    const svg = /** @type {Element} */ (e.target).closest?.("svg.xw-chart");
    if (!svg) return;
    const handle = svg.querySelector(".handle");
    const arrows = { ArrowRight: ["x", 1], ArrowLeft: ["x", -1], ArrowUp: ["y", 1], ArrowDown: ["y", -1] };
    if (handle && e.key in arrows) {
      // A chart with a handle: the arrow keys move it (by its inputs' keyboard steps).
      const [axis, direction] = arrows[e.key];
      const name = handle.getAttribute(`data-xw-bind-${axis}`);
      if (!name) return;
      e.preventDefault();
      return stepBound(name, direction);
    }
    const all = pointsOf(svg);
    if (!all.length) return;
    const current = all.indexOf(/** @type {ChartPoint} */ (shown.get(svg)));
    const moves = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 };
    let next = null;
    if (e.key in moves) next = current < 0 ? 0 : Math.min(Math.max(current + moves[e.key], 0), all.length - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = all.length - 1;
    else if (e.key === "Escape") return show(svg, null);
    else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      return chooseLinked(svg, shown.get(svg));
    }
    if (next === null) return;
    e.preventDefault();
    show(svg, all[next]);
  });
  document.addEventListener("focusout", (e) => {
    const svg = /** @type {Element} */ (e.target).closest?.("svg.xw-chart");
    if (svg) show(svg, null);
  });
}

// Answers before Python (site_builder/answers.py): the build computed every output whose
// inputs have a small, finite space for each combination of their values, in tables
// beside the page (outputs that read the same inputs share one). *spec* is the page's
// data-xw-answers: each file's address and the inputs it is indexed by, each output's
// file, and the inputs whose every output a table answers. A file is fetched the first
// time the reader reaches for one of its inputs (or the address names one); an answer is
// then a lookup and a join.
function makeAnswers(spec) {
  /** @type {Promise<any>[]} */
  const fetching = [];
  /** @type {any[]} */
  const tables = [];
  const ready = new Set(spec.inputs);
  const filesOf = (name) => spec.deps.flatMap((deps, k) => (deps.includes(name) ? [k] : []));
  const load = (k) => {
    fetching[k] ||= fetch(spec.files[k])
      .then((response) => {
        if (!response.ok) throw new Error(`${spec.files[k]} answered ${response.status}`);
        return response.json();
      })
      .then((data) => {
        tables[k] = readTable(data);
        return tables[k];
      });
    return fetching[k];
  };
  return {
    /** Whether every output that reads input *name* is answered by a table. */
    answers: (name) => ready.has(name),
    /** Whether output *id* has a table. */
    has: (id) => id in spec.outputs,
    /** The outputs with a table that read one of *names*. */
    outputsOf: (names) => Object.keys(spec.outputs).filter((id) => spec.deps[spec.outputs[id]].some((d) => names.includes(d))),
    /** Fetch the tables indexed by one of *names*; resolves when they are in. */
    load: (names) => Promise.all([...new Set(names.flatMap(filesOf))].map(load)),
    /** Output *id*'s result for the inputs' *values* (name -> value as the page sends it),
     * or undefined: no table, not fetched yet, or values it does not hold. */
    lookup(id, values) {
      const table = tables[spec.outputs[id]];
      return table ? table.result(id, values) : undefined;
    },
  };
}

// One table file (answers.files): its inputs' spaces and its outputs' entries.
function readTable(data) {
  const spaces = new Map();
  for (const [name, domain] of Object.entries(data.inputs)) {
    if (domain.grid) {
      const [min, step, count] = domain.grid;
      spaces.set(name, { count, first: domain.first, at: (v) => gridIndex(Number(v), min, step, count) });
    } else {
      const keys = new Map(domain.keys.map((key, i) => [String(key), i]));
      spaces.set(name, { count: domain.keys.length, first: domain.first, at: (v) => keys.get(String(v)) });
    }
  }
  const outputs = new Map(Object.entries(data.outputs).map(([id, table]) => [id, readEntries(table)]));
  const deps = Object.keys(data.inputs);
  return {
    result(id, values) {
      const entries = outputs.get(id);
      if (!entries) return undefined;
      let combination = 0;
      for (const name of deps) {
        const space = spaces.get(name);
        const k = name in values ? space.at(values[name]) : space.first; // not moved yet
        if (k === undefined) return undefined;
        combination = combination * space.count + k;
      }
      return entries(combination);
    },
  };
}

// The position of *value* on the grid min + k * step, or undefined when it is off it.
function gridIndex(value, min, step, count) {
  const k = Math.round((value - min) / step);
  if (!Number.isFinite(value) || Object.is(value, -0) || k < 0 || k >= count) return undefined;
  return Math.abs(min + k * step - value) <= Math.abs(step) * 1e-6 ? k : undefined;
}

// One output's entries (answers.encode_results): returns combination -> its result.
function readEntries(table) {
  const index = new Int32Array(table.i.length);
  let entry = -1;
  for (let c = 0; c < table.i.length; c++) index[c] = entry += table.i[c] + 1;
  const groups = [];
  let first = 0;
  for (const group of table.g) {
    groups.push({ first, group, columns: null });
    first += group.n;
  }
  const texts = new Map(); // entries already joined, by number
  const text = (n) => {
    let found = texts.get(n);
    if (found !== undefined) return found;
    let at = null;
    for (const g of groups) if (g.first <= n) at = g;
    if (!at) return "";
    const { group } = at;
    if (group.d) {
      const [base, prefix, suffix, middle] = group.d;
      const whole = base >= 0 ? text(base) : "";
      found = whole.slice(0, prefix) + middle + whole.slice(whole.length - suffix);
    } else {
      at.columns ||= group.c.map((column) => columnValues(column, group.c));
      const row = n - at.first;
      let c = 0;
      found = group.t.map((part) => (part === null ? at.columns[c++][row] : part)).join("");
    }
    if (texts.size > 64) texts.clear(); // a bounded memory of recent entries
    texts.set(n, found);
    return found;
  };
  return (combination) => (combination < index.length ? JSON.parse(text(index[combination])) : undefined);
}

// A column of tokens as its texts (answers._column): numbers written with d decimals
// ("n") or with trailing zeros dropped ("z") as steps between them, few distinct texts
// ("k"), plain texts ("s"), or another column of the group ("r").
function columnValues(column, all) {
  const [kind, a, b] = column;
  if (kind === "r") return columnValues(all[a], all);
  if (kind === "k") return b.map((k) => a[k]);
  if (kind === "s") return a;
  let n = 0;
  return b.map((step) => {
    n += step;
    return fixedText(n, a, kind === "z");
  });
}

// The number n / 10**places with *places* decimals, as text (answers._fixed).
function fixedText(n, places, strip) {
  const digits = String(Math.abs(n)).padStart(places + 1, "0");
  let text = places ? `${digits.slice(0, -places)}.${digits.slice(-places)}` : digits;
  if (strip && places) text = text.replace(/\.?0+$/, "");
  return (n < 0 ? "-" : "") + text;
}

// Started last, once every constant of this module is defined.
readable.watch(document);
bindChartTips();
if (article) start(article);
