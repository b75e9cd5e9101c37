// Streaming freshness, in workerd through Miniflare (local Durable Objects and KV): the
// environment's Durable Object authenticates against a local stand-in for Split's auth API,
// holds its server-sent events stream (on 127.0.0.1), and applies each notification into KV; the
// Worker serves the change within 2 s of the event. Each message type the JS SDK handles is sent:
// flag updates fetched and inline (zlib), kills, segment and rule-based segment updates, large
// segment updates, occupancy, control (paused, resumed, disabled), a token error and a dropped
// connection. The measured freshness is printed (`# streaming freshness: ...`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { deflateSync } from 'node:zlib';
import { Miniflare } from 'miniflare';
import { call, envStats, sleep, until, workerOptions } from './helpers.mjs';

const KEY = 'sdk-key-streaming-abcd';
const CHANNELS = ['NzM2_MTA1_splits', 'NzM2_MTA1_segments', 'control_pri', 'control_sec'];

const all = { keySelector: { trafficType: 'user' }, matcherType: 'ALL_KEYS', negate: false };
const rollout = (matchers, treatment, label) => ({
  conditionType: 'ROLLOUT',
  matcherGroup: { combiner: 'AND', matchers },
  partitions: [{ treatment, size: 100 }],
  label,
});
const flag = (name, cn, conditions, extra = {}) => ({
  trafficTypeName: 'user', name, trafficAllocation: 100, trafficAllocationSeed: 1, seed: 1, status: 'ACTIVE',
  killed: false, defaultTreatment: 'off', changeNumber: cn, algo: 2, configurations: {}, conditions, ...extra,
});
const inSegment = (segmentName) => ({ keySelector: { trafficType: 'user' }, matcherType: 'IN_SEGMENT', negate: false, userDefinedSegmentMatcherData: { segmentName } });
const inRbs = (segmentName) => ({ keySelector: { trafficType: 'user' }, matcherType: 'IN_RULE_BASED_SEGMENT', negate: false, userDefinedSegmentMatcherData: { segmentName } });
const rbs = (cn, keys) => ({
  name: 'rb', status: 'ACTIVE', trafficTypeName: 'user', changeNumber: cn, excluded: { keys: [], segments: [] },
  conditions: [{ matcherGroup: { combiner: 'AND', matchers: [{ keySelector: { trafficType: 'user' }, matcherType: 'WHITELIST', negate: false, whitelistMatcherData: { whitelist: keys } }] } }],
});

const b64url = (s) => Buffer.from(s).toString('base64url');

/** Split's SDK, auth and streaming APIs on 127.0.0.1, answering from `split`'s state. */
async function fakeSplit() {
  const split = {
    ff: { cn: 100, flags: {} },
    rbs: { cn: 50, items: { rb: rbs(50, ['nobody']) } },
    segments: { beta: { cn: 10, keys: ['nobody'] } },
    sdkDown: false,
    auths: 0,
    connections: 0,
    clients: new Set(),
    streamUrls: [],
  };
  split.ff.flags.f = flag('f', 100, [rollout([all], 'v1', 'default rule')]);
  split.ff.flags.g = flag('g', 100, [rollout([inSegment('beta')], 'in', 'in segment beta'), rollout([all], 'out', 'default rule')]);
  split.ff.flags.h = flag('h', 100, [rollout([inRbs('rb')], 'rb-in', 'in rule based segment rb'), rollout([all], 'rb-out', 'default rule')]);
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const json = (status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (url.pathname === '/auth/api/v2/auth') {
      split.auths += 1;
      const capability = Object.fromEntries(CHANNELS.map((c) => [c, ['subscribe']]));
      const claims = { 'x-ably-capability': JSON.stringify(capability), iat: 1_700_000_000, exp: 1_700_003_600 };
      return json(200, { pushEnabled: true, token: `${b64url('{"alg":"HS256"}')}.${b64url(JSON.stringify(claims))}.sig`, connDelay: 0 });
    }
    if (url.pathname === '/sse') {
      split.connections += 1;
      split.streamUrls.push(req.url);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': connected\n\n');
      split.clients.add(res);
      req.on('close', () => split.clients.delete(res));
      return undefined;
    }
    if (split.sdkDown) return json(500, { error: 'down' });
    if (url.pathname === '/sdk/api/splitChanges') {
      const since = Number(url.searchParams.get('since'));
      const rbSince = Number(url.searchParams.get('rbSince'));
      return json(200, {
        ff: since === split.ff.cn ? { d: [], s: since, t: since } : { d: Object.values(split.ff.flags), s: since, t: split.ff.cn },
        rbs: rbSince === split.rbs.cn ? { d: [], s: rbSince, t: rbSince } : { d: Object.values(split.rbs.items), s: rbSince, t: split.rbs.cn },
      });
    }
    const seg = /^\/sdk\/api\/segmentChanges\/(.+)$/.exec(url.pathname);
    if (seg) {
      const s = split.segments[seg[1]] ?? { cn: -1, keys: [] };
      const since = Number(url.searchParams.get('since'));
      return json(200, since === s.cn ? { name: seg[1], added: [], removed: [], since, till: since } : { name: seg[1], added: s.keys, removed: [], since, till: s.cn });
    }
    res.writeHead(200);
    return res.end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  split.base = `http://127.0.0.1:${server.address().port}`;
  /** Sends a notification on every open stream. */
  split.notify = (channel, data, name) => {
    const outer = { id: `m${Date.now()}`, clientId: 'c', timestamp: Date.now(), encoding: 'json', channel, data: JSON.stringify(data) };
    if (name) outer.name = name;
    for (const c of split.clients) c.write(`id: ${outer.id}\nevent: message\ndata: ${JSON.stringify(outer)}\n\n`);
  };
  split.error = (payload) => { for (const c of split.clients) c.write(`event: error\ndata: ${JSON.stringify(payload)}\n\n`); };
  split.drop = () => { for (const c of split.clients) c.destroy(); split.clients.clear(); };
  split.close = () => { split.drop(); return new Promise((r) => server.close(r)); };
  return split;
}

