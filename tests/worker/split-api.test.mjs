// Impressions, events and the impression listener delivered to Split, and pull mode (the cron
// synchronizing from Split's SDK API), against a local node:http server standing in for Split's
// SDK, events and telemetry APIs and a listener webhook.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, pushFolder, root, sleep, start, envStats } from './helpers.mjs';

const KEY = 'sdk-key-for-tests';
const SDK_VERSION = 'split-edge-worker-0.1.0';
const FIXTURES = join(root, 'tests', 'fixtures', 'sync', 'multipage');

/** A fake Split: records every request; `respond(req)` may answer ({status, body}) first. */
async function fakeSplit() {
  const fake = {
    received: [],
    respond: null,
    sdkRoutes: {},
    sdkStatus: null,
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const entry = { method: req.method, url: req.url, headers: req.headers, body };
      fake.received.push(entry);
      const answer = (status, text = '') => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(text); };
      const custom = fake.respond?.(entry);
      if (custom) return answer(custom.status, custom.body ?? '');
      if (req.url.startsWith('/sdk/api/')) {
        if (fake.sdkStatus) return answer(fake.sdkStatus, '{"message":"nope"}');
        const file = fake.sdkRoutes[req.url.slice('/sdk/api'.length)];
        return file ? answer(200, readFileSync(join(FIXTURES, file), 'utf8')) : answer(404, 'no route');
      }
      return answer(200);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  fake.vars = {
    SPLIT_EVALUATOR_SDK_URL: `${base}/sdk/api`,
    SPLIT_EVALUATOR_EVENTS_URL: `${base}/events/api`,
    SPLIT_EVALUATOR_TELEMETRY_URL: `${base}/telemetry/api`,
    SPLIT_EVALUATOR_API_KEY: KEY,
  };
  fake.listenerUrl = `${base}/listener`;
  fake.posts = (path) => fake.received.filter((r) => r.method === 'POST' && r.url === path);
  fake.waitFor = async (path, count = 1) => {
    for (let i = 0; i < 100 && fake.posts(path).length < count; i++) await sleep(50);
    return fake.posts(path);
  };
  fake.close = () => new Promise((r) => server.close(r));
  return fake;
}

const cron = async (mf) => (await mf.getWorker()).scheduled({ cron: '*/5 * * * *' });

function assertSplitHeaders(post, mode) {
  assert.equal(post.headers.authorization, `Bearer ${KEY}`);
  assert.equal(post.headers.splitsdkversion, SDK_VERSION);
  assert.equal(post.headers['content-type'], 'application/json');
  assert.equal(post.headers.accept, 'application/json');
  if (mode) assert.equal(post.headers.splitsdkimpressionsmode, mode);
}

