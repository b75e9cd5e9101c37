// `GET /admin/snapshot`: the data an environment serves as loadable bodies, readable across
// origins by the pages of SPLIT_EDGE_ADMIN_ORIGINS (CORS, preflight included; cors.test.mjs has
// the policy) with the environment's Authorization.
// `POST /admin/snapshot`: the same shape pushed back, the whole environment in one request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { start, call, pushFolder, root, ADMIN } from './helpers.mjs';

const TOKEN = 'snap-token';
const demo = join(root, 'demo');
const PAGE = 'http://127.0.0.1:8788';
/** `call` from the page's origin. */
const fromPage = async (mf, path, auth) => {
  const res = await mf.dispatchFetch(`http://localhost${path}`, { headers: { origin: PAGE, ...(auth ? { authorization: auth } : {}) } });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
};

test('the snapshot export answers what the environment serves, with CORS', { timeout: 60_000 }, async () => {
  const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN, SPLIT_EDGE_ADMIN_ORIGINS: PAGE });
  try {
    const empty = await fromPage(mf, '/admin/snapshot', TOKEN);
    assert.equal(empty.status, 404);
    assert.match(empty.json.error, /no rollout data/);
    assert.equal(empty.headers.get('access-control-allow-origin'), PAGE);

    const preflight = await mf.dispatchFetch('http://localhost/admin/snapshot', {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), PAGE);
    assert.match(preflight.headers.get('access-control-allow-headers'), /authorization/i);

    const denied = await fromPage(mf, '/admin/snapshot');
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), PAGE, 'errors are readable by the page too');

    await pushFolder(mf, demo, TOKEN);
    const r = await fromPage(mf, '/admin/snapshot', TOKEN);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('access-control-allow-origin'), PAGE);
    const pushed = JSON.parse(readFileSync(join(demo, 'splits.json'), 'utf8'));
    assert.equal(r.headers.get('x-split-change-number'), String(pushed.ff.t));
    assert.deepEqual(r.json.splitChanges.ff.d, pushed.ff.d, 'the stored definitions, unchanged');
    assert.deepEqual(r.json.splitChanges.rbs.d, pushed.rbs.d);
    const segments = readdirSync(join(demo, 'segments')).sort().map((f) => JSON.parse(readFileSync(join(demo, 'segments', f), 'utf8')));
    assert.deepEqual(
      r.json.segmentChanges,
      segments.map((s) => ({ name: s.name, added: [...s.added].sort(), removed: [], since: -1, till: s.till })),
    );
    // Other routes carry no CORS headers.
    const other = await fromPage(mf, '/admin/ping', TOKEN);
    assert.equal(other.headers.get('access-control-allow-origin'), null);

    // Loading the export into a second Worker gives the same answers.
    const copy = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN });
    try {
      const push = (path, body) => call(copy, path, { method: 'POST', auth: TOKEN, admin: ADMIN, body: JSON.stringify(body) });
      assert.equal((await push('/admin/split-changes', r.json.splitChanges)).status, 200);
      for (const s of r.json.segmentChanges) assert.equal((await push('/admin/segment-changes', s)).status, 200);
      for (const key of ['alice', 'bob', 'carol', 'dave', 'erin']) {
        const q = `/client/get-treatments-with-config?key=${key}&split-names=${pushed.ff.d.map((f) => f.name).join(',')}&attributes=${encodeURIComponent('{"plan":"pro","app_version":"2.3.1"}')}`;
        const a = await call(mf, q, { auth: TOKEN });
        const b = await call(copy, q, { auth: TOKEN });
        assert.equal(a.status, 200);
        assert.deepEqual(b.json, a.json, key);
      }
    } finally {
      await copy.dispose();
    }
  } finally {
    await mf.dispose();
  }
});

test('POST /admin/snapshot replaces the environment in one request; a bad body names its field and keeps what is served', { timeout: 60_000 }, async () => {
  const source = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN });
  const mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN });
  try {
    await pushFolder(source, demo, TOKEN);
    const exported = (await call(source, '/admin/snapshot', { auth: TOKEN })).json;
    const post = (body) => call(mf, '/admin/snapshot', { method: 'POST', auth: TOKEN, admin: ADMIN, body: typeof body === 'string' ? body : JSON.stringify(body) });

    const noAdmin = await call(mf, '/admin/snapshot', { method: 'POST', auth: TOKEN, body: JSON.stringify(exported) });
    assert.equal(noAdmin.status, 403);

    const r = await post(exported);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.flags, exported.splitChanges.ff.d.length);
    assert.equal(r.json.segments, exported.segmentChanges.length);
    assert.equal(r.json.segmentKeys, exported.segmentChanges.reduce((n, s) => n + s.added.length, 0));
    const names = exported.splitChanges.ff.d.map((f) => f.name).join(',');
    const q = (key) => `/client/get-treatments-with-config?key=${key}&split-names=${names}&attributes=${encodeURIComponent('{"plan":"pro","app_version":"2.3.1"}')}`;
    const before = {};
    for (const key of ['alice', 'bob', 'carol', 'dave', 'erin']) {
      const [a, b] = [await call(source, q(key), { auth: TOKEN }), await call(mf, q(key), { auth: TOKEN })];
      assert.equal(b.status, 200);
      assert.deepEqual(b.json, a.json, key);
      before[key] = b.json;
    }
    const again = await call(mf, '/admin/snapshot', { auth: TOKEN });
    assert.deepEqual(again.json, exported, 'the export of the pushed snapshot is the snapshot');

    const cases = [
      ['not json', /the body must be \{"splitChanges"/],
      [{ segmentChanges: [] }, /splitChanges/],
      [{ ...exported, segmentChanges: [exported.segmentChanges[0], { name: 'x', added: 'nope', removed: [], since: -1, till: 1 }] }, /^segmentChanges\[1\]: .*nothing was written/],
      [{ ...exported, splitChanges: { ff: { d: [], s: 5, t: 6 } } }, /^splitChanges: .*since=5/],
    ];
    for (const [body, message] of cases) {
      const bad = await post(body);
      assert.ok(bad.status === 400 || bad.status === 409, `${bad.status} ${bad.text}`);
      assert.match(bad.json.error, message);
    }
    for (const key of Object.keys(before)) {
      assert.deepEqual((await call(mf, q(key), { auth: TOKEN })).json, before[key], `${key}: still served after the rejected bodies`);
    }
  } finally {
    await source.dispose();
    await mf.dispose();
  }
});
