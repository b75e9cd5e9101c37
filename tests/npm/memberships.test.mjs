// Client-side synchronization in the browser shape (split-edge/web in Node) against a local mock
// of Split's SDK API: a real SDK key fetches splitChanges, then GET /memberships/{key} for the
// bound key and for every factory.client(otherKey), with the SDK key as Bearer token and no
// segmentChanges; segment and large-segment matchers answer from each key's memberships; a key
// added later has its own readiness; malformed bodies and rejected keys fail as they should and
// keep what was applied. The localStorage cache with a stand-in Storage (corrupted and foreign
// entries, the hash); the cache in a real page is in memberships-chromium.test.mjs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, SplitFactory } from 'split-edge/web';
import { captureLogger, CLIENT_SIDE_FLAGS as FLAGS, memberships as ms, startServer, SDK_KEY, waitFor } from './helpers.mjs';

const require = createRequire(import.meta.url);

before(() => {
  initSync(readFileSync(require.resolve('split-edge/wasm')));
});

/** A mock SDK API: flags at since=-1, then no change; memberships from `members[key]`. */
async function splitApi(members) {
  const server = await startServer(async (req) => {
    if (req.path === '/api/splitChanges') {
      const since = Number(new URL(req.url, 'http://x').searchParams.get('since'));
      return { body: since === -1 ? FLAGS : { ff: { d: [], s: since, t: since }, rbs: { d: [], s: -1, t: -1 } } };
    }
    if (req.path.startsWith('/api/memberships/')) {
      const key = decodeURIComponent(req.path.slice('/api/memberships/'.length));
      const answer = await (typeof members === 'function' ? members(key) : members[key]);
      return answer && ('status' in answer || 'body' in answer) ? answer : { body: answer ?? ms([], []) };
    }
    return { status: 404, body: '' };
  });
  return server;
}

function settings(server, extra = {}) {
  return {
    core: { authorizationKey: SDK_KEY, key: 'alice' },
    urls: { sdk: `${server.base}/api`, events: `${server.base}/api`, telemetry: `${server.base}/api` },
    scheduler: { featuresRefreshRate: 3600 },
    startup: { readyTimeout: 5 },
    ...extra,
  };
}

const servers = [];
const factories = [];
after(async () => {
  for (const f of factories) await f.destroy();
  for (const s of servers) await s.close();
});

async function setup(members, extra) {
  const server = await splitApi(members);
  servers.push(server);
  const factory = SplitFactory(settings(server, extra));
  factories.push(factory);
  return { server, factory };
}

test('memberships per key: the requests, the Authorization header, both matchers for two keys', async () => {
  const { server, factory } = await setup({ alice: ms(['beta'], []), 'b/ob %1': ms([], ['big']) });
  const alice = factory.client();
  await alice.whenReady();
  const bob = factory.client('b/ob %1');
  await bob.whenReady();
  const paths = server.requests.map((r) => r.url);
  assert.deepEqual(paths.slice(0, 3), ['/api/splitChanges?s=1.3&since=-1&rbSince=-1', '/api/splitChanges?s=1.3&since=10&rbSince=-1', '/api/memberships/alice']);
  assert.ok(paths.includes('/api/memberships/b%2Fob%20%251'), paths.join('\n'));
  assert.ok(!paths.some((p) => p.includes('segmentChanges')), 'no segmentChanges client-side');
  for (const r of server.requests) assert.equal(r.headers.authorization, `Bearer ${SDK_KEY}`);
  assert.deepEqual(alice.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'on', large_flag: 'off' });
  assert.deepEqual(bob.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'off', large_flag: 'on' });
  // A key with a bucketing key is synchronized by its matching key; numbers become strings.
  const carol = factory.client({ matchingKey: 'alice', bucketingKey: 'x' });
  assert.equal(carol.getTreatment('seg_flag'), 'on');
  assert.equal(carol.getStatus().isReady, true, 'the bound key is synchronized already');
  const n = factory.client(42);
  await n.whenReady();
  assert.ok(server.requests.some((r) => r.url === '/api/memberships/42'));
});

