// Numbers as the page shows them: Python's format() for readouts, a step's decimals,
// values snapped to a range's grid.

// Python's format() for the specs a range readout may use (widgets.READOUT_FORMAT):
// [+][,][.N][f|e|%|d]. Rounding is JavaScript's (half away from zero on the decimal
// shown), which matches Python's for the values a slider's step grid produces.
export function formatNumber(value, spec) {
  const m = /^(\+?)(,?)(?:\.(\d+))?([fe%d]?)$/.exec(spec);
  if (!m) return String(value);
  const [, plus, comma, digits, kind] = m;
  const places = digits === undefined ? 6 : Number(digits);
  let text;
  if (kind === "e") {
    text = value.toExponential(places).replace(/e([+-])(\d)$/, "e$10$2");
  } else {
    const scaled = kind === "%" ? value * 100 : value;
    text = kind === "d" ? String(Math.round(scaled)) : scaled.toFixed(kind || digits !== undefined ? places : 6);
    if (!kind && digits === undefined) text = String(scaled);
    if (comma) {
      const [whole, part] = text.split(".");
      text = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (part === undefined ? "" : `.${part}`);
    }
    if (kind === "%") text += "%";
  }
  return plus && value >= 0 ? `+${text}` : text;
}

export function decimals(step) {
  const text = String(step || "1");
  return text.includes(".") ? text.split(".")[1].length : 0;
}

// *value* kept within a range's min and max and put on its step grid, as the input's text.
export function snapToGrid(input, value) {
  const [min, max] = [Number(input.min), Number(input.max)];
  const step = Number(input.step) || 1;
  const clamped = Math.min(max, Math.max(min, value));
  return (min + Math.round((clamped - min) / step) * step).toFixed(decimals(input.step));
}
