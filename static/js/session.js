// The page's session with its Python: the worker (started, watched, replaced when an
// output runs too long), the reader's values, and how each change reaches the outputs,
// from the answer tables at once and from Python when it is ready. Messages:
// docs/protocol.md.

import { setInteractive } from "./controls.js";
import { megabytes } from "./dom.js";
import { applyResults } from "./outputs.js";
import { SETTLE_MS, initMessage, showStatus, showStopped, summary } from "./status.js";

const root = document.documentElement;

export class Session {
  /**
   * @param {HTMLElement} article the element holding the page's data-xw-* settings
   * @param {ReturnType<import("./answers.js").makeAnswers> | null} answers the answer tables
   * @param {{settled: () => void, ready: () => void}} hooks called when an input has
   *   settled (its results in), and when Python is first ready
   * @param {Worker | null} kept a worker an earlier article of the visit left running,
   *   whose runtime and packages this one shares (keyOf): it opens this article instead
   *   of a new worker starting Python
   */
  constructor(article, answers, hooks, kept = null) {
    this.kept = kept;
    this.article = article;
    this.answers = answers;
    this.hooks = hooks;
    /** @type {HTMLElement | null} */
    this.statusEl = document.querySelector(".xw-status");
    /** @type {Map<string, HTMLElement>} */
    this.outputs = new Map();
    for (const el of document.querySelectorAll("[data-xw-output]")) {
      if (el instanceof HTMLElement) this.outputs.set(el.dataset.xwOutput || "", el);
    }
    // Every input's latest value sent: what a restarted worker is given. No prototype, so
    // any Python name is a key of its own (an input called __proto__ or constructor too).
    this.current = Object.create(null);
    this.waiting = new Map(); // request id -> resolve, for renderAll()
    /** @type {Worker | null} */
    this.worker = null;
    this.ready = false;
    this.starts = 0; // how many workers this page has started
    this.limit = 5; // seconds one output may run (the spec's time_limit, sent with "ready")
    this.stopped = new Set(); // outputs the watchdog stopped, until the reader retries
    this.touched = new Set(); // outputs updated since the last announcement
    this.lastSent = 0;
    this.nextId = 1;
    this.idle = true; // the worker is computing nothing
    this.watchdog = 0;
    this.busyTimer = 0;
    this.settleTimer = 0;
    this.standby = null; // {worker, ready}: a worker started in case this one must be stopped
    this.standbyTimer = 0;
    // Whether input NAME can move now: Python answers it, or tables answer all it changes.
    this.canMove = (name) => this.ready || Boolean(this.answers?.answers(name));
  }

  setStatus(state, text) {
    showStatus(this.statusEl, state, text);
  }

  fail(text) {
    this.ready = false;
    this.setStatus("error", this.answers ? `${text} The figures answered ahead still move.` : text);
    setInteractive(this.canMove, `Not interactive: ${text}`);
  }

  // A new worker, starting Python for this article.
  spawn() {
    const w = this.attach(new Worker(this.article.dataset.xwWorker || "", { type: "module" }));
    w.worker.postMessage(initMessage(this.article.dataset));
    return w;
  }

  // *worker*'s messages, handled once it is the page's worker. A standby (started while an
  // output runs long, so a stopped worker is replaced at once) keeps its "ready" until then.
  attach(worker) {
    const w = { worker, ready: null };
    w.worker.onerror = (event) => {
      event.preventDefault();
      if (w.worker === this.worker) {
        this.fail(`Interactive figures stopped: the Python worker failed (${event.message || "unknown error"}).`);
      } else if (this.standby === w) {
        this.standby = null;
      }
    };
    w.worker.onmessage = ({ data }) => {
      if (w.worker === this.worker) this.handle(data);
      else if (data.type === "ready") w.ready = data;
      else if (data.type === "status" && data.state === "error" && this.standby === w) this.standby = null;
    };
    return w;
  }

  launch() {
    this.ready = false;
    this.starts++;
    if (this.kept) {
      this.worker = this.attach(this.kept).worker;
      this.kept = null;
      this.post({ type: "open", spec: this.article.dataset.xwSpec });
      return;
    }
    try {
      this.worker = this.spawn().worker;
    } catch (err) {
      this.fail(`Interactive figures are unavailable: ${err.message || err}`);
    }
  }

  // Half way to the limit, start the worker that would replace this one.
  prepareStandby() {
    if (this.standby) return;
    try {
      this.standby = this.spawn();
    } catch {
      this.standby = null;
    }
  }

  dropStandby() {
    clearTimeout(this.standbyTimer);
    this.standby?.worker.terminate();
    this.standby = null;
  }

  post(message) {
    this.worker?.postMessage(message);
  }

