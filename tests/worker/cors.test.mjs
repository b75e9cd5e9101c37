// The CORS policy of `/admin/snapshot` (issue 16, item 5): only the origins listed in
// SPLIT_EDGE_ADMIN_ORIGINS may read it from a page, never `*`, and with no token configured
// (open mode, the local default) no page may read it unless an origin is listed. Before the fix
// the route answered `Access-Control-Allow-Origin: *` to every origin: the first two tests fail
// on that build.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call, pushFolder, root, start } from './helpers.mjs';

const PAGE = 'http://127.0.0.1:8788';
const EVIL = 'https://evil.example';
const TOKEN = 'cors-token';

/** A request to the Worker with an `Origin` header (as a page's fetch sends it). */
async function fromPage(mf, path, origin, { method = 'GET', auth, headers = {} } = {}) {
  const h = { ...headers };
  if (origin !== undefined) h.origin = origin;
  if (auth !== undefined) h.authorization = auth;
  const res = await mf.dispatchFetch(`http://localhost${path}`, { method, headers: h });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
}

const preflight = (mf, origin) => fromPage(mf, '/admin/snapshot', origin, {
  method: 'OPTIONS',
  headers: { 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
});

describe('open mode (no token configured), no origin listed', () => {
  let mf;
  before(async () => {
    mf = await start();
    await pushFolder(mf, join(root, 'demo'));
  });
  after(async () => mf?.dispose());

  test('no page may read the snapshot: no Access-Control-Allow-Origin for any origin', async () => {
    for (const origin of [PAGE, EVIL, 'null']) {
      const r = await fromPage(mf, '/admin/snapshot', origin);
      assert.equal(r.status, 200, 'the answer itself is unchanged (curl and servers still read it)');
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(r.headers.get('vary'), 'Origin');
      const p = await preflight(mf, origin);
      assert.equal(p.status, 403, origin);
      assert.equal(p.headers.get('access-control-allow-origin'), null);
      assert.match(JSON.parse(p.text).error, /SPLIT_EDGE_ADMIN_ORIGINS/);
    }
    const noOrigin = await fromPage(mf, '/admin/snapshot', undefined);
    assert.equal(noOrigin.status, 200);
    assert.ok(JSON.parse(noOrigin.text).splitChanges.ff.d.length > 0, 'a request without Origin (curl) reads it');
  });
});

describe('listed origins (SPLIT_EDGE_ADMIN_ORIGINS), token configured', () => {
  let mf;
  before(async () => {
    mf = await start({ SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN, SPLIT_EDGE_ADMIN_ORIGINS: `${PAGE}, https://ops.example.com` });
    await pushFolder(mf, join(root, 'demo'), TOKEN);
  });
  after(async () => mf?.dispose());

  test('a listed origin is named back (never *), with Vary: Origin, errors included; others get nothing', async () => {
    const ok = await fromPage(mf, '/admin/snapshot', PAGE, { auth: TOKEN });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), PAGE);
    assert.equal(ok.headers.get('vary'), 'Origin');
    assert.match(ok.headers.get('access-control-expose-headers'), /x-split-change-number/i);
    const denied = await fromPage(mf, '/admin/snapshot', 'https://ops.example.com', { auth: 'wrong' });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), 'https://ops.example.com', 'the page can show the 401');
    for (const origin of [EVIL, `${PAGE}/`, 'http://127.0.0.1:8789', 'https://ops.example.com.evil.example', 'null']) {
      const r = await fromPage(mf, '/admin/snapshot', origin, { auth: TOKEN });
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      assert.equal(r.headers.get('vary'), 'Origin');
    }
  });

  test('the preflight states the methods and headers allowed to a listed origin, and refuses others', async () => {
    const p = await preflight(mf, PAGE);
    assert.equal(p.status, 204);
    assert.equal(p.headers.get('access-control-allow-origin'), PAGE);
    assert.equal(p.headers.get('access-control-allow-methods'), 'GET, OPTIONS');
    assert.equal(p.headers.get('access-control-allow-headers'), 'Authorization, Content-Type');
    assert.equal(p.headers.get('vary'), 'Origin');
    const refused = await preflight(mf, EVIL);
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
  });

  test('other admin routes carry no CORS header', async () => {
    for (const path of ['/admin/stats', '/admin/ping', '/admin/healthcheck']) {
      const r = await fromPage(mf, path, PAGE, { auth: TOKEN });
      assert.equal(r.status, 200, path);
      assert.equal(r.headers.get('access-control-allow-origin'), null, path);
    }
  });
});

test('a bad SPLIT_EDGE_ADMIN_ORIGINS answers 500 naming the variable', async () => {
  const mf = await start({ SPLIT_EDGE_ADMIN_ORIGINS: '*' });
  try {
    const r = await call(mf, '/manager/names');
    assert.equal(r.status, 500);
    assert.match(r.json.error, /^SPLIT_EDGE_ADMIN_ORIGINS: "\*" is not an origin/);
  } finally {
    await mf.dispose();
  }
});
