// POST /client/evaluate-bulk in workerd (Miniflare 4): for the three corpora of
// ../shared/conformance, the bulk answers equal the official SDK's expected answers and the single
// get-treatments / get-treatments-with-config / get-treatments-by-sets answers, by names and by
// sets, with attributes; 400 and 413 name the field or the limit; a 10,000-key request arrives as
// 10,000 NDJSON lines in several pieces. Run: node worker/scripts/build.mjs && node --test tests/worker/bulk.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { call, pushFolder, qs, root, start } from './helpers.mjs';

const base = resolve(root, '..', 'shared', 'conformance');
const jsonl = (file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
const SETS = ['backend', 'frontend', 'mobile'];

/** POSTs a bulk body; returns {status, headers, text, json, lines, pieces}. */
async function bulk(mf, body, { raw = false, headers = {} } = {}) {
  const res = await mf.dispatchFetch('http://localhost/client/evaluate-bulk', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw ? body : JSON.stringify(body),
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let pieces = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pieces += 1;
    text += decoder.decode(value, { stream: true });
  }
  text += decoder.decode();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  const lines = res.status === 200 ? text.split('\n').filter((l) => l).map((l) => JSON.parse(l)) : [];
  return { status: res.status, headers: res.headers, text, json, lines, pieces };
}

/** The bulk key of a corpus request: the key as given, `{matchingKey, bucketingKey}` with a bucketing key. */
function bulkKey(req) {
  const key = 'bucketingKey' in req ? { matchingKey: req.key, bucketingKey: req.bucketingKey } : req.key;
  return req.attributes === undefined || req.attributes === null ? { key } : { key, attributes: req.attributes };
}

/** Attributes bulk accepts per key (an object or none); others make the whole body a 400. */
const bulkable = (req) => req.attributes === undefined || req.attributes === null
  || (typeof req.attributes === 'object' && !Array.isArray(req.attributes));

/** A key a query string can carry (as split-evaluator's routes take it). */
const queryable = (req) => (typeof req.key === 'string' || (typeof req.key === 'number' && Number.isFinite(req.key)))
  && (!('bucketingKey' in req) || typeof req.bucketingKey === 'string');

function singleQuery(req, extra) {
  const p = { key: String(req.key), ...extra };
  if ('bucketingKey' in req) p['bucketing-key'] = req.bucketingKey;
  if (req.attributes !== undefined && req.attributes !== null) p.attributes = JSON.stringify(req.attributes);
  return qs(p);
}

for (const corpus of ['clean', 'mixed', 'edge']) {
  describe(`${corpus} corpus`, () => {
    const dir = join(base, corpus);
    const requests = jsonl(join(dir, 'requests.jsonl'));
    const expected = jsonl(join(dir, 'expected.jsonl'));
    const flags = [...new Set(requests.map((r) => r.flag))];
    let mf;
    before(async () => {
      mf = await start();
      await pushFolder(mf, dir);
    });
    after(async () => mf?.dispose());

    test('by names, with config and attributes: the official SDK\'s answers', { timeout: 120_000 }, async () => {
      const included = requests.map((r, i) => i).filter((i) => bulkable(requests[i]));
      let checked = 0;
      let errors = 0;
      for (let start = 0; start < included.length; start += 1000) {
        const ids = included.slice(start, start + 1000);
        const r = await bulk(mf, { keys: ids.map((i) => bulkKey(requests[i])), flags, withConfig: true });
        assert.equal(r.status, 200, r.text.slice(0, 300));
        assert.equal(r.headers.get('content-type'), 'application/x-ndjson');
        assert.ok(r.headers.get('x-split-change-number'));
        assert.equal(r.lines.length, ids.length);
        ids.forEach((i, n) => {
          const line = r.lines[n];
          const req = requests[i];
          const exp = expected[i];
          const given = bulkKey(req).key;
          assert.deepEqual(line.key, given === undefined ? null : given, `line ${n}`);
          if ('error' in line) {
            assert.equal(exp.label, null, `request ${req.id}: ${line.error}`);
            assert.equal(exp.treatment, 'control');
            errors += 1;
          } else {
            const got = line.treatments[req.flag.trim()];
            assert.deepEqual(got, { treatment: exp.treatment, config: exp.config }, `request ${req.id}`);
          }
          checked += 1;
        });
      }
      assert.equal(checked, included.length);
      assert.ok(included.length >= requests.length * 0.97, `${included.length} of ${requests.length}`);
      const refused = requests.find((req) => !bulkable(req));
      if (refused) {
        const r = await bulk(mf, { keys: [bulkKey(refused)], flags });
        assert.equal(r.status, 400);
        assert.equal(r.json.error, 'keys[0].attributes must be an object');
      }
      if (corpus === 'clean') assert.equal(errors, 0);
      else assert.ok(errors > 0, 'invalid keys answer an error line');
    });

    test('lines equal the single get-treatments(-with-config) and by-sets answers', { timeout: 120_000 }, async () => {
      const sample = requests.filter((r, i) => i % 40 === 0 && bulkable(r) && queryable(r));
      assert.ok(sample.length >= 50);
      const keys = sample.map(bulkKey);
      for (const withConfig of [false, true]) {
        const route = withConfig ? '/client/get-treatments-with-config' : '/client/get-treatments';
        const r = await bulk(mf, { keys, flags, withConfig });
        assert.equal(r.status, 200);
        for (const [n, req] of sample.entries()) {
          const single = await call(mf, `${route}?${singleQuery(req, { 'split-names': flags.join(',') })}`);
          if (single.status === 400) {
            assert.ok('error' in r.lines[n], `${req.id}: ${single.text}`);
            continue;
          }
          assert.equal(single.status, 200, single.text);
          assert.equal(JSON.stringify(r.lines[n].treatments), JSON.stringify(single.json), `${route} ${req.id}`);
        }
        const s = await bulk(mf, { keys, flagSets: SETS, withConfig });
        assert.equal(s.status, 200);
        const setRoute = withConfig ? '/client/get-treatments-with-config-by-sets' : '/client/get-treatments-by-sets';
        for (const [n, req] of sample.entries()) {
          const single = await call(mf, `${setRoute}?${singleQuery(req, { 'flag-sets': SETS.join(',') })}`);
          if (single.status === 400) {
            assert.ok('error' in s.lines[n], `${req.id}: ${single.text}`);
            continue;
          }
          assert.equal(single.status, 200, single.text);
          assert.ok(Object.keys(single.json).length > 0);
          assert.equal(JSON.stringify(s.lines[n].treatments), JSON.stringify(single.json), `${setRoute} ${req.id}`);
        }
      }
    });
  });
}

describe('limits, errors and streaming', () => {
  const dir = join(base, 'clean');
  const flags = [...new Set(jsonl(join(dir, 'requests.jsonl')).map((r) => r.flag))];
  let mf;
  before(async () => {
    mf = await start();
    await pushFolder(mf, dir);
  });
  after(async () => mf?.dispose());

  test('400 names the field', async () => {
    const cases = [
      ['{"keys":', /^body is not valid JSON: /],
      [{ keys: ['a'] }, /^body: give exactly one of flags and flagSets$/],
      [{ keys: ['a'], flags: ['f'], flagSets: ['s'] }, /not both$/],
      [{ keys: 'a', flags: ['f'] }, /^keys must be an array$/],
      [{ keys: ['a', { key: 'b', attributes: [1] }], flags: ['f'] }, /^keys\[1\]\.attributes must be an object$/],
      [{ keys: ['a'], flags: ['f', 2] }, /^flags\[1\] must be a string$/],
      [{ keys: ['a'], flags: ['f'], withConfig: 'yes' }, /^withConfig must be true or false$/],
      [{ keys: ['a'], flags: ['f'], flagsets: ['s'] }, /^flagsets is not a known field/],
    ];
    for (const [body, message] of cases) {
      const r = await bulk(mf, body, { raw: typeof body === 'string' });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json.error, message);
    }
  });

  test('413 names the limit', async () => {
    const keys = Array.from({ length: 10_001 }, (_, i) => `k${i}`);
    let r = await bulk(mf, { keys, flags: ['f'] });
    assert.equal(r.status, 413);
    assert.equal(r.json.error, 'keys holds 10001 entries, over the limit of 10000 keys per request');
    r = await bulk(mf, { keys: keys.slice(0, 2000), flags });
    assert.equal(r.status, 413);
    assert.match(r.json.error, /^keys × flags is \d+ evaluations, over the limit of 200000 evaluations per request$/);
    r = await bulk(mf, { keys: ['a'], flags: Array.from({ length: 1001 }, (_, i) => `f${i}`) });
    assert.equal(r.status, 413);
    assert.match(r.json.error, /over the limit of 1000 flags per request/);
    r = await bulk(mf, { keys: ['a'], flags: ['f'], pad: 'x'.repeat(4 * 1024 * 1024) });
    assert.equal(r.status, 413);
    assert.match(r.json.error, /^the request body is over the limit of 4194304 bytes/);
    // By sets, the flags the sets hold count: 3,000 keys × 91 flags.
    r = await bulk(mf, { keys: keys.slice(0, 3000), flagSets: SETS });
    assert.equal(r.status, 413);
    const other = await call(mf, '/client/get-treatment?key=a&split-name=x');
    assert.equal(other.status, 200, 'other routes are unaffected');
  });

  test('10,000 keys arrive as 10,000 lines in several pieces; keys Split rejects get an error line', { timeout: 60_000 }, async () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => (i === 1234 ? '' : `user_${i}`));
    const r = await bulk(mf, { keys, flags: flags.slice(0, 10), impressions: false });
    assert.equal(r.status, 200);
    assert.equal(r.lines.length, 10_000);
    assert.ok(r.pieces > 1, `${r.pieces} pieces`);
    assert.deepEqual(r.lines.map((l) => l.key), keys);
    assert.deepEqual(r.lines[1234], { key: '', error: 'you passed an empty string, key must be a non-empty string.' });
    assert.equal(Object.keys(r.lines[0].treatments).length, 10);
  });

  test('GET and no authorization are not bulk answers', async () => {
    const r = await call(mf, '/client/evaluate-bulk');
    assert.deepEqual(r.json, { route: 'Sorry this page does not exist!' });
    const auth = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: 'tok' });
    try {
      const u = await call(auth, '/client/evaluate-bulk', { method: 'POST', body: '{"keys":["a"],"flags":["f"]}' });
      assert.equal(u.status, 401);
    } finally {
      await auth.dispose();
    }
  });
});
