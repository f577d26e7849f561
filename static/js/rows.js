// A rows input: the built table made a listbox (WAI-ARIA single select) over rows
// loaded as the reader scrolls.

import { linkRow } from "./charts.js";
import { make, setInput } from "./dom.js";

// A rows input becomes a listbox (WAI-ARIA Authoring Practices, single select, selection
// follows focus): one tab stop, the active row named by aria-activedescendant, arrows,
// Page Up/Down, Home/End, a search field. Only the rows near the viewport exist in the DOM
// (those in view and ROW_OVERSCAN either side, reused while scrolling), so 50,000 rows cost
// what 30 do.
// The build's plain table stays for print and for readers without JavaScript.
const ROW_OVERSCAN = 8;

const ROW_REMS = 2; // the height of an option, as .xw-rows-option sets it

export async function bindRows(box, name, change, canMove) {
  const response = await fetch(box.dataset.xwRows);
  if (!response.ok) return; // the plain table stays
  const [first, ...chunks] = (await response.text()).split("\n");
  /** @type {{headings: string[], total: number, numeric?: boolean[], placeholder?: string, widths?: number[]}} */
  const { headings, total, numeric = [], placeholder = "", widths: chars = [] } = JSON.parse(first);
  const cell = (c) => (numeric[c] ? "xw-num" : ""); // numbers are right-aligned, as numbers
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
  const field = make("input", { placeholder }, { type: "search" });
  search.append("Search ", field);
  const list = make("div", { className: "xw-rows-list", tabIndex: 0 }, { role: "listbox", "aria-label": `${label} (${total} rows)` });
  const head = make("div", { className: "xw-rows-head xw-rows-line" }, { "aria-hidden": "true" });
  for (const [c, h] of headings.entries()) head.append(make("span", { textContent: h, className: cell(c) }));
  const canvas = make("div", { className: "xw-rows-canvas" }, { role: "none" });
  list.append(head, canvas);
  const count = make("p", { className: "xw-rows-count" }, { "aria-live": "polite" });
  box.append(search, list, count);
  box.classList.add("xw-rows-live");

  // Columns as wide as the author says (width:, in characters), else as their longest
  // text (within reason).
  const widths = columns.map((col, c) => {
    if (chars[c]) return chars[c] + 2;
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
    el.replaceChildren(...columns.map((col, c) => make("span", { textContent: col[i], title: col[i].length > 20 ? col[i] : "", className: cell(c) })));
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