test('a key added later: its client is ready once its memberships are in, SDK_READY fires once', async () => {
  let release;
  const gate = new Promise((resolve) => (release = resolve));
  const { server, factory } = await setup((key) => (key === 'late' ? gate.then(() => ({ body: ms(['beta'], ['big']) })) : { body: ms([], []) }));
  await factory.client().whenReady();
  const late = factory.client('late');
  let readies = 0;
  late.on(late.Event.SDK_READY, () => readies++);
  let resolved = false;
  void late.whenReady().then(() => (resolved = true));
  await waitFor(() => server.requests.some((r) => r.url === '/api/memberships/late'), 3000, 'the late key fetched');
  assert.equal(late.getStatus().isReady, false, 'not ready before its memberships');
  assert.equal(factory.client().getStatus().isReady, true);
  assert.equal(resolved, false);
  release();
  await late.whenReady();
  assert.equal(readies, 1);
  assert.equal(late.getStatus().isReady, true);
  assert.deepEqual(late.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'on', large_flag: 'on' });
  // One request for that key, and a second client for it fetches nothing more.
  factory.client('late', 'account');
  await factory.client('late', 'account').whenReady();
  assert.equal(server.requests.filter((r) => r.url === '/api/memberships/late').length, 1);
  // Later syncs fetch every bound key.
  await factory.sync();
  assert.equal(server.requests.filter((r) => r.url === '/api/memberships/late').length, 2);
  assert.equal(readies, 1);
});

test('SDK_UPDATE when memberships change; a failed run keeps what was applied', async () => {
  const members = { alice: ms(['beta'], []) };
  const log = captureLogger();
  const { factory } = await setup((key) => members[key], { logger: log.logger, debug: 'ERROR' });
  const alice = factory.client();
  await alice.whenReady();
  assert.equal(alice.getTreatment('seg_flag'), 'on');
  let updates = 0;
  alice.on(alice.Event.SDK_UPDATE, () => updates++);
  members.alice = ms([], ['big'], 21);
  assert.equal((await factory.sync()).ok, true);
  assert.equal(updates, 1);
  assert.deepEqual(alice.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'off', large_flag: 'on' });
  // The same lists again: no update.
  await factory.sync();
  assert.equal(updates, 1);

  members.alice = { status: 200, body: '{"ms":{"k":"beta"}}' };
  const malformed = await factory.sync();
  assert.equal(malformed.ok, false);
  assert.match(malformed.error, /memberships\/alice returned a body that does not parse.*`ms\.k` must be an array/);
  assert.equal(malformed.fatal, false);
  assert.deepEqual(alice.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'off', large_flag: 'on' }, 'kept');
  assert.ok(log.errors().some((e) => /memberships\/alice/.test(e)), log.errors().join('\n'));

  members.alice = { status: 500, body: 'down' };
  assert.match((await factory.sync()).error, /memberships\/alice answered HTTP 500/);
  members.alice = { status: 401, body: '' };
  const rejected = await factory.sync();
  assert.equal(rejected.fatal, true);
  assert.match(rejected.error, /rejected \(401\) on memberships\/alice: use a valid client-side SDK key/);
  assert.equal(alice.getTreatment('large_flag'), 'on');
});

test('a first run that fails on memberships leaves the client not ready, and readyTimeout fires', async () => {
  const { factory } = await setup({ alice: { status: 200, body: 'not json' } }, { startup: { readyTimeout: 0.3 } });
  const client = factory.client();
  const timedOut = new Promise((resolve) => client.once(client.Event.SDK_READY_TIMED_OUT, resolve));
  await assert.rejects(client.ready(), /first synchronization failed: memberships\/alice returned a body that does not parse/);
  await timedOut;
  assert.equal(client.getStatus().isReady, false);
});

test('the server-side shape and localhost keep their synchronization', async () => {
  const server = await splitApi({});
  servers.push(server);
  // The web entry without core.key: server-side shape, segmentChanges.
  const factory = SplitFactory({ core: { authorizationKey: SDK_KEY }, urls: { sdk: `${server.base}/api`, events: `${server.base}/api` }, scheduler: { featuresRefreshRate: 3600 } });
  factories.push(factory);
  await factory.client().ready().catch(() => undefined);
  assert.ok(server.requests.some((r) => r.path === '/api/segmentChanges/beta'), server.requests.map((r) => r.url).join('\n'));
  assert.ok(!server.requests.some((r) => r.path.startsWith('/api/memberships')));
});

