// The split-edge playground: loads rollout data into the npm package's browser build
// (../npm/dist/web.mjs, the same wasm core the Worker runs), lists the flags, shows their rules,
// evaluates keys with explanations and draws treatment distributions. Plain ES modules, no bundler.
import { attributesEditor } from './js/attributes.mjs';
import { drawChart } from './js/chart.mjs';
import { buildInstance, classify, combine, merge, parseJson } from './js/data.mjs';
import { expectedShares, runDistribution } from './js/distribution.mjs';
import { breakable, chip, code, h, num, pct, prettyConfig, replace } from './js/dom.mjs';
import { renderExplanation } from './js/explain.mjs';
import { attributesRead, renderFlag } from './js/rules.mjs';

const PACKAGE_URL = new URL('../npm/dist/web.mjs', import.meta.url);
const DEMO_MANIFEST_URL = new URL('demo-manifest.json', import.meta.url);
const MAX_KEYS = 100_000;

const $ = (id) => document.getElementById(id);

let SplitFactory; // from the package, once init() is done
let current = null; // the instance serving the page: { dataset, factory, client, manager, summary, flags, rbs }
let selectedFlag = null;
let busy = false; // a load is in progress
let run = null; // the AbortController of a running distribution
let sdkMessages = []; // what the SDK logged during the last evaluation (validation errors)
const logger = (level, message) => sdkMessages.push(`${level}: ${message}`);
let attributes;

// ----- loading data --------------------------------------------------------------------------

async function fetchText(url) {
  let res;
  try {
    res = await fetch(url, { cache: 'no-cache' });
  } catch (e) {
    throw new Error(`Could not fetch ${url.pathname}: ${e instanceof Error ? e.message : String(e)}.`);
  }
  if (!res.ok) throw new Error(`Could not fetch ${url.pathname}: HTTP ${res.status} ${res.statusText}.`);
  return res.text();
}

/** The demo snapshot: demo/splits.json and the segments listed in www/demo-manifest.json. */
async function demoDataset() {
  const manifest = parseJson(await fetchText(DEMO_MANIFEST_URL), 'www/demo-manifest.json').json;
  const read = async (rel) => {
    const url = new URL(rel, DEMO_MANIFEST_URL);
    const file = rel.replace(/^(\.\.\/)+/, '');
    return { file, ...parseJson(await fetchText(url), file) };
  };
  const [splits, ...segments] = await Promise.all([read(manifest.splits), ...manifest.segments.map(read)]);
  return {
    source: 'the demo snapshot',
    splits,
    segments: segments.map((s) => ({ ...s, name: String(s.json?.name) })),
  };
}

async function uploadDataset(files) {
  const parts = [];
  for (const f of files) parts.push(classify(parseJson(await f.text(), f.name), f.name));
  const names = files.map((f) => f.name);
  const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  return merge(current?.dataset, combine(parts), `${shown} (uploaded)`);
}

function pasteDataset() {
  const parts = [];
  const splits = $('paste-splits').value;
  const segments = $('paste-segments').value;
  if (splits.trim() !== '') parts.push(classify(parseJson(splits, 'The pasted SplitChange'), 'The pasted SplitChange'));
  if (segments.trim() !== '') parts.push(classify(parseJson(segments, 'The pasted SegmentChanges'), 'The pasted SegmentChanges'));
  if (parts.length === 0) throw new Error('Paste a SplitChange or SegmentChange JSON body first.');
  return merge(current?.dataset, combine(parts), 'pasted JSON');
}

