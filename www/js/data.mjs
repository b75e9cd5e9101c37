// Rollout data the page holds: reading JSON with precise errors, telling SplitChange and
// SegmentChange bodies apart, merging an upload into the current data, and building a factory
// from it. A dataset is `{ source, splits: {file, text, json}, segments: [{file, name, text, json}] }`:
// the texts go to the engine as they are (so its errors point into them), the parsed JSON feeds the
// rules view.

/** Parses JSON text; the error says which input is broken and where (line and column). */
export function parseJson(text, what) {
  const clean = String(text).replace(/^\uFEFF/, '');
  if (clean.trim() === '') throw new Error(`${what} is empty.`);
  try {
    return { text: clean, json: JSON.parse(clean) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Point at the place: Chromium names a character position, or says the text ended too soon.
    const at = /position (\d+)/.exec(message);
    const offset = at ? Number(at[1]) : /end of JSON input/i.test(message) ? clean.length : -1;
    let where = '';
    if (offset >= 0 && !/line \d+/.test(message)) {
      const before = clean.slice(0, offset).split('\n');
      where = ` (${at ? '' : 'the text ends at '}line ${before.length}, column ${before[before.length - 1].length + 1})`;
    }
    throw new Error(`${what} is not valid JSON: ${message}${where}.`);
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const has = (o, k) => Object.hasOwn(o, k);

function asBody(value, what) {
  if (typeof value === 'string') return { file: what, ...parseJson(value, what) };
  return { file: what, text: JSON.stringify(value), json: value };
}

function segmentOf(value, what) {
  const body = asBody(value, what);
  if (!isObject(body.json)) throw new Error(`${what} is not a SegmentChange: expected an object with "name", "added", "removed" and "till".`);
  if (typeof body.json.name !== 'string' || body.json.name === '') throw new Error(`${what} is not a SegmentChange: its "name" must be a non-empty string.`);
  return { ...body, name: body.json.name };
}

/**
 * What a parsed JSON document holds: `{ splits?, segments: [] }`. Accepts a SplitChange (either
 * shape), a SegmentChange, an array of SegmentChanges, or a Worker snapshot
 * (`{splitChanges, segmentChanges}`).
 */
export function classify({ text, json }, what) {
  if (Array.isArray(json)) {
    return { segments: json.map((v, i) => segmentOf(v, `${what} [${i}]`)) };
  }
  if (!isObject(json)) throw new Error(`${what} must be a JSON object, not ${json === null ? 'null' : typeof json}.`);
  if (has(json, 'splitChanges')) {
    if (json.segmentChanges !== undefined && !Array.isArray(json.segmentChanges)) {
      throw new Error(`${what}: "segmentChanges" must be an array of SegmentChange bodies.`);
    }
    return {
      splits: asBody(json.splitChanges, `${what} → splitChanges`),
      segments: (json.segmentChanges ?? []).map((v, i) => segmentOf(v, `${what} → segmentChanges[${i}]`)),
      complete: true,
    };
  }
  if (has(json, 'ff') || has(json, 'rbs') || has(json, 'splits')) return { splits: { file: what, text, json }, segments: [] };
  if (has(json, 'name') && (has(json, 'added') || has(json, 'removed') || has(json, 'till'))) return { segments: [segmentOf(json, what)] };
  throw new Error(`${what} is neither a SplitChange (no "ff", "rbs" or "splits" field) nor a SegmentChange (no "name" with "added"/"removed"/"till").`);
}

/** Combines several classified documents into one upload; at most one SplitChange. */
export function combine(parts) {
  const out = { splits: undefined, segments: [], complete: false };
  for (const p of parts) {
    if (p.splits) {
      if (out.splits) throw new Error(`Two SplitChange bodies (${out.splits.file} and ${p.splits.file}): load one at a time.`);
      out.splits = p.splits;
    }
    out.segments.push(...p.segments);
    out.complete ||= Boolean(p.complete);
  }
  if (!out.splits && out.segments.length === 0) throw new Error('Nothing to load.');
  return out;
}

/**
 * The dataset after an upload. A SplitChange with SegmentChanges (or a Worker snapshot) replaces
 * everything; a SplitChange alone replaces the flags and keeps the loaded segments; SegmentChanges
 * alone update the loaded segments: one whose `since` is -1 (or missing) replaces that segment,
 * any other is applied on top of it.
 */
export function merge(current, upload, source) {
  if (!upload.splits && !current) throw new Error('Load a SplitChange first: segments alone have no flags to use them.');
  const replaceAll = upload.complete || (upload.splits && upload.segments.length > 0) || !current;
  let segments = replaceAll ? [] : [...current.segments];
  for (const seg of upload.segments) {
    const since = seg.json.since;
    if (since === undefined || since === null || since === -1) segments = segments.filter((s) => s.name !== seg.name);
    segments.push(seg);
  }
  return { source, splits: upload.splits ?? current.splits, segments };
}

/** Flags and rule-based segments of a SplitChange body by name, as the rules view needs them. */
export function definitions(splitsJson) {
  const flags = new Map();
  const rbs = new Map();
  const ff = Array.isArray(splitsJson?.ff?.d) ? splitsJson.ff.d : Array.isArray(splitsJson?.splits) ? splitsJson.splits : [];
  for (const f of ff) if (isObject(f) && typeof f.name === 'string') flags.set(f.name, f);
  for (const r of Array.isArray(splitsJson?.rbs?.d) ? splitsJson.rbs.d : []) if (isObject(r) && typeof r.name === 'string') rbs.set(r.name, r);
  return { flags, rbs };
}

/**
 * A factory over a dataset, with no network and no timers (no SDK key: nothing is synchronized
 * or posted). Impressions mode NONE keeps what evaluations record small and bounded (counts and
 * unique keys, capped by the recorder's memory bound). Throws an Error naming the file and what is
 * malformed in it; the caller keeps its previous factory.
 */
export function buildInstance(SplitFactory, dataset, logger) {
  const factory = SplitFactory({ sync: { impressionsMode: 'NONE' }, debug: 'ERROR', logger });
  let summary;
  try {
    summary = factory.updateSplitChanges(dataset.splits.text);
  } catch (e) {
    throw new Error(`${dataset.splits.file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const seg of dataset.segments) {
    try {
      factory.updateSegmentChanges(seg.text);
    } catch (e) {
      throw new Error(`${seg.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const { flags, rbs } = definitions(dataset.splits.json);
  return { dataset, factory, client: factory.client(), manager: factory.manager(), summary, flags, rbs };
}