/** A `Storage` stand-in over a Map, for the cache in Node. */
class MemoryStorage {
  constructor() { this.map = new Map(); }
  get length() { return this.map.size; }
  key(i) { return [...this.map.keys()][i] ?? null; }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

test('localStorage cache (stand-in Storage): written in the SDK layout, loaded, corrupted entries ignored', async () => {
  const storage = new MemoryStorage();
  globalThis.localStorage = storage;
  try {
    const members = { alice: ms(['beta'], ['big']), bob: ms([], ['big']) };
    const { server, factory } = await setup((key) => members[key], { storage: { type: 'LOCALSTORAGE', prefix: 'app' } });
    await factory.client().whenReady();
    await factory.client('bob').whenReady();
    await waitFor(() => storage.getItem('app.SPLITIO.bob.largeSegment.big') === '1', 3000, 'bob cached');
    assert.equal(storage.getItem('app.SPLITIO.splits.till'), '10');
    assert.equal(JSON.parse(storage.getItem('app.SPLITIO.split.seg_flag')).name, 'seg_flag');
    assert.equal(storage.getItem('app.SPLITIO.alice.segment.beta'), '1');
    assert.equal(storage.getItem('app.SPLITIO.alice.segments.till'), '20');
    assert.match(storage.getItem('app.SPLITIO.hash'), /^[0-9a-f]{1,8}$/);
    assert.ok(Number(storage.getItem('app.SPLITIO.splits.lastUpdated')) > Date.now() - 60_000);
    await factory.destroy();

    // A second factory: ready from the cache before any response (the server holds them).
    let hold;
    const held = new Promise((resolve) => (hold = resolve));
    const before = server.requests.length;
    server.setHandler(async (req) => {
      await held;
      if (req.path === '/api/splitChanges') return { body: { ff: { d: [], s: 10, t: 10 }, rbs: { d: [], s: -1, t: -1 } } };
      return { body: members[decodeURIComponent(req.path.split('/').pop())] };
    });
    // A foreign entry and a bad membership entry are ignored.
    storage.setItem('app.SPLITIO.trafficType.user', '2');
    storage.setItem('app.SPLITIO.alice.segment.junk', 'yes');
    const log = captureLogger();
    const second = SplitFactory(settings(server, { storage: { type: 'LOCALSTORAGE', prefix: 'app' }, logger: log.logger, debug: 'WARN' }));
    factories.push(second);
    const client = second.client();
    const fromCache = await client.whenReadyFromCache();
    assert.equal(fromCache.initialCacheLoad, false);
    assert.equal(client.getStatus().isReady, false);
    assert.equal(client.getStatus().isReadyFromCache, true);
    assert.deepEqual(client.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'on', large_flag: 'on' });
    assert.equal(second.client('bob').getTreatment('large_flag'), 'on', 'bob restored from the cache');
    assert.ok(log.warnings().some((w) => /ignored app\.SPLITIO\.alice\.segment\.junk/.test(w)), log.warnings().join('\n'));
    hold();
    await client.whenReady();
    assert.ok(server.requests.slice(before).some((r) => r.url === '/api/splitChanges?s=1.3&since=10&rbSince=-1'), 'continues from the cached change number');
    await second.destroy();

    // A corrupted definition: the cache is ignored (logged) and the factory syncs from -1.
    storage.setItem('app.SPLITIO.split.seg_flag', '{"name":"seg_flag",');
    server.setHandler((req) => (req.path === '/api/splitChanges'
      ? { body: Number(new URL(req.url, 'http://x').searchParams.get('since')) === -1 ? FLAGS : { ff: { d: [], s: 10, t: 10 } } }
      : { body: members.alice }));
    const log2 = captureLogger();
    const third = SplitFactory(settings(server, { storage: { type: 'LOCALSTORAGE', prefix: 'app' }, logger: log2.logger, debug: 'WARN' }));
    factories.push(third);
    const fromCacheEvents = [];
    third.client().on('init::cache-ready', (m) => fromCacheEvents.push(m));
    await third.client().whenReady();
    assert.deepEqual(fromCacheEvents, [{ initialCacheLoad: true }], 'SDK_READY_FROM_CACHE only with SDK_READY, no cache used');
    assert.ok(log2.warnings().some((w) => /cache is ignored and cleared: app\.SPLITIO\.split\.seg_flag is not a definition/.test(w)), log2.warnings().join('\n'));
    assert.equal(third.client().getTreatment('seg_flag'), 'on');
    assert.equal(JSON.parse(storage.getItem('app.SPLITIO.split.seg_flag')).name, 'seg_flag', 'rewritten');

    // Another SDK key: another hash, the cache is dropped.
    const fourth = SplitFactory(settings(server, { core: { authorizationKey: 'another-key', key: 'alice' }, storage: { type: 'LOCALSTORAGE', prefix: 'app' }, sync: { enabled: false } }));
    factories.push(fourth);
    assert.equal(fourth.client().getTreatment('seg_flag'), 'control');
    assert.equal(storage.getItem('app.SPLITIO.split.seg_flag'), null);
  } finally {
    delete globalThis.localStorage;
  }
});

