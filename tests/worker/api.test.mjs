// The Worker's client, manager and admin endpoints, served by workerd (Miniflare 4) from data
// pushed through the admin API. Run: node worker/scripts/build.mjs && node --test tests/worker/
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, call, pushFolder, qs, root, start, envStats } from './helpers.mjs';

const demo = join(root, 'demo');
const splits = JSON.parse(readFileSync(join(demo, 'splits.json'), 'utf8'));
const CN = String(splits.ff.t);
let mf;

before(async () => {
  mf = await start();
  await pushFolder(mf, demo);
});
after(async () => mf?.dispose());

const get = (path, params) => call(mf, `${path}?${qs(params)}`);
const post = (path, params, body, contentType) =>
  call(mf, `${path}?${qs(params)}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), contentType });

describe('client endpoints', () => {
  test('get-treatment and get-treatment-with-config', async () => {
    const r = await get('/client/get-treatment', { key: 'alice', 'split-name': 'new_checkout' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.equal(r.headers.get('x-split-change-number'), CN);
    assert.deepEqual(r.json, { splitName: 'new_checkout', treatment: 'on' });
    const c = await get('/client/get-treatment-with-config', { key: 'alice', 'split-name': ' new_checkout ' });
    assert.deepEqual(Object.keys(c.json), ['splitName', 'treatment', 'config']);
    assert.equal(c.json.splitName, 'new_checkout');
    assert.equal(c.json.config, splits.ff.d[0].configurations.on);
    const missing = await get('/client/get-treatment-with-config', { key: 'alice', 'split-name': 'nope' });
    assert.deepEqual(missing.json, { splitName: 'nope', treatment: 'control', config: null });
  });

  test('bucketing-key', async () => {
    const r = await get('/client/get-treatment', { key: 'alice', 'bucketing-key': 'b1', 'split-name': 'new_checkout' });
    assert.equal(r.status, 200);
    const bad = await get('/client/get-treatment', { key: 'alice', 'bucketing-key': '', 'split-name': 'new_checkout' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: ['you passed an empty string, bucketing-key must be a non-empty string.'] });
  });

  test('get-treatments and with config', async () => {
    const r = await get('/client/get-treatments', { key: 'alice', 'split-names': 'new_checkout,dark_mode,,nope,new_checkout' });
    assert.deepEqual(Object.keys(r.json), ['new_checkout', 'dark_mode', 'nope']);
    assert.deepEqual(r.json.new_checkout, { treatment: 'on' });
    assert.deepEqual(r.json.nope, { treatment: 'control' });
    const c = await get('/client/get-treatments-with-config', { key: 'alice', 'split-names': 'new_checkout,dark_mode' });
    assert.equal(c.json.new_checkout.config, splits.ff.d[0].configurations.on);
    assert.equal(c.json.dark_mode.config, null);
  });

  test('by sets', async () => {
    const r = await get('/client/get-treatments-by-sets', { key: 'alice', 'flag-sets': 'checkout, Backend' });
    assert.deepEqual(Object.keys(r.json).sort(), ['checkout_upsell', 'new_checkout', 'payment_provider', 'premium_support', 'search_ranking']);
    assert.ok(!('config' in r.json.new_checkout));
    const c = await get('/client/get-treatments-with-config-by-sets', { key: 'alice', 'flag-sets': 'frontend' });
    assert.ok('config' in c.json.new_checkout);
    const none = await get('/client/get-treatments-by-sets', { key: 'alice', 'flag-sets': 'no_such_set,bad-set' });
    assert.deepEqual(none.json, {});
  });

  test('get-all-treatments', async () => {
    const keys = JSON.stringify([{ matchingKey: 'alice', trafficType: 'user' }, { matchingKey: 'acme', trafficType: 'Account' }, { matchingKey: 'x', trafficType: 'nothing' }]);
    const r = await get('/client/get-all-treatments', { keys });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.json), ['user', 'account', 'nothing']);
    assert.equal(Object.keys(r.json.user).length, 7);
    assert.deepEqual(Object.keys(r.json.account), ['account_dashboard']);
    assert.deepEqual(r.json.nothing, {});
    assert.ok(!('config' in r.json.user.new_checkout));
    const c = await get('/client/get-all-treatments-with-config', { keys });
    assert.equal(c.json.user.new_checkout.config, splits.ff.d[0].configurations.on);
    const errors = [
      [undefined, 'you passed null or undefined keys, keys must be a non-empty array.'],
      ['nope', 'keys must be a valid format.'],
      ['[]', 'there should be at least one matchingKey-trafficType element.'],
      ['[{"matchingKey":"a"}]', 'keys is array but there are errors inside of it. keys must be an array with at least one element that contain a valid matchingKey and trafficType. It can also includes bucketingKey.'],
      ['[{"matchingKey":"a","trafficType":"u"},{"matchingKey":"b","trafficType":"U "}]', 'at least one trafficType is duplicated in keys object.'],
    ];
    for (const [k, message] of errors) {
      const e = await get('/client/get-all-treatments', k === undefined ? { attributes: '5' } : { keys: k });
      assert.equal(e.status, 400, k);
      assert.deepEqual(e.json.error, k === undefined ? [message, 'attributes must be a plain object.'] : [message], k);
    }
  });

  test('attributes, POST bodies and impressions-disabled', async () => {
    // payment_provider and search_ranking use attributes in the demo; any attribute changes must
    // be honoured identically through GET (query JSON) and POST (body).
    const attrs = { plan: 'enterprise', country: 'AR', age: 40 };
    const g = await get('/client/get-treatments', { key: 'bob', 'split-names': 'payment_provider,search_ranking,premium_support', attributes: JSON.stringify(attrs) });
    const p = await post('/client/get-treatments', { key: 'bob', 'split-names': 'payment_provider,search_ranking,premium_support', attributes: 'ignored on POST' }, { attributes: attrs, impressionsDisabled: true });
    assert.equal(p.status, 200);
    assert.deepEqual(p.json, g.json);
    const badAttrs = await get('/client/get-treatment', { key: 'bob', 'split-name': 'dark_mode', attributes: '[1,2]' });
    assert.deepEqual(badAttrs.json, { error: ['attributes must be a plain object.'] });
    const badBodyAttrs = await post('/client/get-treatment', { key: 'bob', 'split-name': 'dark_mode' }, { attributes: 'x' });
    assert.deepEqual(badBodyAttrs.json, { error: ['attributes must be a plain object.'] });
    const malformed = await post('/client/get-treatment', { key: 'bob', 'split-name': 'dark_mode' }, '{"attributes":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.type, 'entity.parse.failed');
    const big = await post('/client/get-treatment', { key: 'bob', 'split-name': 'dark_mode' }, JSON.stringify({ attributes: { x: 'y'.repeat(310_000) } }));
    assert.equal(big.status, 400);
    assert.equal(big.json.error.type, 'entity.too.large');
    const sets = await post('/client/get-treatments-with-config-by-sets', { key: 'bob', 'flag-sets': 'backend' }, { attributes: attrs });
    assert.deepEqual(Object.keys(sets.json).sort(), ['payment_provider', 'premium_support', 'search_ranking']);
    assert.equal(sets.json.payment_provider.treatment, g.json.payment_provider.treatment);
    const keys = JSON.stringify([{ matchingKey: 'bob', trafficType: 'user' }]);
    const all = await post('/client/get-all-treatments', { keys }, { attributes: attrs, properties: { source: 'test' } });
    assert.equal(all.json.user.search_ranking.treatment, g.json.search_ranking.treatment);
    const disabled = await get('/client/get-treatment', { key: 'bob', 'split-name': 'dark_mode', 'impressions-disabled': 'true', properties: '{"a":1}' });
    assert.equal(disabled.status, 200);
  });

  test('validation messages in parameter order', async () => {
    const cases = [
      ['/client/get-treatment', {}, ['you passed a null or undefined key, key must be a non-empty string.', 'you passed a null or undefined split-name, split-name must be a non-empty string.']],
      ['/client/get-treatment-with-config', { key: ' ', 'split-name': ' ', attributes: 'x' }, ['you passed an empty string, key must be a non-empty string.', 'you passed an empty split-name, split-name must be a non-empty string.', 'attributes must be a plain object.']],
      ['/client/get-treatment', { key: 'k'.repeat(251), 'split-name': 'a' }, ['key too long, key must be 250 characters or less.']],
      ['/client/get-treatments', { key: 'a' }, ['you passed a null or undefined split-names, split-names must be a non-empty array.']],
      ['/client/get-treatments-with-config', { key: 'a', 'split-names': ' , ' }, ['split-names must be a non-empty array.']],
      ['/client/get-treatments-by-sets', { key: 'a' }, ['you passed a null or undefined flag-sets, flag-sets must be a non-empty array.']],
      ['/client/get-treatments-with-config-by-sets', { 'flag-sets': ' , ' }, ['you passed a null or undefined key, key must be a non-empty string.', 'you passed an empty flag-sets, flag-sets must be a non-empty array.']],
    ];
    for (const [path, params, errors] of cases) {
      const r = await get(path, params);
      assert.equal(r.status, 400, path);
      assert.deepEqual(r.json, { error: errors }, `${path} ${JSON.stringify(params)}`);
    }
  });

  test('track', async () => {
    const ok = await get('/client/track', { key: 'alice', 'traffic-type': 'user', 'event-type': 'checkout.done', value: '12.5', properties: '{"p":1}' });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, 'Successfully queued event');
    assert.equal(ok.headers.get('content-type'), 'text/html; charset=utf-8');
    const bad = await get('/client/track', { 'traffic-type': ' ', 'event-type': '-bad', value: ' ' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.error, [
      'you passed a null or undefined key, key must be a non-empty string.',
      'you passed an empty traffic-type, traffic-type must be a non-empty string.',
      'you passed "-bad", event-type must adhere to the regular expression /^[a-zA-Z0-9][-_.:a-zA-Z0-9]{0,79}$/g. This means an event_type must be alphanumeric, cannot be more than 80 characters long, and can only include a dash, underscore, period, or colon as separators of alphanumeric characters.',
      'value must be null or number.',
    ]);
    const inf = await get('/client/track', { key: 'a', 'traffic-type': 'user', 'event-type': 'e', value: 'Infinity' });
    assert.equal(inf.status, 400, 'split-evaluator hangs here; the Worker answers 400');
  });
});

describe('manager endpoints', () => {
  test('split, splits, names', async () => {
    const one = await get('/manager/split', { 'split-name': 'new_checkout' });
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.json), ['name', 'trafficType', 'killed', 'changeNumber', 'treatments', 'configs', 'sets', 'defaultTreatment', 'impressionsDisabled', 'prerequisites']);
    const all = await get('/manager/splits', {});
    assert.equal(all.json.splits.length, 8);
    const names = await get('/manager/names', {});
    assert.deepEqual(names.json.splits, all.json.splits.map((s) => s.name));
    const nf = await get('/manager/split', { 'split-name': 'nope' });
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.json, { error: 'Feature flag "nope" was not found.' });
    const bad = await get('/manager/split', {});
    assert.deepEqual(bad.json, { error: ['you passed a null or undefined split-name, split-name must be a non-empty string.'] });
  });
});

describe('admin endpoints', () => {
  test('ping, healthcheck, version, uptime, stats, unknown routes', async () => {
    assert.equal((await get('/admin/ping', {})).text, 'pong');
    const h = await get('/admin/healthcheck', {});
    assert.equal(h.status, 200);
    assert.equal(h.text, 'Split Evaluator working as expected.');
    assert.deepEqual(Object.keys((await get('/admin/version', {})).json), ['version', 'sdk', 'sdkVersion']);
    assert.match((await get('/admin/uptime', {})).text, /^\d+d \d+h \d+m \d+s$/);
    const s = (await get('/admin/stats', {})).json;
    const env = envStats(s, 'default');
    assert.equal(env.splitCount, 8);
    assert.equal(env.segmentCount, 2);
    assert.equal(env.flagsChangeNumber, splits.ff.t);
    assert.equal(typeof env.lastPushMs, 'number');
    // The isolate's wasm linear memory, in whole 64 KiB pages (what `make soak` bounds).
    assert.ok(env.wasmMemoryBytes > 0 && env.wasmMemoryBytes % 65536 === 0, `wasmMemoryBytes ${env.wasmMemoryBytes}`);
    assert.deepEqual((await get('/nowhere', {})).json, { route: 'Sorry this page does not exist!' });
    assert.equal((await call(mf, '/favicon.ico')).status, 204);
  });

  test('pushes need the admin token', async () => {
    const body = readFileSync(join(demo, 'splits.json'), 'utf8');
    const none = await call(mf, '/admin/split-changes', { method: 'POST', body });
    assert.equal(none.status, 403);
    const wrong = await call(mf, '/admin/split-changes', { method: 'POST', body, admin: ADMIN + 'x' });
    assert.equal(wrong.status, 403);
  });

  test('a malformed push is rejected with the core message and the old data keeps serving', async () => {
    const bad = structuredClone(splits);
    bad.ff.d[1].conditions = 5;
    const r = await call(mf, '/admin/split-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify(bad) });
    assert.equal(r.status, 400);
    assert.match(r.json.error, /feature flag #1 "dark_mode" is malformed at `conditions`/);
    const notJson = await call(mf, '/admin/segment-changes', { method: 'POST', admin: ADMIN, body: '{"name":"beta_testers","added":5,"till":1}' });
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.error, /segment change "beta_testers" is malformed/);
    const still = await get('/client/get-treatment', { key: 'alice', 'split-name': 'new_checkout' });
    assert.equal(still.json.treatment, 'on');
    assert.equal(still.headers.get('x-split-change-number'), CN);
  });

  test('incremental pushes: flags (kill, archive) and segments; conflicts are refused', async () => {
    const t0 = splits.ff.t;
    const killed = { ...structuredClone(splits.ff.d[0]), killed: true, changeNumber: t0 + 1 };
    const archived = { ...structuredClone(splits.ff.d[3]), status: 'ARCHIVED', changeNumber: t0 + 1 };
    const r = await call(mf, '/admin/split-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ ff: { d: [killed, archived], s: t0, t: t0 + 1 } }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.flags.flagsUpserted, 1);
    assert.equal(r.json.flags.flagsRemoved, 1);
    const t = await get('/client/get-treatment', { key: 'alice', 'split-name': 'new_checkout' });
    assert.equal(t.json.treatment, splits.ff.d[0].defaultTreatment);
    assert.equal(t.headers.get('x-split-change-number'), String(t0 + 1));
    assert.equal((await get('/manager/names', {})).json.splits.length, 7);
    // A stale base is refused (409) and changes nothing.
    const stale = await call(mf, '/admin/split-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ ff: { d: [], s: t0 - 5, t: t0 + 2 } }) });
    assert.equal(stale.status, 409);
    // Legacy shape, incremental.
    const legacy = await call(mf, '/admin/split-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ splits: [{ ...killed, killed: false }], since: t0 + 1, till: t0 + 2 }) });
    assert.equal(legacy.status, 200, legacy.text);
    assert.equal((await get('/client/get-treatment', { key: 'alice', 'split-name': 'new_checkout' })).json.treatment, 'on');
    // Segment: add carol to beta_testers incrementally.
    const seg = JSON.parse(readFileSync(join(demo, 'segments', 'beta_testers.json'), 'utf8'));
    const before = await get('/client/get-treatment', { key: 'carol', 'split-name': 'new_checkout' });
    const s = await call(mf, '/admin/segment-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ name: 'beta_testers', added: ['carol'], removed: ['bob'], since: seg.till, till: seg.till + 1 }) });
    assert.equal(s.status, 200, s.text);
    assert.deepEqual([s.json.segment.added, s.json.segment.removed, s.json.segment.keys], [1, 1, seg.added.length]);
    const afterCarol = await get('/client/get-treatment', { key: 'carol', 'split-name': 'new_checkout' });
    assert.equal(afterCarol.json.treatment, 'on');
    assert.notEqual(before.json.treatment, undefined);
    const conflict = await call(mf, '/admin/segment-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ name: 'beta_testers', added: [], removed: [], since: 1, till: 2 }) });
    assert.equal(conflict.status, 409);
    // A large segment is stored in chunks of at most 10,000 keys and read back in bulk.
    const many = Array.from({ length: 25_000 }, (_, i) => `member-${i}`);
    const big = await call(mf, '/admin/segment-changes', { method: 'POST', admin: ADMIN, body: JSON.stringify({ name: 'beta_testers', added: many, removed: [], since: -1, till: seg.till + 5 }) });
    assert.equal(big.status, 200, big.text);
    const kv = await mf.getKVNamespace('SPLIT_DATA');
    const manifest = JSON.parse(await kv.get('env/default/manifest'));
    assert.equal(manifest.segments.beta_testers.chunks.length, 3);
    assert.equal(manifest.segments.beta_testers.keyCount, 25_000);
    assert.equal((await get('/client/get-treatment', { key: 'member-24999', 'split-name': 'new_checkout' })).json.treatment, 'on');
    assert.equal((await get('/client/get-treatment', { key: 'member-25000', 'split-name': 'new_checkout' })).json.treatment, before.json.treatment, 'a non-member answers as carol did before joining');
    // Put the demo back for the other tests (full pushes replace).
    await pushFolder(mf, demo);
    assert.equal((await get('/manager/names', {})).json.splits.length, 8);
  });
});
