// Readable on any screen: a drawing's text kept legible as it scales, and a box that
// scrolls sideways made a named tab stop.

const MIN_TEXT_PX = 11; // the smallest text a drawing may show, in CSS pixels

const SCROLLERS = "pre, math, .table-scroll, .xw-display, div.xw-result";

// What a scrolling box is called, by its selector (a formula is named by its alttext).
const SCROLLER_NAMES = [
  ["pre", "Code"],
  [".table-scroll, .xw-display", "Table"],
  ["*", "Output"],
];

export const readable = makeReadable();

// Readable on any screen. A drawing (an SVG with a viewBox) scales to its column, and its
// text with it: on a phone a 560-unit plot shows 12 px labels at 7 px. Each text is kept
// at MIN_TEXT_PX or more on screen (the drawing scales, the text does not shrink below).
// A box that scrolls sideways (code, formula, wide table) becomes a named tab stop, so a
// keyboard can scroll it too. Both are measured by a ResizeObserver: nothing is laid out
// early, and a box is checked again whenever its width changes.
function makeReadable() {
  const observer = new ResizeObserver((entries) => {
    for (const { target, contentRect } of entries) {
      if (target instanceof SVGSVGElement) fitText(target, contentRect.width);
      else if (target instanceof HTMLElement || target instanceof MathMLElement) markScroller(target);
    }
  });
  const each = (root, fn) => {
    for (const el of root.querySelectorAll(`svg[viewBox], ${SCROLLERS}`)) fn(el);
  };
  return {
    watch: (root) => each(root, (el) => observer.observe(el)),
    forget: (root) => each(root, (el) => observer.unobserve(el)),
  };
}

function fitText(svg, width) {
  const box = svg.viewBox.baseVal;
  if (!box?.width || !width) return;
  // The drawing's own scale (preserveAspectRatio may fit it by its height instead).
  const scale = svg.getScreenCTM()?.a || width / box.width;
  for (const text of svg.querySelectorAll("text")) {
    if (!text.dataset.xwSize) text.dataset.xwSize = getComputedStyle(text).fontSize;
    const own = Number.parseFloat(text.dataset.xwSize);
    const size = Math.max(own, MIN_TEXT_PX / scale);
    text.style.fontSize = size > own ? `${Math.ceil(size * 100) / 100}px` : "";
  }
}

function markScroller(el) {
  const scrolls = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
  if (scrolls === (el.dataset.xwScrolls === "true")) return;
  el.dataset.xwScrolls = String(scrolls);
  if (scrolls) {
    el.tabIndex = 0;
    if (!el.hasAttribute("aria-label") && !(el instanceof MathMLElement)) {
      const [, kind] = SCROLLER_NAMES.find(([selector]) => el.matches(selector)) || ["", "Output"];
      if (!el.getAttribute("role")) el.setAttribute("role", "group");
      el.setAttribute("aria-label", `${kind} (scrolls sideways)`);
      el.dataset.xwNamed = "true";
    }
  } else {
    el.removeAttribute("tabindex");
    if (el.dataset.xwNamed) {
      el.removeAttribute("aria-label");
      if (el.getAttribute("role") === "group") el.removeAttribute("role");
      delete el.dataset.xwNamed;
    }
  }
}