let split;
let mf;
const figures = [];

const treatment = async (key, name) => (await call(mf, `/client/get-treatment?key=${key}&split-name=${name}`)).json?.treatment;
const streaming = async () => envStats((await call(mf, '/admin/stats')).json, 'default').streaming;

/** Sends a notification and measures how long until the Worker answers `expected`. */
async function fresh(what, send, key, name, expected) {
  const t0 = performance.now();
  send();
  await until(`${what}: ${name} for ${key} to be ${expected}`, async () => (await treatment(key, name)) === expected, 5_000);
  const ms = performance.now() - t0;
  figures.push([what, ms]);
  assert.ok(ms < 2_000, `${what}: served after ${ms.toFixed(0)} ms`);
}

before(async () => {
  split = await fakeSplit();
  mf = new Miniflare({
    ...workerOptions({
      SPLIT_EVALUATOR_API_KEY: KEY,
      SPLIT_EVALUATOR_SDK_URL: `${split.base}/sdk/api`,
      SPLIT_EVALUATOR_EVENTS_URL: `${split.base}/events/api`,
      SPLIT_EVALUATOR_TELEMETRY_URL: `${split.base}/telemetry/api`,
      SPLIT_EVALUATOR_AUTH_SERVICE_URL: `${split.base}/auth/api`,
      SPLIT_EDGE_STREAMING_URL: `${split.base}/sse`,
      SPLIT_EDGE_STREAM_CHECK_MS: '200',
    }),
    durableObjects: { SPLIT_STREAMING: 'SplitStream' },
    cf: false,
  });
  await mf.ready;
  // The cron's first pull stores the data and starts the environment's Durable Object.
  await (await mf.getWorker()).scheduled({ cron: '*/5 * * * *' });
  await until('the stream to open', () => split.connections >= 1);
  assert.equal(await treatment('alice', 'f'), 'v1');
});

after(async () => {
  await mf?.dispose();
  await split?.close();
  if (figures.length) {
    console.log(`# streaming freshness (event sent → Worker answers the change): ${figures.map(([w, ms]) => `${w} ${ms.toFixed(0)} ms`).join(', ')}`);
  }
});

test('the stream is opened with the token channels, the occupancy prefix and the SDK headers', () => {
  const url = new URL(split.streamUrls[0], 'http://x');
  assert.deepEqual(url.searchParams.get('channels').split(','), [
    'NzM2_MTA1_splits', 'NzM2_MTA1_segments', '[?occupancy=metrics.publishers]control_pri', '[?occupancy=metrics.publishers]control_sec',
  ]);
  assert.equal(url.searchParams.get('v'), '1.1');
  assert.ok(url.searchParams.get('accessToken').split('.').length === 3);
  assert.equal(split.auths, 1);
});

