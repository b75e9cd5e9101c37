// Synchronization with Split's SDK API (spec §7.1–7.3) against a local node:http server, using the
// recorded responses of tests/fixtures/sync/ (see its README) and a small dynamic server.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SplitFactory } from 'split-edge';
import { captureLogger, readJson, SDK_KEY, SYNC_FIXTURES_DIR, sleep, snapshotData, startServer, waitFor } from './helpers.mjs';

const MULTIPAGE = path.join(SYNC_FIXTURES_DIR, 'multipage');
const FINAL = path.join(MULTIPAGE, 'final');

/** Routes of a recorded scenario: "/splitChanges?…" → absolute file. */
function routes(scenario) {
  const dir = path.join(SYNC_FIXTURES_DIR, scenario);
  const map = readJson(path.join(dir, 'routes.json'));
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, path.join(dir, v)]));
}

let server;
/** Requests the routes did not know. */
let unexpected;
let table;

/** Answers from the route table under `/api`; anything else is a 404 and recorded as unexpected. */
function routeHandler(req) {
  const route = req.url.replace(/^\/api/, '');
  const file = table[route];
  if (!file) {
    unexpected.push(req.url);
    return { status: 404, body: `no route for ${route}` };
  }
  return { status: 200, body: readFileSync(file, 'utf8') };
}

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});
beforeEach(() => {
  server.clear();
  unexpected = [];
  table = { ...routes('multipage') };
  server.setHandler(routeHandler);
});

/** An instance with sync under manual control (no first sync, no timers). */
function manual(settings = {}) {
  return SplitFactory({
    core: { authorizationKey: SDK_KEY },
    urls: { sdk: `${server.base}/api`, events: `${server.base}/events`, telemetry: `${server.base}/telemetry` },
    ...settings,
    sync: { enabled: false, ...(settings.sync ?? {}) },
  });
}

const KEYS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'mallory', 'oscar', 'zed', 'mallory@example.com', 'user_1', 'user_2'];
const ATTRS = [undefined, { email: 'someone@split.io' }, { email: 'x@example.com', plan: 'premium' }];

/** Every answer (treatment, config, label) of `f` for KEYS × ATTRS × its flags. */
function answers(f) {
  const names = f.manager().names();
  const out = {};
  for (const key of KEYS) {
    for (const [i, attrs] of ATTRS.entries()) {
      for (const flag of names) {
        const e = f.client().explain(key, flag, attrs);
        out[`${key}/${i}/${flag}`] = [e.treatment, e.config, e.label];
      }
    }
  }
  return out;
}

