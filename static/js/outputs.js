// Results put into their outputs: text, formula slots, or markup.

import { highlightLinked } from "./charts.js";
import { readable } from "./readable.js";

// Put the worker's results into their outputs: text, formula slots, or markup.
export function applyResults(outputs, results) {
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
