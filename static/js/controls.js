// Controls: each kind of input bound to the page (ranges and their readouts, numbers,
// presses, radios, play, adjustable numbers), enabled while something can answer them,
// and the address's values checked.

import { inputBoxes, make, setInput } from "./dom.js";
import { decimals, formatNumber, snapToGrid } from "./numbers.js";
import { bindRows } from "./rows.js";

// Inputs work only while Python can answer them, so that a readout never moves without
// its figure: before (and while Python restarts, or after it failed) they are disabled and
// each widget's note says why.
// *on*: true, false, or a function of an input's name (answers before Python: a table
// answers every output of some inputs, whose controls then work without Python).
export function setInteractive(on, note = "") {
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

export function bindInput(box, change, canMove) {
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

export function bindAdjustable(el) {
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

// Whether input NAME's control can take *value* (text from the address) as it is.
export function acceptable(name, value) {
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

// A widget's preset buttons set several of its inputs at once; Reset puts back the
// build's values.
export function bindPresets() {
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
