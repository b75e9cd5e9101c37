// Client-side synchronization and the localStorage cache in headless Chromium, through the
// browser build (`dist/web.mjs`) and a mock SDK API on another origin (CORS): memberships per
// key from the page; the cache written after a sync; a second factory in the same page
// SDK_READY_FROM_CACHE with the right treatments while Split's responses are held back, then
// SDK_READY continuing from the cached change number; an expired cache ignored
// (`expirationDays`); `clearOnInit` dropping the cache at most once a day.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startStaticServer } from '../../www/serve.mjs';
import { CHROMIUM, launchChromium } from '../browser/chromium.mjs';
import { CLIENT_SIDE_FLAGS, memberships, ROOT, SDK_KEY, startServer } from './helpers.mjs';

const PARENT = path.resolve(ROOT, '..');
const here = (p) => `/${path.relative(PARENT, p).split(path.sep).join('/')}`;
let server, browser, page, api;
/** While set, the mock API waits for it before answering. */
let hold;
const members = { alice: memberships(['beta'], []), bob: memberships([], ['big']) };

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM} (make setup-chromium)`);
  api = await startServer(async (req) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
    };
    if (req.method === 'OPTIONS') return { status: 204, body: '', headers: cors };
    if (hold) await hold;
    if (req.path === '/api/splitChanges') {
      const since = Number(new URL(req.url, 'http://x').searchParams.get('since'));
      return { headers: cors, body: since === -1 ? CLIENT_SIDE_FLAGS : { ff: { d: [], s: since, t: since }, rbs: { d: [], s: -1, t: -1 } } };
    }
    if (req.path.startsWith('/api/memberships/')) {
      return { headers: cors, body: members[decodeURIComponent(req.path.slice('/api/memberships/'.length))] ?? memberships([], []) };
    }
    return { headers: cors, status: 200, body: '' };
  });
  server = await startStaticServer({ root: PARENT, port: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(server.url + here(path.join(ROOT, 'npm/README.md')).slice(1));
  await page.evaluate(async ({ web, sdk, key }) => {
    const m = await import(web);
    await m.init();
    window.sdk = m;
    window.settings = (extra = {}) => ({
      core: { authorizationKey: key, key: 'alice' },
      urls: { sdk, events: sdk, telemetry: sdk },
      scheduler: { featuresRefreshRate: 3600 },
      storage: { type: 'LOCALSTORAGE' },
      ...extra,
    });
    /** A factory and the events of its main client, in order. */
    window.openFactory = (extra) => {
      const factory = m.SplitFactory(window.settings(extra));
      const client = factory.client();
      const events = [];
      for (const e of ['SDK_READY_FROM_CACHE', 'SDK_READY']) client.on(client.Event[e], (meta) => events.push([e, meta]));
      return { factory, client, events };
    };
    localStorage.clear();
  }, { web: here(path.join(ROOT, 'npm/dist/web.mjs')), sdk: `${api.base}/api`, key: SDK_KEY });
});

after(async () => {
  await browser?.close();
  await server?.close();
  await api?.close();
});

test('memberships per key in the page, the cache written after the sync', async () => {
  const r = await page.evaluate(async () => {
    const { factory, client, events } = window.openFactory();
    await client.whenReady();
    const bob = factory.client('bob');
    await bob.whenReady();
    const out = {
      events: events.map(([e, m]) => [e, m.initialCacheLoad]),
      alice: client.getTreatments(['seg_flag', 'large_flag']),
      bob: bob.getTreatments(['seg_flag', 'large_flag']),
      stored: Object.fromEntries(Object.keys(localStorage).sort().filter((k) => !k.includes('.split.')).map((k) => [k, localStorage.getItem(k)])),
      flag: JSON.parse(localStorage.getItem('SPLITIO.split.seg_flag')).name,
    };
    await factory.destroy();
    return out;
  });
  assert.deepEqual(r.events, [['SDK_READY_FROM_CACHE', true], ['SDK_READY', true]]);
  assert.deepEqual(r.alice, { seg_flag: 'on', large_flag: 'off' });
  assert.deepEqual(r.bob, { seg_flag: 'off', large_flag: 'on' });
  assert.equal(r.flag, 'seg_flag');
  assert.equal(r.stored['SPLITIO.splits.till'], '10');
  assert.equal(r.stored['SPLITIO.alice.segment.beta'], '1');
  assert.equal(r.stored['SPLITIO.alice.segments.till'], '20');
  assert.equal(r.stored['SPLITIO.bob.largeSegment.big'], '1');
  assert.match(r.stored['SPLITIO.hash'], /^[0-9a-f]+$/);
  assert.ok(Number(r.stored['SPLITIO.splits.lastUpdated']) > Date.now() - 60_000);
  const urls = api.requests.filter((q) => q.method === 'GET').map((q) => q.url);
  assert.ok(urls.includes('/api/memberships/alice') && urls.includes('/api/memberships/bob'), urls.join('\n'));
  assert.ok(api.requests.filter((q) => q.method === 'GET').every((q) => q.headers.authorization === `Bearer ${SDK_KEY}`));
});

test('a second factory in the page: SDK_READY_FROM_CACHE with the right treatments before its sync', async () => {
  let release;
  hold = new Promise((resolve) => (release = resolve));
  const before = api.requests.length;
  await page.evaluate(async () => {
    window.second = window.openFactory();
    window.fromCache = await window.second.client.whenReadyFromCache();
    window.beforeSync = {
      status: window.second.client.getStatus(),
      alice: window.second.client.getTreatments(['seg_flag', 'large_flag']),
      bob: window.second.factory.client('bob').getTreatments(['seg_flag', 'large_flag']),
      events: window.second.events.map(([e]) => e),
    };
  });
  hold = undefined;
  release();
  const r = await page.evaluate(async () => {
    await window.second.client.whenReady();
    const out = { fromCache: window.fromCache, beforeSync: window.beforeSync, events: window.second.events.map(([e, m]) => [e, m.initialCacheLoad]) };
    await window.second.factory.destroy();
    return out;
  });
  assert.equal(r.fromCache.initialCacheLoad, false);
  assert.ok(r.fromCache.lastUpdateTimestamp > Date.now() - 60_000);
  assert.equal(r.beforeSync.status.isReady, false);
  assert.equal(r.beforeSync.status.isReadyFromCache, true);
  assert.deepEqual(r.beforeSync.alice, { seg_flag: 'on', large_flag: 'off' });
  assert.deepEqual(r.beforeSync.bob, { seg_flag: 'off', large_flag: 'on' }, "bob's cached memberships");
  assert.deepEqual(r.beforeSync.events, ['SDK_READY_FROM_CACHE']);
  assert.deepEqual(r.events, [['SDK_READY_FROM_CACHE', false], ['SDK_READY', false]]);
  const urls = api.requests.slice(before).map((q) => q.url);
  assert.ok(urls.includes('/api/splitChanges?s=1.3&since=10&rbSince=-1'), urls.join('\n'));
  assert.ok(!urls.includes('/api/splitChanges?s=1.3&since=-1&rbSince=-1'), 'continues from the cache');
});

test('an expired cache is ignored; expirationDays; clearOnInit at most once a day', async () => {
  const r = await page.evaluate(async () => {
    const elevenDays = Date.now() - 11 * 86_400_000;
    const firstLook = (f) => ({ treatment: f.client.getTreatment('seg_flag'), fromCache: f.client.getStatus().isReadyFromCache });
    const out = {};
    // 11 days old: kept with expirationDays 20, dropped with the default (10).
    localStorage.setItem('SPLITIO.splits.lastUpdated', String(elevenDays));
    const kept = window.openFactory({ storage: { type: 'LOCALSTORAGE', expirationDays: 20 } });
    await kept.client.whenReadyFromCache();
    out.kept = firstLook(kept);
    await kept.client.whenReady();
    await kept.factory.destroy();
    localStorage.setItem('SPLITIO.splits.lastUpdated', String(elevenDays));
    const expired = window.openFactory();
    out.expired = { ...firstLook(expired), till: localStorage.getItem('SPLITIO.splits.till') };
    await expired.client.whenReady();
    out.expiredEvents = expired.events.map(([e, m]) => [e, m.initialCacheLoad]);
    await expired.factory.destroy();
    // clearOnInit: the expiry just cleared it (lastClear now): the cache is used...
    const once = window.openFactory({ storage: { type: 'LOCALSTORAGE', clearOnInit: true } });
    out.clearedToday = firstLook(once);
    await once.client.whenReady();
    await once.factory.destroy();
    // ...and dropped when the last clear is more than a day old.
    localStorage.setItem('SPLITIO.lastClear', String(Date.now() - 2 * 86_400_000));
    const cleared = window.openFactory({ storage: { type: 'LOCALSTORAGE', clearOnInit: true } });
    out.cleared = { ...firstLook(cleared), lastClear: Number(localStorage.getItem('SPLITIO.lastClear')) };
    await cleared.client.whenReady();
    out.after = cleared.client.getTreatment('seg_flag');
    await cleared.factory.destroy();
    return out;
  });
  assert.deepEqual(r.kept, { treatment: 'on', fromCache: true });
  assert.deepEqual(r.expired, { treatment: 'control', fromCache: false, till: null });
  assert.deepEqual(r.expiredEvents, [['SDK_READY_FROM_CACHE', true], ['SDK_READY', true]]);
  assert.deepEqual(r.clearedToday, { treatment: 'on', fromCache: false }, 'loaded, SDK_READY_FROM_CACHE comes a tick later');
  assert.equal(r.cleared.treatment, 'control');
  assert.ok(r.cleared.lastClear > Date.now() - 60_000);
  assert.equal(r.after, 'on');
});
