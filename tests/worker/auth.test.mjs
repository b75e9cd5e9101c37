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

/** Status, body and headers of an answer, for comparing 401s. */
const shape = (r) => ({ status: r.status, text: r.text, headers: [...r.headers.entries()].sort() });

/** Guesses of `token`: missing, empty, prefixes, extensions, one byte off, another length. */
const guesses = (token) => [undefined, '', token.slice(0, 1), token.slice(0, -1), `${token}x`, `${token}${token}`,
  `x${token.slice(1)}`, `${token.slice(0, -1)}x`, token.toUpperCase(), `Bearer ${token}`, 'z'.repeat(300)];

describe('the 401 is the same whatever the token (issue 15, auth)', () => {
  const environments = [
    { API_KEY: 'key-a', AUTH_TOKEN: 'alpha-token-1234', ID: 'a' },
    { API_KEY: 'key-b', AUTH_TOKEN: 'beta-token-56789012', ID: 'b' },
  ];
  for (const [mode, vars, token] of [
    ['single token', { SPLIT_EVALUATOR_AUTH_TOKEN: 'tok-secret-42' }, 'tok-secret-42'],
    ['environments', { SPLIT_EVALUATOR_ENVIRONMENTS: JSON.stringify(environments) }, 'beta-token-56789012'],
  ]) {
    test(`${mode}: identical status, body and headers for a missing, prefix, longer, shorter or mangled token; none echoed`, async () => {
      const mf = await start(vars);
      try {
        // The first request of an isolate takes the full path, later ones the hot path: both answer alike.
        for (const path of ['/client/get-treatment?key=a&split-name=b', '/client/get-treatments?key=a&split-names=b', '/manager/splits',
          '/admin/ping', '/admin/stats', '/admin/snapshot', '/client/evaluate-bulk', '/nowhere']) {
          const method = path === '/client/evaluate-bulk' ? 'POST' : 'GET';
          const body = method === 'POST' ? '{"keys":["a"],"flags":["b"]}' : undefined;
          const first = shape(await call(mf, path, { method, body }));
          assert.equal(first.status, 401, path);
          assert.deepEqual(JSON.parse(first.text), UNAUTHORIZED);
          for (const auth of guesses(token)) {
            const r = await call(mf, path, { method, body, auth });
            assert.deepEqual(shape(r), first, `${path} ${JSON.stringify(auth)}`);
            // (Guesses of 1 to 3 characters may be letters of the message itself.)
            if (auth?.length > 3) assert.ok(!r.text.includes(auth), 'the presented token is not echoed');
          }
          assert.notEqual((await call(mf, path, { method, body, auth: token })).status, 401, path);
        }
      } finally {
        await mf.dispose();
      }
    });
  }

  test('a wrong or missing X-Admin-Token gets the same 403 whatever its prefix or length', async () => {
    const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: 'tok-1' });
    try {
      const push = (admin) => call(mf, '/admin/split-changes', { method: 'POST', auth: 'tok-1', admin, body: '{"ff":{"d":[],"s":-1,"t":1}}' });
      const first = shape(await push(undefined));
      assert.equal(first.status, 403);
      for (const admin of guesses(ADMIN).filter((g) => g !== undefined)) {
        const r = await push(admin);
        assert.deepEqual(shape(r), first, JSON.stringify(admin));
        if (admin.length > 3) assert.ok(!r.text.includes(admin), 'the presented token is not echoed');
      }
      assert.equal((await push(ADMIN)).status, 200);
    } finally {
      await mf.dispose();
    }
  });

  test('no configured token appears in any answer (stats show the last four characters only, as split-evaluator)', async () => {
    const mf = await start({ SPLIT_EVALUATOR_ENVIRONMENTS: JSON.stringify(environments) });
    try {
      for (const path of ['/admin/stats', '/admin/snapshot', '/manager/splits', '/admin/healthcheck', '/admin/version', '/nowhere']) {
        const r = await call(mf, path, { auth: environments[0].AUTH_TOKEN });
        for (const { AUTH_TOKEN, API_KEY } of environments) {
          assert.ok(!r.text.includes(AUTH_TOKEN) && !r.text.includes(ADMIN), `${path} shows a token`);
          assert.ok(!r.text.includes(API_KEY), `${path} shows an SDK key`);
          for (const [name, value] of r.headers) assert.ok(!value.includes(AUTH_TOKEN), `${path} header ${name}`);
        }
      }
    } finally {
      await mf.dispose();
    }
  });

  test('timing of 401s by guess (a printed figure, not an assertion)', async () => {
    const token = 'tok-secret-0123456789abcdef';
    const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: token });
    try {
      const cases = { 'no header': undefined, 'wrong first byte': `x${token.slice(1)}`, 'all but the last byte': `${token.slice(0, -1)}x`,
        'a prefix': token.slice(0, 4), 'one byte longer': `${token}x` };
      for (let i = 0; i < 50; i++) await call(mf, '/manager/names', { auth: 'warm' });
      const medians = {};
      for (const [name, auth] of Object.entries(cases)) {
        const times = [];
        for (let i = 0; i < 300; i++) {
          const t0 = process.hrtime.bigint();
          await call(mf, '/manager/names', { auth });
          times.push(Number(process.hrtime.bigint() - t0) / 1000);
        }
        times.sort((a, b) => a - b);
        medians[name] = `${times[150].toFixed(0)} µs`;
      }
      console.log(`median 401 round trip through Miniflare by guess: ${JSON.stringify(medians)}`);
    } finally {
      await mf.dispose();
    }
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