async function workerDataset() {
  const typed = $('worker-url').value.trim();
  let url;
  try {
    url = new URL('admin/snapshot', typed.endsWith('/') ? typed : `${typed}/`);
  } catch {
    throw new Error(`“${typed}” is not a URL; type the Worker's address, like http://127.0.0.1:8787.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('The Worker URL must start with http:// or https://.');
  const token = $('worker-token').value;
  let res;
  try {
    res = await fetch(url, { headers: token ? { Authorization: token } : {}, cache: 'no-store', signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    const why = e instanceof Error && e.name === 'TimeoutError' ? 'no answer within 15 s' : e instanceof Error ? e.message : String(e);
    throw new Error(`Could not reach ${url.href} (${why}). Is the Worker running (make run), and does it allow requests from this page (CORS)?`);
  }
  const text = await res.text();
  if (!res.ok) {
    const hint = res.status === 401 || res.status === 403 ? ' Check the token.' : res.status === 404 ? ' Does this Worker have the /admin/snapshot endpoint?' : '';
    throw new Error(`${url.href} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}: ${text.slice(0, 300) || '(empty body)'}.${hint}`);
  }
  const what = `The snapshot from ${url.origin}`;
  const part = classify(parseJson(text, what), what);
  if (!part.complete) throw new Error(`${what} is not a snapshot: expected {"splitChanges": …, "segmentChanges": […]}.`);
  return merge(current?.dataset, combine([part]), `the Worker at ${url.origin}`);
}

/** Builds a new instance from what `get` returns and swaps it in; on any error keeps the current one. */
async function load(get, button) {
  if (busy) return;
  busy = true;
  for (const b of document.querySelectorAll('.load-action')) b.disabled = true;
  const status = $('data-status');
  status.dataset.state = 'loading';
  try {
    const dataset = await get();
    install(buildInstance(SplitFactory, dataset, logger));
    showLoadError(null);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    showLoadError(message);
  } finally {
    busy = false;
    for (const b of document.querySelectorAll('.load-action')) b.disabled = false;
    status.dataset.state = current ? 'ready' : 'empty';
    if (button) button.focus();
  }
}

function showLoadError(message) {
  const box = $('load-error');
  if (!message) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const kept = current ? `Nothing changed: ${current.dataset.source} is still loaded.` : 'No data is loaded.';
  replace(box, h('strong', {}, 'Could not load the data. '), message, h('br'), kept);
  box.hidden = false;
}

function install(instance) {
  if (run) run.abort();
  const first = current === null;
  current = instance;
  const { dataset, manager, summary, rbs } = instance;
  const names = manager.names();
  const segmentNames = [...new Set(dataset.segments.map((s) => s.name))];
  const plural = (n, word) => `${num(n)} ${word}${n === 1 ? '' : 's'}`;
  const status = $('data-status');
  replace(status, h('strong', {}, `Loaded ${dataset.source}`), ': ', plural(names.length, 'flag'), ', ', plural(rbs.size, 'rule-based segment'), ', ',
    plural(segmentNames.length, 'segment'), segmentNames.length ? [' (', segmentNames.slice(0, 6).join(', '), segmentNames.length > 6 ? ', …' : '', ')'] : '',
    h('span', { class: 'muted' }, ` · flags change number ${summary.flagsChangeNumber}`));
  status.dataset.loads = String(Number(status.dataset.loads ?? 0) + 1);
  renderFlagList();
  fillFlagSelects(names);
  selectFlag(names.includes(selectedFlag) ? selectedFlag : names[0] ?? null, first);
  $('eval-result').replaceChildren();
  $('dist-result').replaceChildren();
  $('dist-result').dataset.state = 'idle';
}

// ----- flags and rules ------------------------------------------------------------------------

function renderFlagList() {
  const rows = current.manager.splits().map((v) => {
    const tr = h('tr', { tabindex: '0', dataset: { flag: v.name, search: [v.name, v.trafficType ?? '', ...v.sets].join(' ').toLowerCase() } },
      h('th', { scope: 'row' }, breakable(v.name)),
      h('td', {}, v.trafficType ?? '—'),
      h('td', {}, v.sets.length ? v.sets.join(', ') : h('span', { class: 'muted' }, '—')),
      h('td', {}, v.killed ? h('span', { class: 'badge killed' }, 'killed') : h('span', { class: 'muted', 'aria-label': 'not killed' }, '—')),
      h('td', { class: 'chips' }, v.treatments.map((t) => chip(t))),
      h('td', { class: 'num' }, String(v.changeNumber)));
    tr.addEventListener('click', () => selectFlag(v.name, true));
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        selectFlag(v.name, true);
      }
    });
    return tr;
  });
  $('flag-rows').replaceChildren(...rows);
  filterFlags();
}

function filterFlags() {
  const q = $('flag-search').value.trim().toLowerCase();
  const rows = [...$('flag-rows').children];
  let shown = 0;
  for (const tr of rows) {
    tr.hidden = q !== '' && !tr.dataset.search.includes(q);
    if (!tr.hidden) shown += 1;
  }
  $('flag-count').textContent = q === '' ? `${rows.length} flags` : `${shown} of ${rows.length} flags`;
  $('flag-count').dataset.shown = String(shown);
}

function fillFlagSelects(names) {
  const options = names.map((n) => h('option', { value: n }, n));
  $('eval-flag').replaceChildren(h('option', { value: '' }, 'All flags'), ...options.map((o) => o.cloneNode(true)));
  $('dist-flag').replaceChildren(...options);
}

/** Shows a flag's rules; from the list (`fromList`) it also becomes the flag evaluated. */
function selectFlag(name, fromList = false) {
  selectedFlag = name;
  for (const tr of $('flag-rows').children) {
    if (tr.dataset.flag === name) tr.setAttribute('aria-current', 'true');
    else tr.removeAttribute('aria-current');
  }
  $('rules-flag').textContent = name ?? '…';
  if (name === null) {
    replace($('rules'), h('p', { class: 'muted' }, 'No flags are loaded.'));
    return;
  }
  replace($('rules'), renderFlag(current.flags.get(name), current.rbs));
  $('dist-flag').value = name;
  if (fromList || $('eval-flag').value !== '') $('eval-flag').value = name;
  updateDistExample();
}

// ----- evaluation -----------------------------------------------------------------------------

function keyArgument() {
  const key = $('eval-key').value;
  const bucketing = $('eval-bucketing').value;
  return bucketing === '' ? key : { matchingKey: key, bucketingKey: bucketing };
}

/** `client.explain`, or the validation message when the SDK rejects the input. */
function explain(key, flag, attrs) {
  try {
    return { explanation: current.client.explain(key, flag, attrs) };
  } catch (e) {
    return { rejected: e instanceof Error ? e.message : String(e) };
  }
}

const valueAttrs = (testid, value) => ({ dataset: { testid, value: JSON.stringify(value) } });

function oneFlag(key, flag, attrs) {
  const { treatment, config } = current.client.getTreatmentWithConfig(key, flag, attrs);
  const { explanation, rejected } = explain(key, flag, attrs);
  const label = explanation ? explanation.label : null;
  const box = h('div', { class: 'result', dataset: { testid: 'result', flag } },
    h('div', { class: 'answer' }, h('span', { class: 'flag-name' }, breakable(flag)), ' → ', chip(treatment, valueAttrs('result-treatment', treatment))),
    h('dl', { class: 'meta' },
      h('dt', {}, 'Label'), h('dd', valueAttrs('result-label', label), label ?? '— (the SDK rejected the input: no label, no impression)'),
      h('dt', {}, 'Config'), h('dd', {}, h('pre', valueAttrs('result-config', config), config === null ? 'null (none for this treatment)' : prettyConfig(config))),
      explanation?.changeNumber != null ? [h('dt', {}, 'Change number'), h('dd', {}, String(explanation.changeNumber))] : null));
  if (explanation && explanation.treatment !== treatment) {
    box.append(h('p', { class: 'message warning' }, `explain() says ${explanation.treatment} but getTreatmentWithConfig() says ${treatment}: please report this.`));
  }
  if (explanation) {
    const raw = current.flags.get(flag);
    const prerequisites = (Array.isArray(raw?.prerequisites) ? raw.prerequisites : []).map((p) => ({
      name: String(p?.n),
      treatments: Array.isArray(p?.ts) ? p.ts.map(String) : [],
      explanation: current.client.explain(key, String(p?.n), attrs),
    }));
    box.append(renderExplanation({ explanation, flag: raw, attributes: attrs, bucketingKey: typeof key === 'object', prerequisites }));
  } else {
    box.append(h('p', { class: 'message error' }, `The SDK rejected the input: ${rejected}`));
  }
  return box;
}

function allFlags(key, attrs) {
  const names = current.manager.names();
  const answers = current.client.getTreatmentsWithConfig(key, names, attrs);
  const detail = h('div', { id: 'all-detail' });
  const rows = names.map((name) => {
    const a = answers[name] ?? { treatment: 'control', config: null };
    const { explanation } = explain(key, name, attrs);
    const label = explanation ? explanation.label : null;
    return h('tr', { dataset: { flag: name } },
      h('th', { scope: 'row' }, breakable(name)),
      h('td', {}, chip(a.treatment, valueAttrs('all-treatment', a.treatment))),
      h('td', valueAttrs('all-label', label), label ?? '—'),
      h('td', { class: 'config-cell', title: a.config ?? '', ...valueAttrs('all-config', a.config) }, a.config ?? h('span', { class: 'muted' }, 'null')),
      h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Why does ${name} give ${a.treatment}?`, onclick: () => replace(detail, oneFlag(key, name, attrs)) }, 'Why?')));
  });
  return h('div', { class: 'result', dataset: { testid: 'result-all' } },
    h('div', { class: 'scroll-x' }, h('table', { class: 'all' }, h('thead', {}, h('tr', {}, ['Flag', 'Treatment', 'Label', 'Config', ''].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, rows))),
    detail);
}