test('storage LOCALSTORAGE without localStorage falls back to memory, logged', async () => {
  const log = captureLogger();
  const { factory } = await setup({ alice: ms([], []) }, { storage: { type: 'LOCALSTORAGE' }, logger: log.logger, debug: 'WARN' });
  await factory.client().whenReady();
  assert.ok(log.warnings().some((w) => /LocalStorage API is unavailable/.test(w)));
});

test("a shared client whose key's memberships never come: whenReady rejects at readyTimeout, the others stay ready", async () => {
  const { factory } = await setup((key) => (key === 'down' ? { status: 503, body: '' } : { body: ms(['beta'], []) }), { startup: { readyTimeout: 0.4 } });
  await factory.client().whenReady();
  const down = factory.client('down');
  await assert.rejects(down.whenReady(), /SDK_READY_TIMED_OUT/);
  assert.equal(down.getStatus().isReady, false);
  assert.equal(factory.client().getStatus().isReady, true);
  assert.equal(down.getTreatment('seg_flag'), 'off', 'evaluates as a key in no segment');
});

test('sync disabled: nothing is fetched for other keys, and their clients are ready with the factory', async () => {
  const server = await splitApi({});
  servers.push(server);
  const factory = SplitFactory({ ...settings(server), sync: { enabled: false }, data: { splitChanges: FLAGS } });
  factories.push(factory);
  await factory.client('bob').whenReady();
  assert.equal(factory.client('bob').getStatus().isReady, true);
  assert.equal(server.requests.length, 0);
});

test('localStorage cache (stand-in Storage): rule-based segments and archived flags', async () => {
  const storage = new MemoryStorage();
  globalThis.localStorage = storage;
  try {
    const allKeys = { matcherGroup: { combiner: 'AND', matchers: [{ matcherType: 'ALL_KEYS', negate: false }] }, partitions: [{ treatment: 'on', size: 100 }] };
    const rbFlag = {
      name: 'rb_flag', status: 'ACTIVE', seed: 3, changeNumber: 30, defaultTreatment: 'off', trafficTypeName: 'user',
      conditions: [{ matcherGroup: { combiner: 'AND', matchers: [{ matcherType: 'IN_RULE_BASED_SEGMENT', negate: false, userDefinedSegmentMatcherData: { segmentName: 'rb' } }] }, partitions: [{ treatment: 'on', size: 100 }] }],
    };
    const rb = { name: 'rb', status: 'ACTIVE', changeNumber: 30, trafficTypeName: 'user', excluded: { keys: ['bob'], segments: [] }, conditions: [{ matcherGroup: allKeys.matcherGroup }] };
    const doomed = { ...rbFlag, name: 'doomed', conditions: [allKeys] };
    let archived = false;
    const server = await startServer((req) => {
      if (req.path !== '/api/splitChanges') return { body: ms([], []) };
      const since = Number(new URL(req.url, 'http://x').searchParams.get('since'));
      if (since === -1) return { body: { ff: { d: [rbFlag, doomed], s: -1, t: 30 }, rbs: { d: [rb], s: -1, t: 30 } } };
      if (since === 30 && archived) return { body: { ff: { d: [{ ...doomed, status: 'ARCHIVED', changeNumber: 31 }], s: 30, t: 31 }, rbs: { d: [], s: 30, t: 30 } } };
      return { body: { ff: { d: [], s: since, t: since }, rbs: { d: [], s: 30, t: 30 } } };
    });
    servers.push(server);
    const first = SplitFactory(settings(server, { storage: { type: 'LOCALSTORAGE' } }));
    factories.push(first);
    await first.client().whenReady();
    assert.equal(JSON.parse(storage.getItem('SPLITIO.rbsegment.rb')).name, 'rb');
    assert.equal(storage.getItem('SPLITIO.rbsegments.till'), '30');
    assert.ok(storage.getItem('SPLITIO.split.doomed'));
    archived = true;
    await first.sync();
    assert.equal(storage.getItem('SPLITIO.split.doomed'), null, 'an archived flag leaves the cache');
    assert.equal(storage.getItem('SPLITIO.splits.till'), '31');
    await first.destroy();

    const second = SplitFactory(settings(server, { storage: { type: 'LOCALSTORAGE' }, sync: { enabled: false } }));
    factories.push(second);
    await second.client().whenReadyFromCache();
    assert.equal(second.client().getTreatment('rb_flag'), 'on');
    assert.equal(second.client('bob').getTreatment('rb_flag'), 'off', 'excluded by the cached rule-based segment');
    assert.equal(second.client().getTreatment('doomed'), 'control');
  } finally {
    delete globalThis.localStorage;
  }
});

