// The page script's entry (an ES module; the build gives each module a content-hashed name
// and rewrites the imports): it makes the page readable, binds chart tooltips and, on a
// page with widgets, starts the session with its Python worker. Messages:
// docs/protocol.md. The markup it reads: site_builder/dom.py. The page is complete
// before this runs; if anything here fails, it stays as built.
//
// Modules, by job: status.js (what the page says of its Python), controls.js and rows.js
// (inputs), charts.js (tooltips, drag, linked points), outputs.js (results into outputs),
// answers.js (answers before Python), readable.js (legible drawings, scrollable boxes),
// numbers.js and dom.js (helpers).

import { makeAnswers } from "./answers.js";
import { bindChartTips } from "./charts.js";
import { acceptable, bindAdjustable, bindInput, setInteractive } from "./controls.js";
import { megabytes, setInput } from "./dom.js";
import { applyResults } from "./outputs.js";
import { readable } from "./readable.js";
import { SETTLE_MS, initMessage, loadedBefore, offerToLoad, savingData, showStatus, showStopped, summary } from "./status.js";

const article = document.querySelector("[data-xw-spec], [data-xw-answers]");

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

// Started last, once every constant of this module is defined.
readable.watch(document);
bindChartTips();
if (article) start(article);