test('every notification type is applied and served within 2 s', { timeout: 60_000 }, async () => {
  const splits = CHANNELS[0];
  const segments = CHANNELS[1];

  // SPLIT_UPDATE without a definition: the change is fetched from the SDK API.
  split.ff.flags.f = flag('f', 200, [rollout([all], 'v2', 'default rule')]);
  split.ff.cn = 200;
  await fresh('SPLIT_UPDATE (fetched)', () => split.notify(splits, { type: 'SPLIT_UPDATE', changeNumber: 200 }), 'alice', 'f', 'v2');

  // SPLIT_UPDATE with the definition inline (zlib), on the stored change number: applied without
  // the SDK API (which fails meanwhile).
  split.sdkDown = true;
  const v3 = flag('f', 300, [rollout([all], 'v3', 'default rule')]);
  const d = deflateSync(Buffer.from(JSON.stringify(v3))).toString('base64');
  await fresh('SPLIT_UPDATE (inline)', () => split.notify(splits, { type: 'SPLIT_UPDATE', changeNumber: 300, pcn: 200, c: 2, d }), 'alice', 'f', 'v3');
  split.ff.flags.f = v3;
  split.ff.cn = 300;
  split.sdkDown = false;

  // SPLIT_KILL.
  split.ff.flags.f = { ...v3, killed: true, defaultTreatment: 'killed', changeNumber: 400 };
  split.ff.cn = 400;
  await fresh('SPLIT_KILL', () => split.notify(splits, { type: 'SPLIT_KILL', changeNumber: 400, splitName: 'f', defaultTreatment: 'killed' }), 'alice', 'f', 'killed');

  // SEGMENT_UPDATE.
  assert.equal(await treatment('bob', 'g'), 'out');
  split.segments.beta = { cn: 500, keys: ['nobody', 'bob'] };
  await fresh('SEGMENT_UPDATE', () => split.notify(segments, { type: 'SEGMENT_UPDATE', changeNumber: 500, segmentName: 'beta' }), 'bob', 'g', 'in');

  // RB_SEGMENT_UPDATE.
  assert.equal(await treatment('carol', 'h'), 'rb-out');
  split.rbs.items.rb = rbs(600, ['nobody', 'carol']);
  split.rbs.cn = 600;
  await fresh('RB_SEGMENT_UPDATE', () => split.notify(splits, { type: 'RB_SEGMENT_UPDATE', changeNumber: 600 }), 'carol', 'h', 'rb-in');

  // LARGE_SEGMENT_UPDATE: read and applied as a synchronization (server-side, no flag reads large
  // segments, as in the JS SDK).
  const before = (await streaming()).stats.notifications;
  split.notify(segments, { type: 'LARGE_SEGMENT_UPDATE', changeNumber: 700, largeSegments: [{ n: 'big', t: 0 }] });
  await until('the large segment update to be read', async () => (await streaming()).stats.notifications > before);
  assert.equal(await treatment('alice', 'f'), 'killed', 'still serving');
});

test('occupancy and control messages move streaming down and up; errors reconnect', { timeout: 60_000 }, async () => {
  const pri = `[?occupancy=metrics.publishers]${CHANNELS[2]}`;
  const sec = `[?occupancy=metrics.publishers]${CHANNELS[3]}`;
  assert.equal((await streaming()).up, true);
  split.notify(pri, { metrics: { publishers: 0 } }, '[meta]occupancy');
  split.notify(sec, { metrics: { publishers: 0 } }, '[meta]occupancy');
  await until('streaming down without publishers', async () => (await streaming()).up === false);
  split.notify(pri, { metrics: { publishers: 1 } }, '[meta]occupancy');
  await until('streaming up again', async () => (await streaming()).up === true);

  split.notify(pri, { type: 'CONTROL', controlType: 'STREAMING_PAUSED' });
  await until('paused', async () => (await streaming()).up === false);
  split.notify(pri, { type: 'CONTROL', controlType: 'STREAMING_RESUMED' });
  await until('resumed', async () => (await streaming()).up === true);

  // STREAMING_RESET: a new token and connection at once.
  const [resetAuths, resetConnections] = [split.auths, split.connections];
  split.notify(pri, { type: 'CONTROL', controlType: 'STREAMING_RESET' });
  await until('a new token and connection after STREAMING_RESET', () => split.auths > resetAuths && split.connections > resetConnections);
  await until('streaming up after the reset', async () => (await streaming()).up === true);

  // A token error: a new token and a new connection at once.
  const [auths, connections] = [split.auths, split.connections];
  split.error({ message: 'Token expired', code: 40142, statusCode: 401 });
  await until('a new token and connection', () => split.auths > auths && split.connections > connections);

  // The connection drops: reconnected after the backoff (1 s), with a new token.
  const dropped = split.connections;
  split.drop();
  await until('the reconnection', () => split.connections > dropped, 8_000);
  await until('streaming up after reconnecting', async () => (await streaming()).up === true);

  // Changes keep arriving on the new connection.
  split.ff.flags.f = flag('f', 800, [rollout([all], 'v8', 'default rule')]);
  split.ff.cn = 800;
  await fresh('SPLIT_UPDATE (after reconnecting)', () => split.notify(CHANNELS[0], { type: 'SPLIT_UPDATE', changeNumber: 800 }), 'alice', 'f', 'v8');

  split.notify(pri, { type: 'CONTROL', controlType: 'STREAMING_DISABLED' });
  await until('streaming disabled', async () => (await streaming()).phase.state === 'off');
  assert.equal((await streaming()).up, false);
});
