// Delivery to Split's events and telemetry APIs (spec §6.2, §6.5, §6.6, README "Delivery
// guarantees"), against a local node:http server standing in for them.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitFactory } from 'split-edge';
import { avoidHourBoundary, captureLogger, demoData, demoSplits, hourStart, SDK_KEY, startServer, waitFor } from './helpers.mjs';

const FLAGS = Object.fromEntries(demoSplits().ff.d.map((f) => [f.name, f]));
const cn = (flag) => FLAGS[flag].changeNumber;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});
beforeEach(async () => {
  server.clear();
  server.setHandler(() => ({ status: 200, body: '' }));
  await avoidHourBoundary(); // counts and de-duplication work per clock hour
});

/** An offline instance (data given, sync off: no timers) posting to the local server. */
function factory(settings = {}) {
  return SplitFactory({
    core: { authorizationKey: SDK_KEY, ...(settings.core ?? {}) },
    data: demoData(),
    urls: { sdk: `${server.base}/sdk`, events: `${server.base}/events`, telemetry: `${server.base}/telemetry` },
    ...settings,
    sync: { enabled: false, ...(settings.sync ?? {}) },
  });
}

const byPath = (p) => server.requests.filter((r) => r.path === p);
const one = (p) => {
  const rs = byPath(p);
  assert.equal(rs.length, 1, `one POST ${p} (got ${server.requests.map((r) => r.path).join(', ')})`);
  return rs[0];
};

function assertHeaders(req, f, mode) {
  assert.equal(req.method, 'POST');
  assert.equal(req.headers.authorization, `Bearer ${SDK_KEY}`);
  assert.equal(req.headers.splitsdkversion, f.version);
  assert.equal(req.headers['content-type'], 'application/json');
  assert.equal(req.headers.accept, 'application/json');
  if (mode === undefined) assert.equal(req.headers.splitsdkimpressionsmode, undefined, `${req.path} has no SplitSDKImpressionsMode`);
  else assert.equal(req.headers.splitsdkimpressionsmode, mode);
}

/** Checks an impression item: exact members, in the wire order k, t, m, c, r, b, pt, properties. */
function assertItem(item, expected, window) {
  const order = ['k', 't', 'm', 'c', 'r', 'b', 'pt', 'properties'];
  const keys = Object.keys(item);
  assert.deepEqual(keys, order.filter((k) => keys.includes(k)), 'member order');
  const { m, pt, ...rest } = item;
  const { pt: expectPt, ...expectRest } = expected;
  assert.deepEqual(rest, expectRest);
  assert.ok(m >= window[0] && m <= window[1], `m ${m} within the call's time`);
  if (expectPt === undefined) assert.equal(pt, undefined, 'no pt');
  else assert.ok(pt >= window[0] && pt <= m, 'pt is the previous time');
}

