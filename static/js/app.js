// The page script's entry (an ES module; the build gives each module a content-hashed name
// and rewrites the imports): it makes the page readable, binds chart tooltips and, on a
// page with widgets, starts the session with its Python worker. Messages:
// docs/protocol.md. The markup it reads: site_builder/markup.py. The page is complete
// before this runs; if anything here fails, it stays as built.
//
// Modules, by job: session.js (the worker and how a change reaches the outputs),
// navigate.js (links to the site's pages followed in the document, Python kept),
// status.js (what the page says of its Python), controls.js and rows.js (inputs),
// address.js (the reader's values in the address), charts.js (tooltips, drag, linked
// points), outputs.js (results into outputs), answers.js (answers before Python),
// readable.js (legible drawings, scrollable boxes), numbers.js and dom.js (helpers).

import { inputNames, remember, restore } from "./address.js";
import { fetchWhenReached, makeAnswers } from "./answers.js";
import { bindChartTips } from "./charts.js";
import { bindAdjustable, bindInput, bindPresets, setInteractive } from "./controls.js";
import { megabytes } from "./dom.js";
import { followLinks } from "./navigate.js";
import { readable } from "./readable.js";
import { Session } from "./session.js";
import { loadedBefore, offerToLoad, savingData } from "./status.js";

const ARTICLE = "[data-xw-spec], [data-xw-answers]";

// A page with widgets: its session, its controls bound to it, the reader's values from
// the address, and Python started (or offered), or opened in *kept*, a worker an earlier
// page of the visit left running. Returns what leaving the page does: its listeners
// removed, and its worker, when it can serve the next page, given back.
function start(article, kept) {
  const answers = article.dataset.xwAnswers ? makeAnswers(JSON.parse(article.dataset.xwAnswers)) : null;
  const names = inputNames();
  const bound = new AbortController();
  const session = new Session(
    article,
    answers,
    { settled: () => remember(session.current), ready: () => restore(names, session.canMove) },
    kept,
  );
  for (const box of document.querySelectorAll("[data-xw-input]")) {
    bindInput(box, (name, value, preview) => session.change(name, value, preview), session.canMove);
  }
  for (const el of document.querySelectorAll("[data-xw-adjust]")) if (el instanceof HTMLElement) bindAdjustable(el);
  bindPresets();
  if (answers) {
    fetchWhenReached(answers, bound.signal);
    restore(names, session.canMove); // a shared link's values, where the tables can answer them
  }
  const path = location.pathname;
  const back = () => location.pathname === path && restore(names, session.canMove, true);
  window.addEventListener("popstate", back, { signal: bound.signal });
  exposeForTests(session, names);
  startPython(article, session);
  return () => {
    bound.abort();
    return session.dispose();
  };
}

// Python loads at once, unless the reader asked to save data or the connection is slow:
// then only when asked for, by the button or by reaching for a figure a table does not
// answer; or at once if an earlier visit loaded it here (its snapshot is saved, and its
// files are in the HTTP cache). A page built with runtime = "none" has no Python.
function startPython(article, session) {
  const { canMove, answers } = session;
  const weight = article.dataset.xwWeight ? ` (${megabytes(Number(article.dataset.xwWeight))})` : "";
  const load = () => {
    setInteractive(canMove, `Loading Python${weight} to make this figure interactive…`);
    session.setStatus("loading", answers ? `The figures answered ahead move now; loading Python${weight} for the rest…` : `Loading Python${weight} to make the figures interactive…`);
    session.launch();
  };
  const offer = () => {
    setInteractive(canMove, `Python${weight} is not loaded yet, to save data: use “Load Python” above, or click a figure.`);
    session.setStatus("static", answers ? "The figures answered ahead move; the others show the values they were built with." : "Figures show the values they were built with.");
    const needs = (widget) => [...widget.querySelectorAll("[data-xw-input]")].some((el) => !canMove(/** @type {HTMLElement} */ (el).dataset.xwInput || ""));
    offerToLoad(session.statusEl, load, needs);
  };
  if (!article.dataset.xwSpec) {
    setInteractive(canMove, "This figure shows the values it was built with: this page loads no Python.");
    session.setStatus("static", "Interactive without Python: the figures answer from values computed when the site was built.");
  } else if (session.kept || !savingData()) load();
  else loadedBefore(new URL(article.dataset.xwRuntime || "", location.href).href).then((before) => (before ? load() : offer()));
}

// Test and debugging hook: the page's answers and the browser's Python, side by side.
function exposeForTests(session, names) {
  window.xw = {
    // Every output a table answers, for the values the inputs have now (tests compare
    // them with renderAll: the same program in the browser's Python).
    answered: async () => {
      const answers = session.answers;
      if (!answers) return {};
      await answers.load([...names]);
      return Object.fromEntries(answers.outputsOf([...names]).map((id) => [id, answers.lookup(id, session.current)]));
    },
    renderAll: () => session.renderAll(),
    memory: () => session.memory(),
  };
}

// What a worker can serve: pages with the same runtime, shared package and packages.
const keyOf = (article) =>
  ["xwRuntime", "xwShared", "xwWorker", "xwIntegrity", "xwImage", "xwLock", "xwPackages"].map((k) => article.dataset[k] || "").join("\n");

// The page as it is now, and the worker kept between pages (one Python per visit): a page
// without Python keeps it for the next one that has.
let leave = null;
let spare = null; // {worker, key}

function enter(main) {
  readable.watch(main);
  const article = main.querySelector(ARTICLE);
  if (!(article instanceof HTMLElement)) return;
  const key = keyOf(article);
  const kept = article.dataset.xwSpec && spare?.key === key ? spare.worker : null;
  if (spare && (kept || article.dataset.xwSpec)) {
    if (!kept) spare.worker.terminate();
    spare = null;
  }
  const stop = start(article, kept);
  leave = () => {
    const worker = stop();
    if (worker) spare = { worker, key };
  };
}

// Started last, once every constant of this module is defined.
bindChartTips();
enter(document.querySelector("main") || document.body);
followLinks({
  leave: () => {
    readable.forget(document.querySelector("main") || document.body);
    leave?.();
    leave = null;
  },
  enter,
});
