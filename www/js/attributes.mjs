// The attributes editor: a JSON object in a textarea, or typed fields (text, number, boolean,
// date/time in UTC as milliseconds since the epoch, list of strings). Switching tabs converts
// between the two; `read()` returns the attributes (undefined when there are none) or throws an
// Error saying which attribute is wrong.
import { h } from './dom.mjs';

const TYPES = [
  ['string', 'text'],
  ['number', 'number'],
  ['boolean', 'boolean'],
  ['datetime', 'date/time (UTC)'],
  ['list', 'list of strings'],
];

/** `1700000000000` → `2023-11-14T22:13` (UTC, for a datetime-local input). */
function toLocalInput(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

function fieldRow(onRemove, name = '', type = 'string', value = '') {
  const id = `attr-${Math.random().toString(36).slice(2, 9)}`;
  const nameInput = h('input', { class: 'attr-name', 'aria-label': 'Attribute name', placeholder: 'name', spellcheck: 'false', value: name });
  const typeSelect = h('select', { class: 'attr-type', 'aria-label': 'Attribute type' }, TYPES.map(([v, text]) => h('option', { value: v, selected: v === type }, text)));
  const slot = h('span', { class: 'attr-value-slot' });
  const row = h('div', { class: 'attr-row', id }, nameInput, typeSelect, slot,
    h('button', { type: 'button', class: 'icon', 'aria-label': 'Remove this attribute', title: 'Remove', onclick: () => onRemove(row) }, '×'));
  const valueInput = (t, v) => {
    if (t === 'boolean') return h('select', { class: 'attr-value', 'aria-label': 'Attribute value' }, ['', 'true', 'false'].map((b) => h('option', { value: b, selected: String(v) === b }, b || '(not set)')));
    if (t === 'number') return h('input', { class: 'attr-value', type: 'number', step: 'any', 'aria-label': 'Attribute value', value: v });
    if (t === 'datetime') return h('input', { class: 'attr-value', type: 'datetime-local', 'aria-label': 'Attribute value (UTC)', value: v });
    return h('input', { class: 'attr-value', 'aria-label': t === 'list' ? 'Attribute values, comma-separated' : 'Attribute value', placeholder: t === 'list' ? 'a, b, c' : '', spellcheck: 'false', value: v });
  };
  slot.append(valueInput(type, value));
  typeSelect.addEventListener('change', () => slot.replaceChildren(valueInput(typeSelect.value, '')));
  return row;
}

/** Reads typed fields into an attributes object; fields with an empty value are left out. */
function readFields(container) {
  const out = {};
  let n = 0;
  for (const row of container.querySelectorAll('.attr-row')) {
    n += 1;
    const name = row.querySelector('.attr-name').value.trim();
    const type = row.querySelector('.attr-type').value;
    const raw = row.querySelector('.attr-value').value;
    if (raw.trim() === '') continue;
    if (name === '') throw new Error(`Attribute #${n} has a value but no name.`);
    if (Object.hasOwn(out, name)) throw new Error(`Attribute “${name}” is given twice.`);
    if (type === 'number') {
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new Error(`Attribute “${name}” must be a number.`);
      out[name] = v;
    } else if (type === 'boolean') {
      out[name] = raw === 'true';
    } else if (type === 'datetime') {
      const v = Date.parse(`${raw}Z`);
      if (!Number.isFinite(v)) throw new Error(`Attribute “${name}” must be a date and time.`);
      out[name] = v;
    } else if (type === 'list') {
      out[name] = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
    } else {
      out[name] = raw;
    }
  }
  return out;
}

/** Attributes → typed field rows; objects and nulls cannot be typed fields. */
function toFields(attributes) {
  return Object.entries(attributes).map(([name, v]) => {
    if (typeof v === 'string') return [name, 'string', v];
    if (typeof v === 'number') return [name, 'number', String(v)];
    if (typeof v === 'boolean') return [name, 'boolean', String(v)];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) return [name, 'list', v.join(', ')];
    throw new Error(`Attribute “${name}” holds ${v === null ? 'null' : Array.isArray(v) ? 'a nested list' : 'an object'}: edit it as JSON.`);
  });
}

/** Parses the JSON textarea: an object, or nothing. */
function readJson(text) {
  if (text.trim() === '') return {};
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`The attributes are not valid JSON: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('The attributes must be a JSON object, like {"plan": "pro"}.');
  return v;
}

/** Wires the editor; returns `{ read(), suggest(map of name → type) }`. */
export function attributesEditor({ tabJson, tabFields, jsonPanel, fieldsPanel, textarea, fields, addButton, errorBox }) {
  let mode = 'json';
  const remove = (row) => row.remove();
  const showError = (message) => {
    errorBox.textContent = message ?? '';
    errorBox.hidden = !message;
  };
  const select = (next) => {
    if (next === mode) return;
    try {
      if (next === 'fields') {
        const rows = toFields(readJson(textarea.value));
        fields.replaceChildren(...rows.map(([n, t, v]) => fieldRow(remove, n, t, t === 'datetime' ? toLocalInput(Number(v)) : v)));
      } else {
        const attrs = readFields(fields);
        textarea.value = Object.keys(attrs).length ? JSON.stringify(attrs, null, 1).replace(/\n\s*/g, ' ') : '';
      }
    } catch (e) {
      showError(`${e.message} (staying on ${mode === 'json' ? 'JSON' : 'typed fields'})`);
      return;
    }
    showError(null);
    mode = next;
    tabJson.setAttribute('aria-selected', String(mode === 'json'));
    tabFields.setAttribute('aria-selected', String(mode === 'fields'));
    jsonPanel.hidden = mode !== 'json';
    fieldsPanel.hidden = mode !== 'fields';
  };
  tabJson.addEventListener('click', () => select('json'));
  tabFields.addEventListener('click', () => select('fields'));
  addButton.addEventListener('click', () => {
    const row = fieldRow(remove);
    fields.append(row);
    row.querySelector('.attr-name').focus();
  });
  return {
    /** The attributes, or undefined when there are none; throws on invalid input (shown in the page). */
    read() {
      try {
        const attrs = mode === 'json' ? readJson(textarea.value) : readFields(fields);
        showError(null);
        return Object.keys(attrs).length ? attrs : undefined;
      } catch (e) {
        showError(e.message);
        throw e;
      }
    },
    /** Adds an empty field for each attribute in `found` (name → type) that is not there yet. */
    suggest(found) {
      const present = new Set([...fields.querySelectorAll('.attr-name')].map((i) => i.value.trim()));
      let added = 0;
      for (const [name, type] of found) {
        if (present.has(name)) continue;
        fields.append(fieldRow(remove, name, type, ''));
        added += 1;
      }
      return added;
    },
  };
}