describe('flush() posts Split\'s bulk formats', () => {
  test('OPTIMIZED: impressions, counts and events, with headers and the report', async () => {
    const f = factory();
    const c = f.client();
    const t0 = Date.now();
    c.getTreatment('alice', 'new_checkout');
    c.getTreatment('alice', 'new_checkout'); // a repeat in the same hour: counted, not sent
    c.getTreatment({ matchingKey: 'bob', bucketingKey: 'bk_bob' }, 'dark_mode', { plan: 'pro', app_version: '2.0.0' });
    c.getTreatment('carol', 'new_checkout');
    c.getTreatment('dave', 'dark_mode', undefined, { properties: { source: 'web', n: 2 } });
    c.getTreatment('dave', 'dark_mode', undefined, { properties: { source: 'web', n: 2 } }); // with properties: always sent
    c.getTreatment('erin', 'no_such_flag'); // definition not found: nothing
    c.getTreatment(null, 'dark_mode'); // rejected: nothing
    assert.equal(c.track('alice', 'user', 'checkout.done', 42.5, { plan: 'pro', ok: true, n: null }), true);
    assert.equal(c.track({ matchingKey: 'bob', bucketingKey: 'bk_bob' }, 'user', 'page_view'), true);
    const t1 = Date.now();
    const report = await f.flush();
    const w = [t0, t1];

    const imp = one('/events/testImpressions/bulk');
    assertHeaders(imp, f, 'OPTIMIZED');
    assert.deepEqual(imp.json.map((g) => g.f), ['new_checkout', 'dark_mode'], 'grouped by flag, first-seen order');
    assert.deepEqual(Object.keys(imp.json[0]), ['f', 'i']);
    const [nc, dm] = imp.json;
    assert.equal(nc.i.length, 2);
    assertItem(nc.i[0], { k: 'alice', t: 'on', c: cn('new_checkout'), r: 'beta testers' }, w);
    const carol = nc.i[1];
    assert.equal(carol.k, 'carol');
    assert.equal(carol.c, cn('new_checkout'));
    assert.equal(carol.r, 'default rule');
    assert.equal(dm.i.length, 3);
    assertItem(dm.i[0], { k: 'bob', t: 'on', c: cn('dark_mode'), r: 'paid plans on app 2.0+', b: 'bk_bob' }, w);
    assert.equal(dm.i[1].properties, '{"source":"web","n":2}');
    assert.equal(dm.i[2].properties, '{"source":"web","n":2}');
    assert.equal(dm.i[1].pt, undefined, 'impressions with properties carry no pt');
    assert.equal(dm.i[2].pt, undefined);

    const counts = one('/events/testImpressions/count');
    assertHeaders(counts, f);
    assert.deepEqual(counts.json, { pf: [{ f: 'new_checkout', m: hourStart(t0), rc: 1 }] });

    const events = one('/events/events/bulk');
    assertHeaders(events, f);
    assert.equal(events.json.length, 2);
    for (const e of events.json) assert.deepEqual(Object.keys(e), ['eventTypeId', 'trafficTypeName', 'value', 'timestamp', 'key', 'properties']);
    const [e1, e2] = events.json;
    assert.deepEqual({ ...e1, timestamp: 0 }, { eventTypeId: 'checkout.done', trafficTypeName: 'user', value: 42.5, timestamp: 0, key: 'alice', properties: { plan: 'pro', ok: true, n: null } });
    assert.deepEqual({ ...e2, timestamp: 0 }, { eventTypeId: 'page_view', trafficTypeName: 'user', value: null, timestamp: 0, key: 'bob', properties: null });
    assert.ok(e1.timestamp >= t0 && e1.timestamp <= t1);

    assert.equal(byPath('/telemetry/v1/keys/ss').length, 0, 'no unique keys in OPTIMIZED');
    assert.equal(server.requests.length, 3);
    assert.equal(report.sent, 5 + 1 + 2);
    assert.equal(report.retrying + report.dropped + report.rejected, 0);
    assert.deepEqual(report.posts.map((p) => [p.kind, p.items, p.result.result]).sort(), [
      ['events', 2, 'delivered'],
      ['impressionCounts', 1, 'delivered'],
      ['impressions', 5, 'delivered'],
    ]);
    const stats = f.stats();
    assert.equal(stats.impressions.sent, 5);
    assert.equal(stats.events.sent, 2);
    assert.equal(stats.impressions.queued, 0);
    assert.ok(stats.deduplicated >= 1);

    server.clear();
    assert.deepEqual(await f.flush(), { posts: [], sent: 0, retrying: 0, dropped: 0, rejected: 0 }, 'nothing left to post');
    assert.equal(server.requests.length, 0);
  });

  test('DEBUG: every impression is sent, repeats with pt; no counts', async () => {
    const f = factory({ sync: { impressionsMode: 'DEBUG' } });
    const c = f.client();
    const t0 = Date.now();
    c.getTreatment('alice', 'new_checkout');
    c.getTreatment('alice', 'new_checkout');
    c.getTreatments('alice', ['new_checkout', 'legacy_banner']);
    const t1 = Date.now();
    const report = await f.flush();
    const imp = one('/events/testImpressions/bulk');
    assertHeaders(imp, f, 'DEBUG');
    assert.deepEqual(imp.json.map((g) => [g.f, g.i.length]), [['new_checkout', 3], ['legacy_banner', 1]]);
    const [first, second, third] = imp.json[0].i;
    assertItem(first, { k: 'alice', t: 'on', c: cn('new_checkout'), r: 'beta testers' }, [t0, t1]);
    assertItem(second, { k: 'alice', t: 'on', c: cn('new_checkout'), r: 'beta testers', pt: first.m }, [t0, t1]);
    assert.equal(second.pt, first.m);
    assert.equal(third.pt, second.m);
    assertItem(imp.json[1].i[0], { k: 'alice', t: 'off', c: cn('legacy_banner'), r: 'killed' }, [t0, t1]);
    assert.equal(byPath('/events/testImpressions/count').length, 0);
    assert.equal(report.sent, 4);
  });

  test('NONE: counts and unique keys (telemetry URL), no impressions', async () => {
    const f = factory({ sync: { impressionsMode: 'NONE' } });
    const c = f.client();
    const t0 = Date.now();
    c.getTreatment('alice', 'new_checkout');
    c.getTreatment('alice', 'new_checkout');
    c.getTreatment('bob', 'new_checkout');
    c.getTreatment({ matchingKey: 'carol', bucketingKey: 'x' }, 'dark_mode');
    c.getTreatment('dave', 'dark_mode', undefined, { properties: { p: 1 } });
    const report = await f.flush();
    assert.equal(byPath('/events/testImpressions/bulk').length, 0);
    const counts = one('/events/testImpressions/count');
    assert.deepEqual(counts.json, { pf: [{ f: 'new_checkout', m: hourStart(t0), rc: 3 }, { f: 'dark_mode', m: hourStart(t0), rc: 2 }] });
    const keys = one('/telemetry/v1/keys/ss');
    assertHeaders(keys, f);
    assert.deepEqual(Object.keys(keys.json), ['keys']);
    const ks = Object.fromEntries(keys.json.keys.map((k) => [k.f, [...k.ks].sort()]));
    assert.deepEqual(ks, { new_checkout: ['alice', 'bob'], dark_mode: ['carol', 'dave'] });
    for (const k of keys.json.keys) assert.deepEqual(Object.keys(k), ['f', 'ks']);
    assert.equal(report.rejected + report.retrying, 0);
    assert.equal(report.posts.length, 2);
  });

  test('a flag with impressionsDisabled goes through NONE in OPTIMIZED mode', async () => {
    const f = factory();
    const t = demoSplits().ff.t;
    f.updateSplitChanges({ ff: { d: [{ ...FLAGS.dark_mode, name: 'quiet_flag', impressionsDisabled: true }], s: t, t: t + 1 } });
    const c = f.client();
    const t0 = Date.now();
    c.getTreatment('alice', 'quiet_flag');
    c.getTreatment('alice', 'new_checkout');
    await f.flush();
    const imp = one('/events/testImpressions/bulk');
    assert.deepEqual(imp.json.map((g) => g.f), ['new_checkout']);
    assert.deepEqual(one('/events/testImpressions/count').json, { pf: [{ f: 'quiet_flag', m: hourStart(t0), rc: 1 }] });
    assert.deepEqual(one('/telemetry/v1/keys/ss').json, { keys: [{ f: 'quiet_flag', ks: ['alice'] }] });
  });

  test('core.labelsEnabled: false removes r from the payload only', async () => {
    const f = factory({ core: { labelsEnabled: false } });
    f.client().getTreatment('alice', 'new_checkout');
    await f.flush();
    const item = one('/events/testImpressions/bulk').json[0].i[0];
    assert.deepEqual(Object.keys(item), ['k', 't', 'm', 'c']);
  });
});

