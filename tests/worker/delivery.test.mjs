// Durable delivery through Cloudflare Queues, in workerd through Miniflare (local Queues): the
// Worker that answers requests ("edge") sends its impressions and events to the queue and posts
// nothing itself (its events URL is a closed port); the queue's consumer ("delivery", the same
// build) merges them and posts to a local stand-in for Split's events API, acknowledging messages
// only after a 2xx. Miniflare's queue broker lives in the workerd process, so the producing
// isolate cannot be evicted alone while the queue survives; what eviction would lose is checked
// instead: once its window is sent, the producing isolate holds no record.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { call, pushFolder, root, sleep, start, until, workerOptions } from './helpers.mjs';

const KEY = 'sdk-key-for-tests';
const QUEUE = 'split-edge-delivery';
const IMPRESSIONS = '/events/api/testImpressions/bulk';
const COUNTS = '/events/api/testImpressions/count';
const EVENTS = '/events/api/events/bulk';

/** Split's events API on 127.0.0.1: records posts; `fail[path]` answers that many of them 500. */
async function fakeEvents() {
  const fake = { posts: [], fail: {} };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const failing = (fake.fail[req.url] ?? 0) > 0;
      if (failing) fake.fail[req.url] -= 1;
      fake.posts.push({ url: req.url, body, status: failing ? 500 : 200, auth: req.headers.authorization });
      res.writeHead(failing ? 500 : 200, { 'content-type': 'application/json' });
      res.end(failing ? '{"error":"down"}' : '');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  fake.base = `http://127.0.0.1:${server.address().port}`;
  /** The items of every accepted post to `path` (impressions flattened to {f, k}). */
  fake.accepted = (path) => fake.posts.filter((p) => p.url === path && p.status === 200).flatMap((p) => {
    const body = JSON.parse(p.body);
    if (path === IMPRESSIONS) return body.flatMap((group) => group.i.map((i) => ({ f: group.f, k: i.k })));
    if (path === COUNTS) return body.pf;
    return body;
  });
  fake.close = () => new Promise((r) => server.close(r));
  return fake;
}

/** A port nothing listens on (the producing Worker's events URL: it must never post). */
async function closedPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** One of the two Workers (they share the KV namespace and the queue). */
const worker = (name, bindings, extra) => workerOptions({ SPLIT_EVALUATOR_API_KEY: KEY, ...bindings }, {
  name,
  kvNamespaces: { SPLIT_DATA: 'split-data' },
  queueProducers: { SPLIT_DELIVERY: QUEUE },
  ...extra,
});

/** The two Workers: "edge" answers, "delivery" consumes the queue and posts to `fake`. */
async function startPair(fake, vars) {
  const dead = `http://127.0.0.1:${await closedPort()}/events/api`;
  const mf = new Miniflare({
    cf: false,
    workers: [
      worker('edge', { ...vars, SPLIT_EVALUATOR_EVENTS_URL: dead }),
      worker('delivery', { ...vars, SPLIT_EVALUATOR_EVENTS_URL: `${fake.base}/events/api` }, {
        queueConsumers: {
          [QUEUE]: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10, retryDelay: 0, deadLetterQueue: `${QUEUE}-dlq` },
        },
      }),
    ],
  });
  await mf.ready;
  await pushFolder(mf, join(root, 'demo'));
  return mf;
}

/** The isolate's delivery figures in `/admin/stats` (every environment entry carries them). */
const delivery = (s) => Object.values(s.environments)[0].delivery;

/** `/admin/stats` of one of the Workers. */
async function stats(mf, name) {
  const w = await mf.getWorker(name);
  return (await w.fetch('http://localhost/admin/stats')).json();
}

/** Asks for `flag` for keys `user-<from>` … and tracks an event for each. */
async function generate(mf, flag, from, n) {
  for (let i = from; i < from + n; i++) {
    const r = await call(mf, `/client/get-treatment?key=user-${i}&split-name=${flag}`);
    assert.equal(r.status, 200, r.text);
    const t = await call(mf, `/client/track?key=user-${i}&traffic-type=user&event-type=checkout&value=${i}`);
    assert.equal(t.status, 200, t.text);
  }
}

const dropped = (consumer) => Object.values(consumer.kinds).reduce(
  (n, k) => n + k.dropped.boundsExceeded + k.dropped.attemptsExhausted + k.dropped.rejected, 0);