function evaluate() {
  if (!current) return;
  let attrs;
  try {
    attrs = attributes.read();
  } catch {
    return; // the editor shows what is wrong
  }
  const key = keyArgument();
  const flag = $('eval-flag').value;
  sdkMessages = [];
  const out = flag === '' ? allFlags(key, attrs) : oneFlag(key, flag, attrs);
  const messages = sdkMessages.length
    ? h('div', { class: 'message warning', dataset: { testid: 'sdk-messages' } }, h('strong', {}, 'The SDK logged:'), h('ul', {}, sdkMessages.map((m) => h('li', {}, m))))
    : null;
  const box = $('eval-result');
  replace(box, messages, out);
  box.dataset.runs = String(Number(box.dataset.runs ?? 0) + 1);
}

// ----- distribution ---------------------------------------------------------------------------

function updateDistExample() {
  const n = Math.floor(Number($('dist-n').value));
  const prefix = $('dist-prefix').value;
  $('dist-example').textContent = Number.isInteger(n) && n >= 1 ? `${prefix}0 … ${prefix}${n - 1}` : `${prefix}0 …`;
}

function showDistError(message) {
  $('dist-error').textContent = message ?? '';
  $('dist-error').hidden = !message;
}

async function distribute() {
  if (!current || run) return;
  const flag = $('dist-flag').value;
  const n = Number($('dist-n').value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_KEYS) {
    showDistError(`The number of keys must be a whole number from 1 to ${num(MAX_KEYS)}.`);
    return;
  }
  let attrs;
  if ($('dist-attrs').checked) {
    try {
      attrs = attributes.read();
    } catch (e) {
      showDistError(`The attributes in Evaluate are not valid: ${e.message}`);
      return;
    }
  }
  showDistError(null);
  const prefix = $('dist-prefix').value;
  const instance = current;
  const controller = new AbortController();
  run = controller;
  const progress = $('dist-progress');
  const progressText = $('dist-progress-text');
  const result = $('dist-result');
  progress.max = n;
  progress.value = 0;
  progressText.textContent = `0 / ${num(n)} keys`;
  $('dist-run').disabled = true;
  $('dist-cancel').disabled = false;
  result.dataset.state = 'running';
  try {
    const r = await runDistribution({
      client: instance.client, flag, n, prefix, attributes: attrs, signal: controller.signal,
      onProgress: (done) => {
        progress.value = done;
        progressText.textContent = `${num(done)} / ${num(n)} keys`;
      },
    });
    if (current !== instance) {
      replace(result, h('p', { class: 'muted' }, 'The data changed during the run; run it again.'));
      result.dataset.state = 'idle';
      return;
    }
    replace(result, renderDistribution(instance, flag, n, prefix, attrs, r));
    result.dataset.state = r.done === n ? 'done' : 'cancelled';
  } catch (e) {
    showDistError(`The run failed: ${e instanceof Error ? e.message : String(e)}`);
    result.dataset.state = 'error';
  } finally {
    run = null;
    $('dist-run').disabled = false;
    $('dist-cancel').disabled = true;
  }
}

