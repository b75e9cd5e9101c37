// The conformance logic of the split-edge npm package, shared by Node (tests/conformance.mjs) and
// the browser (tests/browser/conformance.mjs). Environment-neutral: no Node or DOM imports; the
// caller hands over the package's `SplitFactory` and the corpus files' text.
//
// It answers each request of a corpus as `examples/conformance.rs` (the native runner) does, through
// the package's public API only:
// - the snapshot is `settings.data` (the splits.json text and every segments/*.json text, sorted by
//   file name, as the native runner loads them), with no SDK key, so nothing is synchronized, posted or
//   scheduled;
// - each request is `client.getTreatmentWithConfig(key, flag, attributes)` with the inputs exactly as
//   the request gives them (`{matchingKey: key, bucketingKey}` when it has a `bucketingKey`), so the
//   package's input validation applies (no evaluation options: the corpus format has none, and the
//   native runner passes the default ones); `treatment` and `config` are its answer;
// - `label` is what the native runner reads from the evaluation result, obtained as follows:
//   * the call recorded an impression: the label of that impression (`settings.impressionListener`,
//     which the package calls synchronously, during the call);
//   * the call was rejected by input validation (the package logged an ERROR through
//     `settings.logger` during the call; it logs nothing at that level otherwise): `null`;
//   * neither (the package records no impression for `definition not found`): the label of
//     `client.explain(key, flag, attributes)`, whose treatment and config must equal the call's.
//   Every row is checked for consistency (one impression at most, of this flag and treatment; a
//   rejected call answers `control` with no impression); an inconsistency throws.

/** The fields of an answer row, in the native runner's order. */
export const FIELDS = ['treatment', 'config', 'label'];

/** Parses JSON Lines text (blank lines skipped); `name` is used in error messages. */
export function parseJsonl(text, name = 'input') {
  const rows = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    try {
      rows.push(JSON.parse(line));
    } catch (e) {
      throw new Error(`${name}:${i + 1}: ${e && e.message}`);
    }
  }
  return rows;
}

/** The segment files of a directory listing that the native runner loads, in its order. */
export function segmentFileNames(names) {
  // Rust's `Path::extension() == "json"`: a name ending in `.json` with a non-empty stem.
  const files = names.filter((n) => n.endsWith('.json') && n.length > 5);
  // Rust sorts paths by bytes (UTF-8); compare code points, not UTF-16 code units.
  return files.sort((a, b) => {
    const x = Array.from(a, (c) => c.codePointAt(0));
    const y = Array.from(b, (c) => c.codePointAt(0));
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  });
}

/** The key a request describes: `key` as given, or `{matchingKey: key, bucketingKey}`. */
export function requestKey(request) {
  if (Object.prototype.hasOwnProperty.call(request, 'bucketingKey')) {
    const key = {};
    if (Object.prototype.hasOwnProperty.call(request, 'key')) key.matchingKey = request.key;
    key.bucketingKey = request.bucketingKey;
    return key;
  }
  return request.key;
}

/** One answer row as the native runner prints it (`{"id","treatment","config","label"}`). */
export function formatRow(row) {
  return JSON.stringify({ id: row.id === undefined ? null : row.id, treatment: row.treatment, config: row.config, label: row.label });
}

/**
 * Answers every request through the package's public API.
 * @param SplitFactory the package's `SplitFactory` (Node or web entry; the web one after `init()`)
 * @param data `{splitChanges, segmentChanges}`: the splits.json text and the segment files' texts
 * @param requests the parsed requests
 * @returns rows `{id, treatment, config, label}`, in request order
 */
