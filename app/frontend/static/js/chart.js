// A line chart of G/D losses (left axis) and KID (right axis) over training steps, drawn as SVG.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { top: 14, right: 56, bottom: 34, left: 52 };
export const SERIES = [
  { key: "g_loss", label: "G loss", className: "line-g", axis: "left" },
  { key: "d_loss", label: "D loss", className: "line-d", axis: "left" },
  { key: "kid_mean", label: "KID", className: "line-kid", axis: "right" },
];

/** About `count` round tick values covering [min, max] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(min, max, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / Math.max(1, count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? 10 * power;
  const first = Math.floor(min / step) * step;
  const ticks = [];
  for (let value = first; value <= max + step * 0.5; value += step) {
    ticks.push(Number(value.toPrecision(12)));
    if (ticks.length > 50) break;
  }
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/**
 * How far the x axis reaches: the whole run once a third of it is logged, so the lines grow towards
 * the end; before that (and for very long runs) half again the logged steps, so the lines stay readable.
 */
export function xExtent(lastStep, totalSteps) {
  if (totalSteps && lastStep * 3 >= totalSteps) return totalSteps;
  return Math.max(10, Math.ceil(lastStep * 1.5));
}

function el(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function scale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return (value) => r0 + ((value - d0) / (d1 - d0 || 1)) * (r1 - r0);
}

function label(value) {
  return Math.abs(value) >= 1000 ? value.toLocaleString("en") : String(Number(value.toPrecision(3)));
}

/**
 * An <svg> of the training log: rows are {step, g_loss, d_loss} and evaluations {step, kid_mean};
 * totalSteps fixes the x axis, so the lines grow to the right as training goes on.
 */
export function trainingChart({ losses, evaluations, totalSteps }) {
  const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "chart", role: "img" });
  const points = { left: [], right: [] };
  const data = { g_loss: losses, d_loss: losses, kid_mean: evaluations };
  for (const series of SERIES) {
    for (const row of data[series.key]) {
      if (Number.isFinite(row[series.key])) points[series.axis].push(row[series.key]);
    }
  }
  const lastStep = Math.max(0, ...losses.map((r) => r.step), ...evaluations.map((r) => r.step));
  const xTicks = niceTicks(0, xExtent(lastStep, totalSteps), 6);
  const x = scale([0, xTicks[xTicks.length - 1]], [MARGIN.left, WIDTH - MARGIN.right]);
  const axes = {};
  for (const side of ["left", "right"]) {
    if (!points[side].length) continue;
    const ticks = niceTicks(Math.min(0, ...points[side]), Math.max(...points[side]), 5);
    axes[side] = { ticks, y: scale([ticks[0], ticks[ticks.length - 1]], [HEIGHT - MARGIN.bottom, MARGIN.top]) };
  }

  const grid = el("g", { class: "grid" });
  for (const tick of xTicks) {
    grid.append(el("line", { x1: x(tick), x2: x(tick), y1: MARGIN.top, y2: HEIGHT - MARGIN.bottom }));
    grid.append(el("text", { x: x(tick), y: HEIGHT - MARGIN.bottom + 16, "text-anchor": "middle" }, label(tick)));
  }
  grid.append(el("text", { x: (MARGIN.left + WIDTH - MARGIN.right) / 2, y: HEIGHT - 2, "text-anchor": "middle" }, "step"));
  for (const [side, anchor, at] of [["left", "end", MARGIN.left - 6], ["right", "start", WIDTH - MARGIN.right + 6]]) {
    if (!axes[side]) continue;
    for (const tick of axes[side].ticks) {
      const y = axes[side].y(tick);
      if (side === "left") grid.append(el("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }));
      grid.append(el("text", { x: at, y: y + 4, "text-anchor": anchor, class: `axis-${side}` }, label(tick)));
    }
  }
  svg.append(grid);

  for (const series of SERIES) {
    const axis = axes[series.axis];
    const rows = data[series.key].filter((row) => Number.isFinite(row[series.key]));
    if (!axis || !rows.length) continue;
    const coords = rows.map((row) => `${x(row.step).toFixed(1)},${axis.y(row[series.key]).toFixed(1)}`);
    svg.append(el("polyline", { points: coords.join(" "), class: `series ${series.className}` }));
    if (series.axis === "right" || rows.length === 1) { // few points: mark each one
      for (const coord of coords) {
        const [cx, cy] = coord.split(",");
        svg.append(el("circle", { cx, cy, r: 3.5, class: `series ${series.className}` }));
      }
    }
  }

  const last = losses[losses.length - 1];
  const kid = evaluations[evaluations.length - 1];
  const summary = last
    ? `Losses at step ${last.step}: G ${label(last.g_loss ?? NaN)}, D ${label(last.d_loss ?? NaN)}`
      + (kid ? `; KID ${label(kid.kid_mean)} at step ${kid.step}` : "")
    : "No losses logged yet";
  svg.setAttribute("aria-label", summary);
  svg.prepend(el("title", {}, summary));
  return svg;
}