  handle(msg) {
    switch (msg.type) {
      case "status": {
        if (msg.state === "error") this.fail(`Interactive figures are unavailable: ${msg.message}`);
        else if (this.starts === 1) this.setStatus(msg.state, msg.message); // a restart keeps saying why
        break;
      }
      case "ready":
        this.started(msg);
        break;
      case "starting": {
        // The article's exec cells run now: they are watched like any output (three times
        // its limit: they are several), so a start that never ends says so and stops.
        clearTimeout(this.watchdog);
        this.watchdog = setTimeout(() => {
          this.worker?.terminate();
          this.fail(`Python stopped: the article's start-up code ran over ${3 * msg.timeLimit} s.`);
        }, 3000 * msg.timeLimit);
        break;
      }
      case "progress": {
        if (!this.ready && this.starts === 1 && root.dataset.xwState === "loading") {
          const weight = this.article.dataset.xwWeight;
          const of = weight ? ` of ${megabytes(Number(weight))}` : "";
          const ahead = this.answers ? "The figures answered ahead move now; l" : "L";
          this.setStatus("loading", `${ahead}oading Python: ${megabytes(msg.bytes)}${of}…`);
        }
        break;
      }
      case "computing": {
        this.idle = false;
        clearTimeout(this.watchdog);
        clearTimeout(this.standbyTimer);
        this.watchdog = setTimeout(() => this.overran(msg.output), this.limit * 1000);
        this.standbyTimer = setTimeout(() => this.prepareStandby(), this.limit * 500);
        this.busyTimer = setTimeout(() => {
          const el = this.outputs.get(msg.output);
          if (el) el.dataset.busy = "true";
        }, 1000);
        break;
      }
      case "output": {
        clearTimeout(this.watchdog);
        clearTimeout(this.busyTimer);
        clearTimeout(this.standbyTimer);
        const el = this.outputs.get(msg.output);
        if (el) delete el.dataset.busy;
        if (!this.stopped.has(msg.output)) {
          // A table answers for the reader's latest values; Python's result may be older.
          const result = this.answers?.lookup(msg.output, this.current) ?? msg.result;
          applyResults(this.outputs, { [msg.output]: result });
          this.touched.add(msg.output);
        }
        break;
      }
      case "idle": {
        this.idle = true;
        this.dropStandby(); // nothing runs long any more
        if (msg.id === this.lastSent) this.finished();
        break;
      }
      case "result": {
        if (this.waiting.has(msg.id)) {
          this.waiting.get(msg.id)(msg);
          this.waiting.delete(msg.id);
        } else if (msg.error) {
          this.setStatus("error", `Interactive figures hit an error: ${msg.error}`);
        }
        break;
      }
    }
  }

  // Python is ready: the first time, it is told what the tables answered meanwhile; after
  // a restart, it is given the reader's values and redoes what the old worker left.
  started(msg) {
    clearTimeout(this.watchdog);
    this.ready = true;
    this.limit = msg.timeLimit || this.limit;
    if (this.starts === 1) {
      performance.mark("xw-ready", { detail: { cellsMs: msg.cellsMs } });
      root.dataset.xwStartedFrom = msg.kept ? "kept" : msg.snapshot ? "snapshot" : "scratch";
      this.setStatus("ready", `Interactive: Python ${msg.python} is running in your browser.`);
    } else {
      this.setStatus("ready", `Interactive again: Python restarted after an output ran over ${this.limit} s.`);
    }
    setInteractive(this.canMove);
    const changes = { ...this.current };
    const names = Object.keys(changes);
    if (this.starts === 1) {
      const answers = this.answers;
      const answered = answers ? answers.outputsOf(names).filter((id) => answers.lookup(id, this.current) !== undefined) : [];
      if (names.length) this.send(changes, answered);
      this.hooks.ready();
    } else {
      // A new worker knows only the build's values: give it the reader's, then redo
      // every output the old one may have left half done (the stopped ones aside).
      if (names.length) this.send(changes);
      const redo = [...this.outputs.keys()].filter((id) => !this.stopped.has(id));
      this.post({ type: "compute", outputs: redo });
    }
  }

  finished() {
    delete root.dataset.xwPending;
    root.dataset.xwUpdates = String(Number(root.dataset.xwUpdates || 0) + 1);
  }