describe('delivery through a queue', () => {
  let fake;
  before(async () => { fake = await fakeEvents(); });
  after(async () => fake?.close());

  test('impressions and events made by one isolate arrive from the consumer; the producer keeps none', { timeout: 60_000 }, async () => {
    fake.posts = [];
    const mf = await startPair(fake, {
      SPLIT_EVALUATOR_GLOBAL_CONFIG: '{"sync":{"impressionsMode":"DEBUG"}}',
      SPLIT_EDGE_HANDOFF_WINDOW_MS: '200',
    });
    try {
      await generate(mf, 'new_checkout', 0, 60);
      const edge = await until('the edge isolate to hand everything off', async () => {
        const s = await stats(mf, 'edge');
        return delivery(s).producer.records === 120 ? s : null;
      });
      assert.equal(delivery(edge).mode, 'queue');
      const recorder = Object.values(edge.environments)[0].recorder;
      assert.equal(recorder.impressions.queued + recorder.events.queued, 0, 'nothing left in the producing isolate');
      assert.equal(recorder.impressions.requests + recorder.events.requests, 0, 'the producing isolate posts nothing');
      assert.ok(delivery(edge).producer.messages >= 1);
      // The isolate that made them could go now: they are in the queue.
      await until('every impression and event at the events API', () =>
        fake.accepted(IMPRESSIONS).length >= 60 && fake.accepted(EVENTS).length >= 60);
      await sleep(1_500);
      const imps = fake.accepted(IMPRESSIONS);
      assert.equal(imps.length, 60, 'each impression once');
      assert.equal(new Set(imps.map((i) => i.k)).size, 60);
      const evs = fake.accepted(EVENTS);
      assert.equal(evs.length, 60, 'each event once');
      assert.deepEqual(evs.map((e) => e.value).sort((a, b) => a - b), [...Array(60).keys()]);
      assert.ok(fake.posts.every((p) => p.auth === `Bearer ${KEY}`));
      const consumer = delivery(await stats(mf, 'delivery')).consumer;
      assert.equal(consumer.kinds.impressions.sent, 60);
      assert.equal(consumer.kinds.events.sent, 60);
      assert.equal(dropped(consumer) + consumer.malformed + consumer.unknownEnvironment, 0, 'nothing dropped');
    } finally {
      await mf.dispose();
    }
  });

  test('an events API outage keeps the messages; they arrive once, when it recovers', { timeout: 90_000 }, async () => {
    fake.posts = [];
    // Batch 1: both posts fail (the queue retries the messages); batch 2: impressions fail, events go
    // through (the impressions body is sent back to the queue); batch 3: impressions go through.
    fake.fail = { [IMPRESSIONS]: 2, [EVENTS]: 1 };
    const mf = await startPair(fake, {
      SPLIT_EVALUATOR_GLOBAL_CONFIG: '{"sync":{"impressionsMode":"DEBUG"}}',
      SPLIT_EDGE_HANDOFF_WINDOW_MS: '3000',
    });
    try {
      await generate(mf, 'new_checkout', 0, 40);
      await until('the impressions to arrive', () => fake.accepted(IMPRESSIONS).length >= 40, 60_000);
      await sleep(2_000);
      const failed = fake.posts.filter((p) => p.status === 500).map((p) => p.url);
      assert.deepEqual(failed.sort(), [EVENTS, IMPRESSIONS, IMPRESSIONS], 'the outage happened as planned');
      const imps = fake.accepted(IMPRESSIONS);
      assert.equal(imps.length, 40, 'each impression once');
      assert.equal(new Set(imps.map((i) => i.k)).size, 40);
      const bodies = fake.posts.filter((p) => p.url === IMPRESSIONS).map((p) => p.body);
      assert.equal(new Set(bodies).size, 1, 'the retried body is the same bytes');
      const evs = fake.accepted(EVENTS);
      assert.equal(evs.length, 40, 'events delivered once, not again with the impressions');
      const consumer = delivery(await stats(mf, 'delivery')).consumer;
      assert.ok(consumer.retried >= 1, 'the first batch was handed back to the queue');
      assert.equal(consumer.requeued, 1, 'the failed impressions body was sent back alone');
      assert.equal(consumer.kinds.impressions.sent, 40);
      assert.equal(consumer.kinds.events.sent, 40);
      assert.equal(dropped(consumer) + consumer.malformed + consumer.unknownEnvironment, 0, 'nothing dropped');
    } finally {
      fake.fail = {};
      await mf.dispose();
    }
  });

  test('OPTIMIZED de-duplicates across the messages of one consumer batch', { timeout: 60_000 }, async () => {
    fake.posts = [];
    const mf = await startPair(fake, { SPLIT_EDGE_HANDOFF_WINDOW_MS: '3000' });
    try {
      await generate(mf, 'new_checkout', 0, 20);
      await generate(mf, 'new_checkout', 0, 20);
      await until('the counts to arrive', () => fake.accepted(COUNTS).length >= 1, 30_000);
      await sleep(1_500);
      const imps = fake.accepted(IMPRESSIONS);
      assert.equal(imps.length, 20, 'one impression per key within the batch');
      const counts = fake.accepted(COUNTS);
      assert.equal(counts.reduce((n, c) => n + c.rc, 0), 20, 'the repeats are counted');
      assert.equal(fake.accepted(EVENTS).length, 40);
    } finally {
      await mf.dispose();
    }
  });

  test('a message that is not a delivery message is retried and counted, the rest delivered', { timeout: 60_000 }, async () => {
    fake.posts = [];
    const mf = await startPair(fake, { SPLIT_EDGE_HANDOFF_WINDOW_MS: '0' });
    try {
      const q = await mf.getQueueProducer('SPLIT_DELIVERY', 'edge');
      await q.send('not json', { contentType: 'text' });
      await generate(mf, 'new_checkout', 0, 1);
      await until('the event', () => fake.accepted(EVENTS).length >= 1);
      const consumer = await until('the malformed message to be counted', async () => {
        const c = delivery(await stats(mf, 'delivery')).consumer;
        return c.malformed >= 1 ? c : null;
      });
      assert.ok(consumer.malformed >= 1);
      assert.equal(fake.accepted(EVENTS).length, 1);
    } finally {
      await mf.dispose();
    }
  });
});

test('without the queue binding, each isolate posts and /admin/stats says so', async () => {
  const mf = await start();
  try {
    const r = await call(mf, '/admin/stats');
    assert.deepEqual(delivery(r.json), { mode: 'in-isolate' });
  } finally {
    await mf.dispose();
  }
});
