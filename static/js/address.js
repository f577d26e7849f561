// The reader's widget state in the address: every input the reader changed is a query
// parameter (?z=1.5&pid=12), so a link shares exactly what they see, and each settled
// change is a step the back button undoes. Other parameters of the address are kept.

import { acceptable } from "./controls.js";
import { setInput } from "./dom.js";

/** The names of the page's inputs. */
export const inputNames = () =>
  new Set([...document.querySelectorAll("[data-xw-input]")].map((el) => /** @type {HTMLElement} */ (el).dataset.xwInput || ""));

/** Put the reader's values (*current*: name -> value) in the address. */
export function remember(current) {
  const params = new URLSearchParams(location.search);
  for (const [name, value] of Object.entries(current)) params.set(name, String(value));
  const query = String(params);
  const search = query ? `?${query}` : "";
  if (search !== location.search) history.pushState(null, "", search + location.hash);
}

/**
 * Set the inputs from the address: when the page is ready, and on the back and forward
 * buttons (*all*: then an input the address doesn't name goes back to the build's value).
 * The address is the reader's (or whoever sent the link): a value its input cannot take
 * is ignored, the input keeping its own, and the address is left as it was written.
 * @param {Set<string>} names the page's inputs
 * @param {(name: string) => boolean} canMove whether an input can move now
 */
export function restore(names, canMove, all = false) {
  const params = new URLSearchParams(location.search);
  for (const name of names) {
    const value = params.get(name);
    if ((value !== null || all) && canMove(name) && (value === null || acceptable(name, value))) setInput(name, value);
  }
}