describe('sync(): splitChanges and segmentChanges loops', () => {
  test('multi-page flags (since/till), ARCHIVED removal, segment discovery and segment pages', async () => {
    const f = manual();
    assert.equal(f.client().getTreatment('alice', 'pricing'), 'control', 'nothing before the sync');
    const r = await f.sync();
    assert.deepEqual(r, { ok: true, requests: 13 });
    assert.deepEqual(unexpected, []);
    const urls = server.requests.map((q) => q.url);
    assert.deepEqual(urls.slice(0, 3), [
      '/api/splitChanges?s=1.3&since=-1&rbSince=-1',
      '/api/splitChanges?s=1.3&since=1000&rbSince=500',
      '/api/splitChanges?s=1.3&since=2000&rbSince=600',
    ], 'flag pages in order, since = previous till');
    assert.deepEqual(urls.slice(3).sort(), Object.keys(routes('multipage')).filter((u) => u.startsWith('/segmentChanges')).map((u) => `/api${u}`).sort());
    // Each segment's pages in order.
    for (const seg of ['employees', 'premium_users', 'beta_testers', 'blocked_users']) {
      const pages = urls.filter((u) => u.startsWith(`/api/segmentChanges/${seg}?`));
      const expected = Object.keys(routes('multipage')).filter((u) => u.startsWith(`/segmentChanges/${seg}?`)).map((u) => `/api${u}`);
      assert.deepEqual(pages, expected, seg);
    }
    for (const q of server.requests) {
      assert.equal(q.method, 'GET');
      assert.equal(q.headers.authorization, `Bearer ${SDK_KEY}`);
      assert.equal(q.headers.splitsdkversion, f.version);
      assert.equal(q.headers.accept, 'application/json');
      assert.equal(q.headers.splitsdkimpressionsmode, undefined);
    }
    // The synced data equals the same data loaded from files (final/).
    const fromFiles = SplitFactory({ core: { authorizationKey: 'localhost' }, data: snapshotData(FINAL, 'splitChanges.json') });
    assert.deepEqual(f.manager().names(), fromFiles.manager().names());
    assert.ok(!f.manager().names().includes('old_feature'), 'old_feature was ARCHIVED in page 2');
    assert.deepEqual(f.manager().splits(), fromFiles.manager().splits());
    assert.deepEqual(answers(f), answers(fromFiles));
    assert.equal(f.client().explain('alice', 'pricing').label, 'in segment premium_users', 'a segment first referenced in page 2');
    assert.equal(f.client().explain('grace', 'pricing').label, 'in segment premium_users', 'a segment key added in page 3 of premium_users');
  });

  test('the next sync continues from the stored change numbers', async () => {
    const f = manual();
    assert.equal((await f.sync()).ok, true);
    server.clear();
    const r = await f.sync();
    assert.deepEqual(r, { ok: true, requests: 5 });
    const urls = server.requests.map((q) => q.url).sort();
    assert.deepEqual(urls, [
      '/api/segmentChanges/beta_testers?since=30',
      '/api/segmentChanges/blocked_users?since=40',
      '/api/segmentChanges/employees?since=20',
      '/api/segmentChanges/premium_users?since=55',
      '/api/splitChanges?s=1.3&since=2000&rbSince=600',
    ]);
    assert.deepEqual(unexpected, []);
  });

  test('a bySet filter adds &sets= (lowercased, sorted) and keeps only those flags', async () => {
    table = { ...routes('multipage'), ...routes('filter') };
    const f = manual({ sync: { splitFilters: [{ type: 'bySet', values: ['pricing', 'Checkout'] }] } });
    const r = await f.sync();
    assert.equal(r.ok, true, r.error);
    assert.deepEqual(unexpected, []);
    const flagUrls = server.requests.map((q) => q.url).filter((u) => u.includes('/splitChanges'));
    assert.deepEqual(flagUrls, [
      '/api/splitChanges?s=1.3&since=-1&rbSince=-1&sets=checkout,pricing',
      '/api/splitChanges?s=1.3&since=2000&rbSince=600&sets=checkout,pricing',
    ]);
    assert.deepEqual([...f.manager().names()].sort(), ['checkout_v2', 'pricing'], 'banner (sets: marketing) is left out');
    assert.deepEqual(Object.keys(f.client().getTreatmentsByFlagSet('alice', 'checkout')).sort(), ['checkout_v2', 'pricing']);
  });

  test('a Split Proxy without spec 1.3 (400): falls back to s=1.2 and the legacy body', async () => {
    table = routes('legacy');
    server.setHandler((req) => (req.url.includes('s=1.3') ? { status: 400, body: 'unsupported spec' } : routeHandler(req)));
    const f = manual();
    const r = await f.sync();
    assert.equal(r.ok, true, r.error);
    const urls = server.requests.map((q) => q.url);
    assert.equal(urls[0], '/api/splitChanges?s=1.3&since=-1&rbSince=-1');
    assert.deepEqual(urls.filter((u) => u.includes('s=1.2')), ['/api/splitChanges?s=1.2&since=-1', '/api/splitChanges?s=1.2&since=1000', '/api/splitChanges?s=1.2&since=1900']);
    assert.deepEqual(unexpected, []);
    assert.deepEqual([...f.manager().names()].sort(), ['banner', 'checkout_v2']);
  });
});