function renderDistribution(instance, flag, n, prefix, attrs, r) {
  const { shares, basis, notes } = expectedShares(instance.flags.get(flag));
  const order = [...(shares?.keys() ?? [])];
  for (const [t] of [...r.counts].sort((a, b) => b[1] - a[1])) if (!order.includes(t)) order.push(t);
  const rows = order.map((t) => ({
    treatment: t,
    keys: r.counts.get(t) ?? 0,
    observed: r.done ? (r.counts.get(t) ?? 0) / r.done : 0,
    expected: shares ? shares.get(t) ?? 0 : null,
  }));
  const rate = r.evalMs > 0 ? r.done / (r.evalMs / 1000) : 0;
  return h('div', { class: 'dist' },
    h('h3', {}, code(flag), `: ${num(r.done)} keys (${prefix}0 … ${prefix}${r.done - 1})`, attrs ? ' with the attributes from Evaluate' : '',
      r.done < n ? h('span', { class: 'warn' }, ` — cancelled after ${num(r.done)} of ${num(n)}`) : ''),
    h('p', { class: 'rate', dataset: { testid: 'dist-rate', value: String(Math.round(rate)) } },
      h('strong', {}, `${num(Math.round(rate))} evaluations/s`),
      h('span', { class: 'muted' }, ` in this browser (${num(r.evalMs, 0)} ms evaluating, ${num(r.wallMs, 0)} ms in all with the pauses that keep the page responsive)`)),
    drawChart(rows),
    h('table', { class: 'dist-table', dataset: { testid: 'dist-table' } },
      h('thead', {}, h('tr', {}, ['Treatment', 'Keys', 'Observed', 'Configured'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows.map((row) => h('tr', { dataset: { treatment: row.treatment, observed: String(row.observed), expected: row.expected === null ? '' : String(row.expected) } },
        h('th', { scope: 'row' }, chip(row.treatment)), h('td', { class: 'num' }, num(row.keys)), h('td', { class: 'num' }, pct(row.observed, 2)),
        h('td', { class: 'num' }, row.expected === null ? '—' : pct(row.expected, 2)))))),
    h('p', { class: 'basis' }, basis),
    notes.length ? h('ul', { class: 'notes' }, notes.map((t) => h('li', {}, t))) : null);
}

// ----- start ----------------------------------------------------------------------------------

function wire() {
  attributes = attributesEditor({
    tabJson: $('attr-tab-json'), tabFields: $('attr-tab-fields'), jsonPanel: $('attr-json-panel'), fieldsPanel: $('attr-fields-panel'),
    textarea: $('attr-json'), fields: $('attr-fields'), addButton: $('attr-add'), errorBox: $('attr-error'),
  });
  for (const id of ['load-demo', 'load-paste', 'worker-fetch']) $(id).classList.add('load-action');
  $('load-demo').addEventListener('click', (e) => load(demoDataset, e.currentTarget));
  $('load-paste').addEventListener('click', (e) => load(async () => pasteDataset(), e.currentTarget));
  $('worker-form').addEventListener('submit', (e) => {
    e.preventDefault();
    load(workerDataset, $('worker-fetch'));
  });
  const upload = $('upload-files');
  upload.addEventListener('change', () => {
    const files = [...upload.files];
    upload.value = ''; // choosing the same file again loads it again
    if (files.length) load(() => uploadDataset(files));
  });
  const card = $('data-title').closest('section');
  card.addEventListener('dragover', (e) => {
    e.preventDefault();
    card.classList.add('dropping');
  });
  card.addEventListener('dragleave', () => card.classList.remove('dropping'));
  card.addEventListener('drop', (e) => {
    e.preventDefault();
    card.classList.remove('dropping');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length) load(() => uploadDataset(files));
  });

  $('flag-search').addEventListener('input', filterFlags);
  $('eval-run').addEventListener('click', evaluate);
  for (const id of ['eval-key', 'eval-bucketing']) {
    $(id).addEventListener('keydown', (e) => {
      if (e.key === 'Enter') evaluate();
    });
  }
  $('eval-flag').addEventListener('change', () => {
    if ($('eval-flag').value !== '') selectFlag($('eval-flag').value);
  });
  $('attr-suggest').addEventListener('click', () => {
    const flag = $('eval-flag').value || selectedFlag;
    const found = current && flag ? attributesRead(current.flags.get(flag), current.rbs) : new Map();
    const added = attributes.suggest(found);
    $('attr-note').textContent = !flag ? 'Pick a flag first.'
      : found.size === 0 ? `${flag}'s rules read no attributes.`
        : added === 0 ? `Every attribute ${flag} reads already has a field.` : `Added ${added} field${added === 1 ? '' : 's'} for ${flag}.`;
  });
  $('dist-run').addEventListener('click', distribute);
  $('dist-cancel').addEventListener('click', () => run?.abort());
  $('dist-n').addEventListener('input', updateDistExample);
  $('dist-prefix').addEventListener('input', updateDistExample);
}

async function start() {
  try {
    const sdk = await import(PACKAGE_URL.href);
    await sdk.init();
    SplitFactory = sdk.SplitFactory;
    $('version').textContent = sdk.version;
  } catch (e) {
    const boot = $('boot');
    boot.classList.add('error');
    replace(boot, h('p', {}, h('strong', {}, 'Could not load the split-edge package '), `from ${PACKAGE_URL.pathname}: ${e instanceof Error ? e.message : String(e)}. `,
      'Build it with ', code('make npm'), ' and reload (or start the page with ', code('make www'), ', which builds it first).'));
    return;
  }
  wire();
  $('boot').hidden = true;
  $('app').hidden = false;
  await load(demoDataset);
  if (current) evaluate();
}

start();
