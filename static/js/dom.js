// Small helpers every part of the page uses: making elements, naming sizes, finding and
// setting an input's controls.

// A new element with *props* set as properties and *attrs* as attributes.
export function make(tag, props = {}, attrs = {}) {
  const el = Object.assign(document.createElement(tag), props);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
  return el;
}

// A size in bytes as a reader reads it: "5.5 MB", "830 KB".
export function megabytes(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

// The controls of input NAME (more than one when it is placed in several widgets).
export const inputBoxes = (name) => document.querySelectorAll(`[data-xw-input="${CSS.escape(name)}"]`);

// Set an input as if the reader moved it (null: back to the build's value); its first
// control unless *box* says which.
export function setInput(name, value, box = inputBoxes(name)[0]) {
  box?.dispatchEvent(new CustomEvent("xw-set", { detail: value }));
}
