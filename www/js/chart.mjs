// A hand-drawn SVG bar chart: for each treatment, the observed share (solid bar) and the
// configured share (outlined bar), on a 0–100% axis.
import { colorOf, pct, s } from './dom.mjs';

const W = 640;
const LABEL = 120; // treatment names
const VALUE = 150; // numbers on the right
const BAR = W - LABEL - VALUE - 16;
const ROW = 46;
const TOP = 34;

/** rows: `[{ treatment, observed: 0..1, expected: 0..1 | null, keys }]`. Returns an <svg>. */
export function drawChart(rows) {
  const height = TOP + rows.length * ROW + 24;
  const x = (share) => LABEL + Math.max(0, Math.min(1, share)) * BAR;
  const summary = rows.map((r) => `${r.treatment}: ${pct(r.observed)} observed${r.expected === null ? '' : `, ${pct(r.expected)} configured`}`).join('; ');
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, class: 'chart', role: 'img', 'aria-label': `Share of each treatment. ${summary}`, dataset: { testid: 'dist-chart' } });

  // Legend.
  svg.append(
    s('rect', { x: LABEL, y: 6, width: 14, height: 10, fill: '#475569' }),
    s('text', { x: LABEL + 20, y: 15, class: 'legend' }, 'observed'),
    s('rect', { x: LABEL + 100, y: 6, width: 14, height: 10, fill: 'none', stroke: '#475569', 'stroke-dasharray': '3 2' }),
    s('text', { x: LABEL + 120, y: 15, class: 'legend' }, 'configured'),
  );
  // Axis and grid.
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(
      s('line', { x1: x(tick), x2: x(tick), y1: TOP - 6, y2: height - 20, class: 'grid' }),
      s('text', { x: x(tick), y: height - 6, class: 'tick', 'text-anchor': 'middle' }, `${tick * 100}%`),
    );
  }
  rows.forEach((r, i) => {
    const y = TOP + i * ROW;
    const color = colorOf(r.treatment);
    const g = s('g', { class: 'bar-row', dataset: { treatment: r.treatment, observed: String(r.observed), expected: r.expected === null ? '' : String(r.expected) } },
      s('title', {}, `${r.treatment}: ${r.keys.toLocaleString('en-US')} keys, ${pct(r.observed, 2)} observed${r.expected === null ? '' : `, ${pct(r.expected, 2)} configured`}`),
      s('text', { x: LABEL - 8, y: y + 20, class: 'name', 'text-anchor': 'end' }, truncate(r.treatment, 16)),
      s('rect', { x: LABEL, y: y + 4, width: Math.max(0.5, x(r.observed) - LABEL), height: 18, rx: 2, fill: color }),
      r.expected === null ? null : s('rect', { x: LABEL, y: y + 26, width: Math.max(0.5, x(r.expected) - LABEL), height: 10, rx: 2, fill: 'none', stroke: color, 'stroke-width': 1.5, 'stroke-dasharray': '4 2' }),
      s('text', { x: W - VALUE + 4, y: y + 18, class: 'value' }, pct(r.observed)),
      r.expected === null ? null : s('text', { x: W - VALUE + 4, y: y + 35, class: 'value muted' }, `${pct(r.expected)} configured`),
    );
    svg.append(g);
  });
  return svg;
}

function truncate(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
