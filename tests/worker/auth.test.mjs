// Auth (spec §8.3) and environments (SPLIT_EVALUATOR_ENVIRONMENTS): each token selects an
// environment whose data lives under its own KV prefix.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN, call, pushFolder, root, start } from './helpers.mjs';

const demo = join(root, 'demo');
const UNAUTHORIZED = { error: 'Unauthorized' };

describe('single token (SPLIT_EVALUATOR_AUTH_TOKEN)', () => {
  let mf;
  before(async () => { mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: 'tok-1' }); });
  after(async () => mf?.dispose());

  test('every route needs the exact token', async () => {
    for (const path of ['/client/get-treatment?key=a&split-name=b', '/manager/names', '/admin/ping', '/admin/stats', '/nowhere']) {
      for (const auth of [undefined, 'tok-2', 'Bearer tok-1', 'TOK-1', 'tok-']) {
        const r = await call(mf, path, { auth });
        assert.equal(r.status, 401, `${path} ${auth}`);
        assert.deepEqual(r.json, UNAUTHORIZED);
      }
      assert.equal((await call(mf, path, { auth: 'tok-1' })).status, 200, path);
    }
    const push = await call(mf, '/admin/split-changes', { method: 'POST', admin: ADMIN, body: '{}' });
    assert.equal(push.status, 401, 'the admin token alone is not enough');
  });

  test('before any push: control, not ready', async () => {
    const r = await call(mf, '/client/get-treatment?key=a&split-name=new_checkout', { auth: 'tok-1' });
    assert.deepEqual(r.json, { splitName: 'new_checkout', treatment: 'control' });
    assert.equal(r.headers.get('x-split-change-number'), '-1');
    const h = await call(mf, '/admin/healthcheck', { auth: 'tok-1' });
    assert.equal(h.status, 500);
    assert.equal(h.text, 'Split evaluator engine is not evaluating traffic properly.');
  });
});

describe('two environments (SPLIT_EVALUATOR_ENVIRONMENTS)', () => {
  let mf;
  const environments = [
    { API_KEY: 'key-prod', AUTH_TOKEN: 'prod-token', ID: 'prod' },
    { API_KEY: 'key-stage', AUTH_TOKEN: 'stage-token', FLAG_SET_FILTER: 'frontend' },
  ];
  before(async () => { mf = await start({ SPLIT_EVALUATOR_ENVIRONMENTS: JSON.stringify(environments) }); });
  after(async () => mf?.dispose());

  test('data is separate per environment and the filter applies', async () => {
    await pushFolder(mf, demo, 'prod-token');
    const stage = JSON.parse(readFileSync(join(demo, 'splits.json'), 'utf8'));
    stage.ff.t += 100;
    for (const f of stage.ff.d) f.killed = true;
    const r = await call(mf, '/admin/split-changes', { method: 'POST', auth: 'stage-token', admin: ADMIN, body: JSON.stringify(stage) });
    assert.equal(r.status, 200, r.text);

    const q = '/client/get-treatment?key=alice&split-name=new_checkout';
    const prod = await call(mf, q, { auth: 'prod-token' });
    const st = await call(mf, q, { auth: 'stage-token' });
    assert.equal(prod.json.treatment, 'on');
    assert.equal(st.json.treatment, 'off', 'killed in stage');
    assert.equal(st.headers.get('x-split-change-number'), String(stage.ff.t));
    // stage keeps only the `frontend` set.
    const names = (await call(mf, '/manager/names', { auth: 'stage-token' })).json.splits;
    assert.deepEqual(names.sort(), ['dark_mode', 'legacy_banner', 'new_checkout']);
    assert.equal((await call(mf, '/manager/names', { auth: 'prod-token' })).json.splits.length, 8);
    const bySets = await call(mf, '/client/get-treatments-by-sets?key=alice&flag-sets=checkout', { auth: 'stage-token' });
    assert.deepEqual(bySets.json, {}, 'sets outside the filter answer nothing');
    assert.equal((await call(mf, q, { auth: 'nope' })).status, 401);
    assert.equal((await call(mf, q)).status, 401);

    // KV: one manifest per environment prefix.
    const kv = await mf.getKVNamespace('SPLIT_DATA');
    const { keys } = await kv.list({ prefix: 'env/' });
    const manifests = keys.map((k) => k.name).filter((n) => n.endsWith('/manifest')).sort();
    assert.equal(manifests.length, 2);
    assert.ok(manifests.includes('env/prod/manifest'));
    assert.ok(manifests.some((m) => /^env\/env-[0-9a-f]{16}\/manifest$/.test(m)));
    const stats = (await call(mf, '/admin/stats', { auth: 'prod-token' })).json;
    // Every environment, keyed by its obfuscated token (as split-evaluator's stats).
    assert.deepEqual(Object.keys(stats.environments), ['######oken', '#######oken']);
    assert.equal(stats.environments['######oken'].id, 'prod');
    assert.match(stats.environments['#######oken'].id, /^env-[0-9a-f]{16}$/);
    assert.equal(stats.environments['######oken'].splitCount, 8);
    assert.equal(stats.environments['#######oken'].splitCount, 3, 'the other environment is loaded for the report');
  });
});

describe('configuration errors', () => {
  test('a bad SPLIT_EVALUATOR_ENVIRONMENTS answers 500 naming the problem', async () => {
    const mf = await start({ SPLIT_EVALUATOR_ENVIRONMENTS: '[{"API_KEY":"k"}]' });
    try {
      const r = await call(mf, '/manager/names', { auth: 'x' });
      assert.equal(r.status, 500);
      assert.match(r.json.error, /SPLIT_EVALUATOR_ENVIRONMENTS\[0\]: AUTH_TOKEN is required/);
    } finally {
      await mf.dispose();
    }
  });
});