  // One output ran past the limit: stop its worker (the only way to stop Python there
  // without cross-origin isolation, which static hosts such as GitHub Pages can't turn
  // on), say so at the output, and start a new worker for the others.
  overran(id) {
    this.stopped.add(id);
    const el = this.outputs.get(id);
    if (el) {
      delete el.dataset.busy;
      showStopped(el, `Stopped after ${this.limit} s: this output's Python ran too long.`, () => this.retry(id));
    }
    this.worker?.terminate();
    setInteractive((name) => Boolean(this.answers?.answers(name)), "Restarting Python: an output ran too long…");
    this.setStatus("loading", `An output ran over ${this.limit} s and was stopped; restarting Python…`);
    clearTimeout(this.standbyTimer);
    const next = this.standby;
    this.standby = null;
    if (!next) {
      this.launch();
      return;
    }
    this.ready = false;
    this.starts++;
    this.worker = next.worker;
    if (next.ready) this.handle(next.ready); // started while the output ran: ready already
  }

  retry(id) {
    this.stopped.delete(id);
    root.dataset.xwPending = "true";
    this.post({ type: "compute", outputs: [id] });
  }

  // *answered*: outputs a table answered already, which Python need not compute.
  send(changes, answered = []) {
    this.lastSent = this.nextId++;
    Object.assign(this.current, changes);
    this.post({ type: "update", id: this.lastSent, changes, skip: [...this.stopped, ...answered] });
  }

  // The outputs that read one of *names*, answered from their tables for the current
  // values (the tables are fetched first when they are not in yet); returns those answered
  // at once.
  answerAhead(names) {
    const answers = this.answers;
    if (!answers) return [];
    const ids = answers.outputsOf(names);
    const answer = () => {
      const found = ids.flatMap((id) => {
        const result = answers.lookup(id, this.current);
        return result === undefined || this.stopped.has(id) ? [] : [[id, result]];
      });
      applyResults(this.outputs, Object.fromEntries(found));
      for (const [id] of found) this.touched.add(id);
      return found.map(([id]) => id);
    };
    const now = answer();
    if (now.length < ids.length) {
      const asked = this.lastSent;
      const done = () => {
        if (!this.ready && asked === this.lastSent) this.finished(); // Python is not there to say so
      };
      answers
        .load(names)
        .then(() => {
          answer();
          done();
        })
        .catch((err) => {
          console.warn(`answers: ${err.message || err}`); // Python answers, once it is ready
          done();
        });
    }
    return now;
  }

  // The reader changed input *name*. *preview*: a hover that shows a value without
  // choosing it; never announced. The worker takes in new values between two outputs, so
  // every change goes at once.
  change(name, value, preview = false) {
    if (!this.canMove(name)) return;
    root.dataset.xwPending = "true";
    if (!preview) {
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => this.announce(), SETTLE_MS);
    }
    this.current[name] = value;
    if (!this.ready) this.lastSent = this.nextId++; // the tables' answers are this update
    const answered = this.answerAhead([name]);
    if (this.ready) this.send({ [name]: value }, answered);
    else if (answered.length === this.answers?.outputsOf([name]).length) this.finished();
  }

  // Once the reader's input has settled and its results are in, tell screen readers
  // once, per widget, what its value outputs now say.
  announce() {
    if (root.dataset.xwPending) {
      this.settleTimer = setTimeout(() => this.announce(), SETTLE_MS / 2);
      return;
    }
    this.hooks.settled();
    const widgets = new Set([...this.touched].map((id) => this.outputs.get(id)?.closest(".xw-widget")));
    this.touched.clear();
    for (const widget of widgets) {
      const region = widget?.querySelector(".xw-announce");
      if (region) {
        const text = summary(widget);
        if (text && text !== region.textContent) region.textContent = text;
      }
    }
  }

  // The page leaves this article (navigate.js): every timer stops, and the worker is
  // returned for the next article when it is idle and ready, else stopped (null).
  dispose() {
    for (const timer of [this.watchdog, this.busyTimer, this.settleTimer, this.standbyTimer]) clearTimeout(timer);
    this.dropStandby();
    this.kept?.terminate();
    const worker = this.worker;
    this.worker = null;
    if (!worker) return null;
    worker.onmessage = null;
    worker.onerror = null;
    if (this.ready && !this.busy()) return worker;
    worker.terminate();
    return null;
  }

  // Whether the worker is computing outputs (from its "computing" to its "idle").
  busy() {
    return !this.idle;
  }

  // Every output's result computed again by the browser's Python, the page untouched
  // (tests compare it with the build's and the tables').
  renderAll() {
    return this.ask({ type: "render_all" });
  }

  // The worker's memory: the bytes of Python's WebAssembly heap (the bench's leak check).
  memory() {
    return this.ask({ type: "memory" });
  }

  // A question for the worker: its "result" with the same id resolves the promise.
  ask(message) {
    return new Promise((resolve) => {
      const id = this.nextId++;
      this.waiting.set(id, resolve);
      this.post({ ...message, id });
    });
  }
}