describe('sync() failures', () => {
  test('401: {ok: false, fatal: true} with an error naming the rejected key; logged', async () => {
    server.setHandler(() => ({ status: 401, body: 'unauthorized' }));
    const log = captureLogger();
    const f = manual({ debug: 'ERROR', logger: log.logger });
    const r = await f.sync();
    assert.equal(r.ok, false);
    assert.equal(r.fatal, true);
    assert.equal(r.requests, 1);
    assert.match(r.error, /401/);
    assert.match(r.error, /SDK key/);
    assert.ok(log.errors().some((m) => m.startsWith('sync: ') && m.includes('401')), JSON.stringify(log.logs));
  });

  test('404 on splitChanges and 403 on a segment are fatal', async () => {
    server.setHandler(() => ({ status: 404, body: 'not found' }));
    const r404 = await manual().sync();
    assert.equal(r404.ok, false);
    assert.equal(r404.fatal, true);
    assert.match(r404.error, /404/);

    server.setHandler((req) => (req.url.includes('/segmentChanges/') ? { status: 403, body: 'forbidden' } : routeHandler(req)));
    const f = manual();
    const r403 = await f.sync();
    assert.equal(r403.ok, false);
    assert.equal(r403.fatal, true);
    assert.match(r403.error, /403/);
    assert.ok(f.manager().names().includes('pricing'), 'the flags fetched before are kept');
  });

  test('500: not fatal; the data already loaded keeps answering; the next run recovers', async () => {
    const f = manual();
    assert.equal((await f.sync()).ok, true);
    const before = answers(f);
    server.setHandler(() => ({ status: 500, body: 'oops' }));
    const r = await f.sync();
    assert.equal(r.ok, false);
    assert.equal(r.fatal, false);
    assert.match(r.error, /500/);
    assert.deepEqual(answers(f), before);
    server.setHandler(routeHandler);
    assert.deepEqual(await f.sync(), { ok: true, requests: 5 });
  });

  test('500 on the first sync, then success: the instance becomes ready', async () => {
    server.setHandler(() => ({ status: 500, body: 'oops' }));
    const f = manual();
    const r = await f.sync();
    assert.equal(r.ok, false);
    assert.equal(r.fatal, false);
    assert.equal(f.client().explain('alice', 'pricing').label, 'not ready');
    server.setHandler(routeHandler);
    assert.equal((await f.sync()).ok, true);
    assert.equal(f.client().explain('alice', 'pricing').label, 'in segment premium_users');
  });

  test('a malformed body or a network error: not fatal, nothing applied', async () => {
    server.setHandler((req) => (req.url.includes('/splitChanges') ? { status: 200, body: '{"ff": {"d": [' } : routeHandler(req)));
    const f = manual();
    const r = await f.sync();
    assert.equal(r.ok, false);
    assert.equal(r.fatal, false);
    assert.match(r.error, /splitChanges/);
    assert.deepEqual(f.manager().names(), []);

    const dead = SplitFactory({ core: { authorizationKey: SDK_KEY }, urls: { sdk: 'http://127.0.0.1:9/api' }, sync: { enabled: false } });
    const rn = await dead.sync();
    assert.equal(rn.ok, false);
    assert.equal(rn.fatal, false);
    assert.equal(typeof rn.error, 'string');
  });
});

// ------------------------------------------------------------------------------------------------
/** A flag every key gets `treatment` of. */
function flag(name, treatment, changeNumber, status = 'ACTIVE') {
  return {
    name, trafficTypeName: 'user', status, killed: false, defaultTreatment: 'off', changeNumber, seed: 1, trafficAllocation: 100, sets: [],
    conditions: [{ conditionType: 'ROLLOUT', label: 'everyone', matcherGroup: { combiner: 'AND', matchers: [{ keySelector: { trafficType: 'user', attribute: null }, matcherType: 'ALL_KEYS', negate: false }] }, partitions: [{ treatment, size: 100 }] }],
  };
}