test('localStorage cache (stand-in Storage): a splitChanges body the engine rejects is not cached', async () => {
  const storage = new MemoryStorage();
  globalThis.localStorage = storage;
  try {
    let broken = false;
    const server = await startServer((req) => {
      if (req.path !== '/api/splitChanges') return { body: ms(['beta'], []) };
      const since = Number(new URL(req.url, 'http://x').searchParams.get('since'));
      if (since === -1) return { body: FLAGS };
      if (broken) return { body: { ff: { d: [{ name: 'seg_flag', status: 'ACTIVE', conditions: 'not a list' }], s: 10, t: 11 } } };
      return { body: { ff: { d: [], s: 10, t: 10 } } };
    });
    servers.push(server);
    const factory = SplitFactory(settings(server, { storage: { type: 'LOCALSTORAGE' } }));
    factories.push(factory);
    await factory.client().whenReady();
    broken = true;
    const r = await factory.sync();
    assert.equal(r.ok, false);
    assert.match(r.error, /splitChanges returned a body that does not parse/);
    assert.ok(Array.isArray(JSON.parse(storage.getItem('SPLITIO.split.seg_flag')).conditions), 'the accepted definition stays');
    assert.equal(storage.getItem('SPLITIO.splits.till'), '10');
    assert.equal(factory.client().getTreatment('seg_flag'), 'on');
  } finally {
    delete globalThis.localStorage;
  }
});

test('localStorage cache (stand-in Storage): a key with cached memberships bound later is still fetched', async () => {
  const storage = new MemoryStorage();
  globalThis.localStorage = storage;
  try {
    const members = { alice: ms([], []), bob: ms(['beta'], []) };
    const { server, factory } = await setup((key) => members[key], { storage: { type: 'LOCALSTORAGE' } });
    await factory.client('bob').whenReady();
    await factory.destroy();
    members.bob = ms([], ['big'], 30);
    const second = SplitFactory(settings(server, { storage: { type: 'LOCALSTORAGE' } }));
    factories.push(second);
    await second.client().whenReady();
    const before = server.requests.length;
    const bob = second.client('bob');
    assert.deepEqual(bob.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'on', large_flag: 'off' }, 'cached until fetched');
    await bob.whenReady();
    assert.deepEqual(server.requests.slice(before).map((r) => r.url), ['/api/memberships/bob']);
    assert.deepEqual(bob.getTreatments(['seg_flag', 'large_flag']), { seg_flag: 'off', large_flag: 'on' });
    assert.equal(storage.getItem('SPLITIO.bob.largeSegments.till'), '30');
    assert.equal(storage.getItem('SPLITIO.bob.segment.beta'), null);
  } finally {
    delete globalThis.localStorage;
  }
});