describe('impressions and events', () => {
  let fake;
  before(async () => { fake = await fakeSplit(); });
  after(async () => fake.close());

  test('OPTIMIZED impressions and events arrive after a cron run', async () => {
    const mf = await start({ ...fake.vars, SPLIT_EDGE_SYNC: 'off' });
    try {
      await pushFolder(mf, join(root, 'demo'));
      for (let i = 0; i < 2; i++) {
        const r = await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
        assert.equal(r.json.treatment, 'on');
      }
      const t = await call(mf, '/client/track?key=alice&traffic-type=user&event-type=checkout&value=42');
      assert.equal(t.status, 200);
      assert.equal(fake.posts('/events/api/testImpressions/bulk').length, 0, 'nothing is due before the cron');
      await cron(mf);
      const [imp] = fake.posts('/events/api/testImpressions/bulk');
      assertSplitHeaders(imp, 'OPTIMIZED');
      const body = JSON.parse(imp.body);
      const m = body[0]?.i?.[0]?.m;
      assert.equal(typeof m, 'number');
      assert.equal(imp.body, JSON.stringify([{ f: 'new_checkout', i: [{ k: 'alice', t: 'on', m, c: 1700000000100, r: 'beta testers' }] }]));
      const [ev] = fake.posts('/events/api/events/bulk');
      assertSplitHeaders(ev);
      const ts = JSON.parse(ev.body)[0].timestamp;
      assert.equal(ev.body, JSON.stringify([{ eventTypeId: 'checkout', trafficTypeName: 'user', value: 42, timestamp: ts, key: 'alice', properties: null }]));
      const [counts] = fake.posts('/events/api/testImpressions/count');
      assert.ok(counts, 'impression counts are posted too');
      assert.equal(JSON.parse(counts.body).pf[0].f, 'new_checkout');
      const stats = await call(mf, '/admin/stats');
      const rec = envStats(stats.json, 'default').recorder;
      assert.equal(rec.impressions.sent, 1);
      assert.equal(rec.events.sent, 1);
      assert.equal(rec.deduplicated, 1);
      assert.equal(envStats(stats.json, 'default').impressionsMode, 'OPTIMIZED');
    } finally {
      await mf.dispose();
    }
  });

  test('DEBUG impressions and events are posted after the request that made them due', async () => {
    fake.received.length = 0;
    const mf = await start({
      ...fake.vars,
      SPLIT_EDGE_SYNC: 'off',
      SPLIT_EVALUATOR_GLOBAL_CONFIG: JSON.stringify({ sync: { impressionsMode: 'debug' }, scheduler: { impressionsQueueSize: 2 } }),
      SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE: '1',
    });
    try {
      await pushFolder(mf, join(root, 'demo'));
      await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
      await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
      const [imp] = await fake.waitFor('/events/api/testImpressions/bulk');
      assert.ok(imp, 'the full batch was posted after the request');
      assertSplitHeaders(imp, 'DEBUG');
      const [a, b] = JSON.parse(imp.body)[0].i;
      assert.deepEqual(Object.keys(a), ['k', 't', 'm', 'c', 'r']);
      assert.deepEqual(Object.keys(b), ['k', 't', 'm', 'c', 'r', 'pt']);
      assert.equal(b.pt, a.m);
      await call(mf, '/client/track?key=bob&traffic-type=user&event-type=view');
      const [ev] = await fake.waitFor('/events/api/events/bulk');
      assert.ok(ev, 'the event was posted after the request');
      const e = JSON.parse(ev.body)[0];
      assert.deepEqual(Object.keys(e), ['eventTypeId', 'trafficTypeName', 'value', 'timestamp', 'key', 'properties']);
      assert.equal(e.value, null);
    } finally {
      await mf.dispose();
    }
  });

  test('a 500 from the events API keeps the events for the next cron run', async () => {
    fake.received.length = 0;
    let failures = 1;
    fake.respond = (r) => (r.url === '/events/api/events/bulk' && failures-- > 0 ? { status: 500, body: 'down' } : null);
    const mf = await start({ ...fake.vars, SPLIT_EDGE_SYNC: 'off' });
    try {
      await pushFolder(mf, join(root, 'demo'));
      await call(mf, '/client/track?key=alice&traffic-type=user&event-type=checkout&value=1');
      await cron(mf);
      let stats = await call(mf, '/admin/stats');
      let events = envStats(stats.json, 'default').recorder.events;
      assert.equal(events.sent, 0);
      assert.equal(events.retrying, 1);
      assert.match(JSON.stringify(events.lastError), /500/);
      await cron(mf);
      const posts = fake.posts('/events/api/events/bulk');
      assert.equal(posts.length, 2);
      assert.equal(posts[1].body, posts[0].body, 'the same body is posted again');
      stats = await call(mf, '/admin/stats');
      events = envStats(stats.json, 'default').recorder.events;
      assert.equal(events.sent, 1);
      assert.equal(events.retried, 1);
    } finally {
      fake.respond = null;
      await mf.dispose();
    }
  });

  test('the impression listener webhook receives every impression', async () => {
    fake.received.length = 0;
    const mf = await start({ ...fake.vars, SPLIT_EDGE_SYNC: 'off', SPLIT_EVALUATOR_IMPRESSION_LISTENER_ENDPOINT: fake.listenerUrl });
    try {
      await pushFolder(mf, join(root, 'demo'));
      await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
      await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
      await cron(mf);
      const [post] = fake.posts('/listener');
      assert.ok(post, 'the listener was posted to');
      assert.equal(post.headers['content-type'], 'application/json');
      const body = JSON.parse(post.body);
      const ki = body.impressions[0].keyImpressions;
      assert.equal(body.impressions[0].testName, 'new_checkout');
      assert.equal(ki.length, 2, 'regardless of de-duplication');
      assert.equal(post.body.slice(0, 40), JSON.stringify(body).slice(0, 40));
      assert.deepEqual(ki[0], { keyName: 'alice', treatment: 'on', time: ki[0].time, changeNumber: 1700000000100, label: 'beta testers' });
      assert.equal(envStats(JSON.parse((await call(mf, '/admin/stats')).text), 'default').recorder.listener.sent, 2);
    } finally {
      await mf.dispose();
    }
  });

  test('without an SDK key nothing goes to Split; the listener is still posted to', async () => {
    fake.received.length = 0;
    const mf = await start({ ...fake.vars, SPLIT_EVALUATOR_API_KEY: 'localhost', SPLIT_EVALUATOR_IMPRESSION_LISTENER_ENDPOINT: fake.listenerUrl });
    try {
      await pushFolder(mf, join(root, 'demo'));
      await call(mf, '/client/get-treatment?key=alice&split-name=new_checkout');
      await call(mf, '/client/track?key=alice&traffic-type=user&event-type=checkout');
      await cron(mf);
      assert.deepEqual(fake.received.map((r) => r.url), ['/listener'], 'no SDK API, events or telemetry request');
      const env = envStats((await call(mf, '/admin/stats')).json, 'default');
      assert.equal(env.pull, false);
      assert.equal(env.recorder.events.dropped.rejected, 1);
      assert.match(JSON.stringify(env.recorder.events.lastError), /no SDK key/);
      assert.equal(env.recorder.listener.sent, 1);
    } finally {
      await mf.dispose();
    }
  });

  test('invalid settings answer 500 naming the variable', async () => {
    for (const [name, value] of [
      ['SPLIT_EVALUATOR_EVENTS_QUEUE_SIZE', 'abc'],
      ['SPLIT_EVALUATOR_IMPRESSIONS_POST_RATE', ''],
      ['SPLIT_EVALUATOR_GLOBAL_CONFIG', '{"sync":{"impressionsMode":"LOUD"}}'],
      ['SPLIT_EVALUATOR_IMPRESSION_LISTENER_ENDPOINT', 'not a url'],
    ]) {
      const mf = await start({ [name]: value });
      try {
        const r = await call(mf, '/client/get-treatment?key=a&split-name=b');
        assert.equal(r.status, 500, name);
        assert.match(r.json.error, new RegExp(name), r.text);
      } finally {
        await mf.dispose();
      }
    }
  });

  test('fallbackTreatments of the global config answer instead of control', async () => {
    const mf = await start({ SPLIT_EVALUATOR_GLOBAL_CONFIG: JSON.stringify({ fallbackTreatments: { global: 'off-fallback' } }) });
    try {
      await pushFolder(mf, join(root, 'demo'));
      const r = await call(mf, '/client/get-treatment?key=alice&split-name=missing_flag');
      assert.equal(r.json.treatment, 'off-fallback');
    } finally {
      await mf.dispose();
    }
  });
});