/** A dynamic SDK API: `changes` holds flags by change number; answers any `since`. */
function dynamicApi(changes, delayMs = 0) {
  return async (req) => {
    if (delayMs) await sleep(delayMs);
    const url = new URL(req.url, 'http://x');
    if (url.pathname !== '/api/splitChanges') return { status: 404, body: 'no' };
    const since = Number(url.searchParams.get('since'));
    const latest = new Map();
    for (const f of changes.filter((c) => c.changeNumber > since)) latest.set(f.name, f);
    const till = Math.max(since, ...changes.map((c) => c.changeNumber));
    return { status: 200, body: { ff: { d: [...latest.values()], s: since, t: till }, rbs: { d: [], s: 1, t: 1 } } };
  };
}

describe('automatic synchronization (sync enabled)', () => {
  test('ready() resolves after the first sync; featuresRefreshRate polls; destroy() stops it', async () => {
    const changes = [flag('feature_a', 'on', 1000)];
    server.setHandler(dynamicApi(changes));
    const f = SplitFactory({
      core: { authorizationKey: SDK_KEY },
      urls: { sdk: `${server.base}/api`, events: `${server.base}/events`, telemetry: `${server.base}/telemetry` },
      scheduler: { featuresRefreshRate: 0.2 },
    });
    try {
      await f.client().ready();
      assert.equal(f.client().getTreatment('k', 'feature_a'), 'on');
      changes.push(flag('feature_b', 'v2', 2000), { ...flag('feature_a', 'on', 2000), status: 'ARCHIVED' });
      await waitFor(() => f.client().getTreatment('k', 'feature_b') === 'v2', 3000, 'feature_b to arrive by polling');
      assert.equal(f.client().getTreatment('k', 'feature_a'), 'control', 'feature_a archived');
    } finally {
      await f.destroy();
    }
    await sleep(100); // a run in flight at destroy() may finish
    const n = server.requests.length;
    await sleep(500);
    assert.equal(server.requests.length, n, 'no polling after destroy()');
  });

  test('ready() rejects when the first sync fails (401), with the reason', async () => {
    server.setHandler(() => ({ status: 401, body: 'nope' }));
    const f = SplitFactory({ core: { authorizationKey: SDK_KEY }, urls: { sdk: `${server.base}/api`, events: `${server.base}/events` }, scheduler: { featuresRefreshRate: 3600 } });
    await assert.rejects(f.client().ready(), (e) => e instanceof Error && /first synchronization failed/.test(e.message) && /401/.test(e.message));
    await f.destroy();
  });

  test('sync() right after SplitFactory (the first sync still running) resolves', async () => {
    server.setHandler(dynamicApi([flag('feature_a', 'on', 1000)], 100));
    const f = SplitFactory({ core: { authorizationKey: SDK_KEY }, urls: { sdk: `${server.base}/api`, events: `${server.base}/events` }, scheduler: { featuresRefreshRate: 3600 } });
    try {
      const r = await f.sync();
      assert.equal(r.ok, true);
      await f.client().ready();
      assert.equal(f.client().getTreatment('k', 'feature_a'), 'on');
    } finally {
      await f.client().ready().catch(() => undefined);
      await f.destroy();
    }
  });

  test('a sync slower than featuresRefreshRate causes no unhandled rejection', async () => {
    const unhandled = [];
    const onUnhandled = (e) => unhandled.push(e instanceof Error ? e.message : String(e));
    process.on('unhandledRejection', onUnhandled);
    server.setHandler(dynamicApi([flag('feature_a', 'on', 1000)], 300));
    const f = SplitFactory({ core: { authorizationKey: SDK_KEY }, urls: { sdk: `${server.base}/api`, events: `${server.base}/events` }, scheduler: { featuresRefreshRate: 0.1 } });
    try {
      await f.client().ready();
      await sleep(800);
      assert.equal(f.client().getTreatment('k', 'feature_a'), 'on');
    } finally {
      await f.destroy();
      await sleep(350); // let the last run end
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled.slice(0, 2), []);
  });
});