describe('delivery failures', () => {
  test('a 500 keeps the items for a retry; the next flush sends the same body', async () => {
    const f = factory();
    const c = f.client();
    c.getTreatment('alice', 'new_checkout');
    c.track('alice', 'user', 'click');
    server.setHandler(() => ({ status: 500, body: 'server on fire' }));
    const r1 = await f.flush();
    assert.equal(r1.sent, 0);
    assert.equal(r1.retrying, 2);
    for (const p of r1.posts) {
      assert.equal(p.result.result, 'retrying');
      assert.equal(p.result.attempts, 1);
      assert.deepEqual(p.result.error, { type: 'status', status: 500, body: 'server on fire' });
      assert.ok(p.result.retryAtMs > Date.now() - 1000);
    }
    const firstBodies = Object.fromEntries(server.requests.map((r) => [r.path, r.body]));
    assert.equal(f.stats().impressions.retrying, 1);
    assert.equal(f.stats().events.retrying, 1);
    assert.deepEqual(f.stats().events.lastError.error, { type: 'status', status: 500, body: 'server on fire' });

    server.clear();
    server.setHandler(() => ({ status: 200, body: '' }));
    const r2 = await f.flush();
    assert.equal(r2.sent, 2);
    assert.equal(r2.retrying, 0);
    assert.deepEqual(Object.fromEntries(server.requests.map((r) => [r.path, r.body])), firstBodies, 'same bodies re-posted');
    assert.equal(f.stats().impressions.retried, 1);
    assert.equal(f.stats().impressions.sent, 1);
    assert.equal(f.stats().events.retrying, 0);
  });

  test('a 400 is rejected: reported with status and body, logged, not retried', async () => {
    const log = captureLogger();
    const f = factory({ debug: 'ERROR', logger: log.logger });
    f.client().track('alice', 'user', 'click');
    f.client().track('bob', 'user', 'click');
    server.setHandler(() => ({ status: 400, body: '{"error":"bad event"}' }));
    const r = await f.flush();
    assert.equal(r.rejected, 2);
    assert.equal(r.sent + r.retrying + r.dropped, 0);
    assert.deepEqual(r.posts.map((p) => [p.kind, p.items, p.result]), [['events', 2, { result: 'rejected', status: 400, body: '{"error":"bad event"}' }]]);
    assert.equal(f.stats().events.dropped.rejected, 2);
    assert.equal(log.errors().length, 1);
    assert.match(log.errors()[0], /400/);
    assert.match(log.errors()[0], /bad event/);
    server.clear();
    server.setHandler(() => ({ status: 200, body: '' }));
    assert.equal((await f.flush()).posts.length, 0);
    assert.equal(server.requests.length, 0, 'a rejected batch is not posted again');
  });

  test('a network error (connection reset) keeps the items for a retry', async () => {
    const f = factory();
    f.client().getTreatment('alice', 'new_checkout');
    server.setHandler(() => ({ destroy: true }));
    const r1 = await f.flush();
    assert.equal(r1.retrying, 1);
    assert.equal(r1.posts[0].result.error.type, 'network');
    server.setHandler(() => ({ status: 200, body: '' }));
    const r2 = await f.flush();
    assert.equal(r2.sent, 1);
  });

  test('408 and 429 are retried; 401 is rejected', async () => {
    for (const [status, outcome] of [[408, 'retrying'], [429, 'retrying'], [401, 'rejected'], [503, 'retrying']]) {
      const f = factory();
      f.client().track('alice', 'user', 'click');
      server.setHandler(() => ({ status, body: `status ${status}` }));
      const r = await f.flush();
      assert.equal(r.posts[0].result.result, outcome, String(status));
    }
  });
});