describe('pull mode', () => {
  let fake;
  let dir;
  before(async () => {
    fake = await fakeSplit();
    fake.sdkRoutes = JSON.parse(readFileSync(join(FIXTURES, 'routes.json'), 'utf8'));
    dir = mkdtempSync(join(tmpdir(), 'split-edge-kv-'));
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const finalNames = () => JSON.parse(readFileSync(join(FIXTURES, 'final', 'splitChanges.json'), 'utf8')).ff.d.map((f) => f.name).sort();
  const finalSegment = (name) => JSON.parse(readFileSync(join(FIXTURES, 'final', 'segments', `${name}.json`), 'utf8'));

  test('the cron synchronizes from the SDK API and stores the data in KV', async () => {
    const mf = await start(fake.vars, dir);
    try {
      const before = await call(mf, '/admin/healthcheck');
      assert.equal(before.status, 500);
      await cron(mf);
      const gets = fake.received.filter((r) => r.url.startsWith('/sdk/api/'));
      assert.equal(gets[0].url, '/sdk/api/splitChanges?s=1.3&since=-1&rbSince=-1');
      assert.equal(gets[0].headers.authorization, `Bearer ${KEY}`);
      assert.equal(gets[0].headers.splitsdkversion, SDK_VERSION);
      assert.ok(gets.some((r) => r.url === '/sdk/api/segmentChanges/premium_users?since=55'), 'segment pages followed');
      const names = await call(mf, '/manager/names');
      assert.deepEqual(names.json.splits.sort(), finalNames(), 'ARCHIVED old_feature removed, pricing added');
      const kv = await mf.getKVNamespace('SPLIT_DATA');
      const manifest = JSON.parse(await kv.get('env/default/manifest'));
      assert.equal(manifest.flagsChangeNumber, 2000);
      for (const name of ['employees', 'beta_testers', 'blocked_users', 'premium_users']) {
        const seg = finalSegment(name);
        assert.equal(manifest.segments[name]?.changeNumber, seg.till, name);
        assert.equal(manifest.segments[name].keyCount, seg.added.length, name);
      }
      const stats = await call(mf, '/admin/stats');
      const sync = envStats(stats.json, 'default').sync;
      assert.equal(typeof sync.lastSuccessMs, 'number');
      assert.equal(sync.lastError, null);
      assert.equal((await call(mf, '/admin/healthcheck')).status, 200);
      // A second run with nothing new writes no new version.
      await cron(mf);
      assert.equal(JSON.parse(await kv.get('env/default/manifest')).version, manifest.version);
    } finally {
      await mf.dispose();
    }
    // A new isolate (pull mode off) serves what was stored.
    const mf2 = await start({ SPLIT_EDGE_SYNC: 'off' }, dir);
    try {
      const names = await call(mf2, '/manager/names');
      assert.deepEqual(names.json.splits.sort(), finalNames());
      const stats = await call(mf2, '/admin/stats');
      assert.equal(envStats(stats.json, 'default').flagsChangeNumber, 2000);
      assert.equal(envStats(stats.json, 'default').segmentCount, 4);
    } finally {
      await mf2.dispose();
    }
  });

  test('a run that fails part way stores what it applied; the next run completes it', async () => {
    fake.respond = (r) => (r.url.startsWith('/sdk/api/segmentChanges/premium_users') ? { status: 503, body: 'busy' } : null);
    const mf = await start({ ...fake.vars, SPLIT_EDGE_ENV_ID: 'partial' });
    try {
      await cron(mf);
      const kv = await mf.getKVNamespace('SPLIT_DATA');
      let manifest = JSON.parse(await kv.get('env/partial/manifest'));
      assert.equal(manifest.flagsChangeNumber, 2000, 'flags stored');
      assert.equal(manifest.segments.premium_users, undefined);
      assert.equal(manifest.segments.employees.changeNumber, finalSegment('employees').till);
      let sync = envStats((await call(mf, '/admin/stats')).json, 'partial').sync;
      assert.match(sync.lastError, /503/);
      fake.respond = null;
      await cron(mf);
      manifest = JSON.parse(await kv.get('env/partial/manifest'));
      assert.equal(manifest.segments.premium_users.changeNumber, finalSegment('premium_users').till);
      sync = envStats((await call(mf, '/admin/stats')).json, 'partial').sync;
      assert.equal(sync.lastError, null);
      assert.equal(sync.runsFailed, 1);
      assert.equal(sync.runsSucceeded, 1);
    } finally {
      fake.respond = null;
      await mf.dispose();
    }
  });

  test('with several environments, only those with an SDK key synchronize, each with its key', async () => {
    fake.received.length = 0;
    const { SPLIT_EVALUATOR_API_KEY: _, ...urls } = fake.vars;
    const environments = [
      { API_KEY: 'key-prod', AUTH_TOKEN: 't-prod', ID: 'prod' },
      { API_KEY: 'localhost', AUTH_TOKEN: 't-local', ID: 'local' },
    ];
    const mf = await start({ ...urls, SPLIT_EVALUATOR_ENVIRONMENTS: JSON.stringify(environments) });
    try {
      await cron(mf);
      const sdk = fake.received.filter((r) => r.url.startsWith('/sdk/api/'));
      assert.ok(sdk.length > 0);
      assert.ok(sdk.every((r) => r.headers.authorization === 'Bearer key-prod'));
      assert.deepEqual((await call(mf, '/manager/names', { auth: 't-prod' })).json.splits.sort(), finalNames());
      assert.deepEqual((await call(mf, '/manager/names', { auth: 't-local' })).json.splits, []);
      const local = envStats((await call(mf, '/admin/stats', { auth: 't-local' })).json, 'local');
      assert.equal(local.pull, false);
      assert.equal(local.sync, null);
    } finally {
      await mf.dispose();
    }
  });

  test('a 401 or 500 from the SDK API keeps the last good data and reports the error', async () => {
    const mf = await start(fake.vars, dir);
    try {
      for (const status of [401, 500]) {
        fake.sdkStatus = status;
        await cron(mf);
        const names = await call(mf, '/manager/names');
        assert.deepEqual(names.json.splits.sort(), finalNames());
        const stats = await call(mf, '/admin/stats');
        const sync = envStats(stats.json, 'default').sync;
        assert.match(sync.lastError, new RegExp(String(status)), sync.lastError);
        assert.equal(envStats(stats.json, 'default').flagsChangeNumber, 2000);
        assert.equal((await call(mf, '/admin/healthcheck')).status, 200, 'data is still loaded');
      }
    } finally {
      fake.sdkStatus = null;
      await mf.dispose();
    }
  });

  test('healthcheck says why when no data was ever loaded, in every isolate', async () => {
    fake.sdkStatus = 401;
    const vars = { ...fake.vars, SPLIT_EDGE_ENV_ID: 'fresh' };
    const mf = await start(vars, dir);
    try {
      await cron(mf);
      const h = await call(mf, '/admin/healthcheck');
      assert.equal(h.status, 500);
      assert.match(h.text, /^Split evaluator engine is not evaluating traffic properly\. .*synchronization.*401/);
    } finally {
      fake.sdkStatus = null;
      await mf.dispose();
    }
    // Another isolate, which ran no cron, reads the stored record.
    const mf2 = await start(vars, dir);
    try {
      const h = await call(mf2, '/admin/healthcheck');
      assert.equal(h.status, 500);
      assert.match(h.text, /401/);
      const sync = envStats((await call(mf2, '/admin/stats')).json, 'fresh').sync;
      assert.match(sync.lastError, /401/);
      assert.equal(sync.runsStarted, 0, 'this isolate ran no synchronization itself');
    } finally {
      await mf2.dispose();
    }
  });
});
