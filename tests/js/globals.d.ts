// Types the page's scripts (static/js) rely on beyond the DOM library, for the type check
// `make test` runs (jsconfig.json); kept out of static/ so that it is never published.
interface Window {
  /** For tests and debugging: recompute every output in the browser's Python; every
   * output a table answers, for the inputs' current values. */
  xw: { renderAll: () => Promise<unknown>; answered: () => Promise<Record<string, unknown>>; memory: () => Promise<unknown> };
}

interface Navigator {
  /** The Network Information API (Chromium): absent in other browsers. */
  connection?: { saveData?: boolean; effectiveType?: string };
}