describe('scheduling and destroy', () => {
  test('destroy() flushes what is queued', async () => {
    const f = factory();
    const c = f.client();
    c.getTreatment('alice', 'new_checkout');
    c.track('alice', 'user', 'click');
    await c.destroy();
    assert.equal(byPath('/events/testImpressions/bulk').length, 1);
    assert.equal(byPath('/events/events/bulk').length, 1);
    server.clear();
    await f.destroy();
    assert.equal(server.requests.length, 0, 'a second destroy posts nothing');
  });

  test('a localhost instance with urls.events flushes on destroy too', async () => {
    const f = SplitFactory({ core: { authorizationKey: 'localhost' }, data: demoData(), urls: { events: `${server.base}/events` } });
    f.client().track('alice', 'user', 'click');
    await f.destroy();
    const ev = one('/events/events/bulk');
    assert.equal(ev.headers.authorization, 'Bearer localhost');
  });

  test('with sync enabled, the scheduler posts on its own (queue size and refresh rate)', async () => {
    const created = Date.now();
    const f = SplitFactory({
      core: { authorizationKey: SDK_KEY },
      data: demoData(), // ready: no first sync
      urls: { sdk: `${server.base}/sdk`, events: `${server.base}/events`, telemetry: `${server.base}/telemetry` },
      scheduler: { eventsQueueSize: 2, eventsPushRate: 3600, impressionsRefreshRate: 1, featuresRefreshRate: 3600 },
    });
    try {
      const c = f.client();
      c.track('alice', 'user', 'e1');
      assert.equal(byPath('/events/events/bulk').length, 0);
      c.track('bob', 'user', 'e2'); // the queue is full: an early post
      await waitFor(() => byPath('/events/events/bulk').length === 1, 2000, 'the early events post');
      assert.deepEqual(byPath('/events/events/bulk')[0].json.map((e) => e.eventTypeId), ['e1', 'e2']);
      c.getTreatment('alice', 'new_checkout');
      await waitFor(() => byPath('/events/testImpressions/bulk').length === 1, 3000, 'the periodic impressions post');
      assert.ok(byPath('/events/testImpressions/bulk')[0].at - created >= 900, 'posted by the 1 s timer, not at once');
      assert.equal(byPath('/events/testImpressions/bulk')[0].json[0].f, 'new_checkout');
    } finally {
      await f.destroy();
    }
  });

  test('failed posts are retried on their own after the backoff, and dropped after delivery.maxAttempts', async () => {
    const f = SplitFactory({
      core: { authorizationKey: SDK_KEY },
      data: demoData(),
      urls: { sdk: `${server.base}/sdk`, events: `${server.base}/events`, telemetry: `${server.base}/telemetry` },
      scheduler: { eventsQueueSize: 1, featuresRefreshRate: 3600 },
      delivery: { backoffBaseMs: 100, backoffMaxMs: 200, maxAttempts: 3 },
    });
    try {
      let fail = 1;
      server.setHandler(() => (fail-- > 0 ? { status: 503, body: 'busy' } : { status: 200, body: '' }));
      f.client().track('alice', 'user', 'e1');
      await waitFor(() => f.stats().events.sent === 1, 3000, 'the retried post');
      const posts = byPath('/events/events/bulk');
      assert.equal(posts.length, 2);
      assert.equal(posts[1].body, posts[0].body);
      assert.equal(f.stats().events.retried, 1);

      server.clear();
      server.setHandler(() => ({ status: 503, body: 'down' }));
      f.client().track('bob', 'user', 'e2');
      await waitFor(() => f.stats().events.dropped.attemptsExhausted === 1, 3000, 'the batch dropped after 3 posts');
      assert.equal(byPath('/events/events/bulk').length, 3);
      assert.equal(f.stats().events.retrying, 0);
      assert.deepEqual(f.stats().events.lastError.error, { type: 'status', status: 503, body: 'down' });
    } finally {
      server.setHandler(() => ({ status: 200, body: '' }));
      await f.destroy();
    }
  });

  test('with sync disabled nothing is posted until flush()', async () => {
    const f = factory({ scheduler: { eventsQueueSize: 1, impressionsRefreshRate: 0.1 } });
    f.client().track('alice', 'user', 'e1');
    f.client().getTreatment('alice', 'new_checkout');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(server.requests.length, 0);
    await f.flush();
    assert.equal(server.requests.length, 2);
  });
});