export async function answerAll(SplitFactory, data, requests) {
  let impressions = [];
  let errors = [];
  const factory = SplitFactory({
    data: { splitChanges: data.splitChanges, segmentChanges: data.segmentChanges },
    impressionListener: { logImpression: (d) => impressions.push(d.impression) },
    debug: 'ERROR',
    logger: (level, message) => {
      if (level === 'ERROR') errors.push(message);
    },
  });
  const client = factory.client();
  await client.ready();
  const rows = [];
  try {
    for (const request of requests) {
      impressions = [];
      errors = [];
      const key = requestKey(request);
      const { flag, attributes } = request;
      const id = request.id === undefined ? null : request.id;
      const answer = client.getTreatmentWithConfig(key, flag, attributes);
      const { treatment, config } = answer;
      const where = () => `request ${JSON.stringify(id)}: ${JSON.stringify({ treatment, config })}`;
      let label;
      if (errors.length > 0) {
        if (impressions.length > 0 || treatment !== 'control' || config !== null) {
          throw new Error(`${where()}: a call that logged an error (${errors[0]}) answered or recorded an impression`);
        }
        label = null;
      } else if (impressions.length > 0) {
        const imp = impressions[0];
        // The impression is this call's: one, of this treatment, for the flag asked (names are trimmed).
        if (impressions.length !== 1 || imp.treatment !== treatment || typeof flag !== 'string' || imp.feature !== flag.trim()) {
          throw new Error(`${where()}: unexpected impressions ${JSON.stringify(impressions)}`);
        }
        label = imp.label;
      } else {
        const e = client.explain(key, flag, attributes);
        if (e.treatment !== treatment || e.config !== config) {
          throw new Error(`${where()}: explain answers ${JSON.stringify(e)}`);
        }
        label = e.label;
      }
      rows.push({ id, treatment, config, label });
    }
  } finally {
    await factory.destroy();
  }
  return rows;
}

/**
 * Compares rows with a corpus' expected answers (`id`, `treatment`, `config` and `label` equal, as
 * scripts/compare-conformance.py does).
 * @returns `{passed, failed, mismatches}` (at most `show` mismatches kept, with their request)
 */
export function compareRows(rows, expected, requests = [], show = 10) {
  let passed = 0;
  let failed = 0;
  const mismatches = [];
  for (let i = 0; i < expected.length; i++) {
    const exp = expected[i];
    const got = i < rows.length ? rows[i] : undefined;
    if (got !== undefined && got.id === exp.id && FIELDS.every((f) => got[f] === exp[f])) {
      passed++;
      continue;
    }
    failed++;
    if (mismatches.length < show) mismatches.push({ index: i, request: requests[i], expected: exp, actual: got });
  }
  if (rows.length > expected.length) failed += rows.length - expected.length;
  return { passed, failed, mismatches, rows: rows.length, expectedRows: expected.length };
}

/** A comparison as text: the mismatches, then `conformance NAME: N passed, N failed`. */
export function describeComparison(name, result) {
  const lines = [];
  for (const m of result.mismatches) {
    lines.push(`MISMATCH ${name} id=${JSON.stringify(m.expected.id)}`);
    lines.push(`  request:  ${JSON.stringify(m.request)}`);
    lines.push(`  expected: ${JSON.stringify(m.expected)}`);
    lines.push(`  actual:   ${m.actual === undefined ? 'none' : formatRow(m.actual)}`);
  }
  if (result.rows !== result.expectedRows) lines.push(`${name}: row count differs: expected ${result.expectedRows}, actual ${result.rows}`);
  lines.push(`conformance ${name}: ${result.passed} passed, ${result.failed} failed`);
  return lines.join('\n');
}

/** Runs one corpus given its files' text; returns the rows, their lines and the comparison. */
export async function checkCorpus(SplitFactory, name, files) {
  const requests = parseJsonl(files.requests, `${name}/requests.jsonl`);
  const expected = parseJsonl(files.expected, `${name}/expected.jsonl`);
  const rows = await answerAll(SplitFactory, { splitChanges: files.splits, segmentChanges: files.segments }, requests);
  const result = compareRows(rows, expected, requests);
  return { rows, lines: rows.map(formatRow), result, report: describeComparison(name, result) };
}
