// Charts: tooltips by pointer and keyboard, drag handles bound to inputs, points linked
// to a rows input.

import { inputBoxes, make, setInput } from "./dom.js";
import { snapToGrid } from "./numbers.js";

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

export function linkRow(name, key) {
  linkedRows.set(name, key);
  highlightLinked();
}

export function highlightLinked() {
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
export function bindChartTips() {
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
