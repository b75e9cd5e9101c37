// Small DOM helpers. Text always goes in through text nodes or attributes, never as HTML, because
// flag names, keys and configs come from user data.

/** Creates an element: `h('td', { class: 'x', dataset: { testid: 'y' } }, 'text', child)`. */
export function h(tag, props = {}, ...children) {
  return build(document.createElement(tag), props, children);
}

const SVG = 'http://www.w3.org/2000/svg';

/** Creates an SVG element, like `h`. */
export function s(tag, props = {}, ...children) {
  return build(document.createElementNS(SVG, tag), props, children);
}

function build(el, props, children) {
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k === 'className' ? 'class' : k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children: nodes as they are, anything else as text; null/false/undefined skipped. */
export function append(el, children) {
  for (const c of [children].flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** `1234567` → `1,234,567`. */
export function num(n, digits = 0) {
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A share (0..1) as a percentage: `0.4012` → `40.1%`. */
export function pct(x, digits = 1) {
  return `${(x * 100).toFixed(digits)}%`;
}

/** A long name (flag names) that may wrap after `_`, `-`, `.` or `/`: text nodes and <wbr>s. */
export function breakable(name) {
  const out = document.createDocumentFragment();
  if (String(name).length <= 20) return String(name);
  for (const part of String(name).split(/(?<=[_\-./])/)) {
    if (out.childNodes.length) out.append(document.createElement('wbr'));
    out.append(part);
  }
  return out;
}

/** Inline code. */
export function code(text) {
  return h('code', {}, text);
}

/** A treatment shown as a chip, coloured consistently by name. */
export function chip(treatment, extra = {}) {
  return h('span', { class: 'chip', style: `--chip:${colorOf(treatment)}`, ...extra }, treatment);
}

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#db2777', '#0891b2', '#65a30d', '#dc2626', '#4f46e5', '#0d9488'];
const FIXED = { on: '#16a34a', off: '#64748b', control: '#dc2626' };

/** A stable colour for a treatment name. */
export function colorOf(treatment) {
  if (Object.hasOwn(FIXED, treatment)) return FIXED[treatment];
  let hash = 0;
  for (let i = 0; i < treatment.length; i++) hash = (hash * 31 + treatment.charCodeAt(i)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

/** A config string pretty-printed when it is JSON, else as it is. */
export function prettyConfig(config) {
  try {
    return JSON.stringify(JSON.parse(config), null, 2);
  } catch {
    return config;
  }
}
