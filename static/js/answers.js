// Answers before Python: the build's answer tables (site_builder/answers.py) read and
// looked up, and fetched when the reader reaches for them.

import { savingData } from "./status.js";

// Answers before Python (site_builder/answers.py): the build computed every output whose
// inputs have a small, finite space for each combination of their values, in tables
// beside the page (outputs that read the same inputs share one). *spec* is the page's
// data-xw-answers: each file's address and the inputs it is indexed by, each output's
// file, and the inputs whose every output a table answers. A file is fetched the first
// time the reader reaches for one of its inputs (or the address names one); an answer is
// then a lookup and a join.
export function makeAnswers(spec) {
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

/**
 * Fetch a table when the reader first reaches for one of its inputs: hovering or focusing
 * its widget, or an adjustable number in the text. On a fast connection that is not
 * saving data, the tables of the widgets on screen (or about to be) are fetched when the
 * browser is idle, so the first move is a lookup.
 * @param {ReturnType<typeof makeAnswers>} answers
 * @param {AbortSignal} [signal] ends it (the reader left the page)
 */
export function fetchWhenReached(answers, signal) {
  const reach = (e) => {
    const from = /** @type {Element} */ (e.target).closest?.(".xw-widget, [data-xw-adjust]");
    if (!from) return;
    const names = from.matches("[data-xw-adjust]")
      ? [/** @type {HTMLElement} */ (from).dataset.xwAdjust || ""]
      : [...from.querySelectorAll("[data-xw-input]")].map((el) => /** @type {HTMLElement} */ (el).dataset.xwInput || "");
    answers.load(names).catch(() => {});
  };
  for (const type of ["pointerover", "focusin", "touchstart"]) document.addEventListener(type, reach, { passive: true, signal });
  if (savingData() || !("IntersectionObserver" in window)) return;
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
  signal?.addEventListener("abort", () => near.disconnect());
}
