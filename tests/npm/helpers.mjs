// Shared helpers of the npm package tests (`node --test tests/npm/`).
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SplitFactory } from 'split-edge';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared');
export const DEMO_DIR = path.join(ROOT, 'demo');
export const CONFORMANCE_DIR = path.join(SHARED, 'conformance');
export const LOCALHOST_DIR = path.join(ROOT, 'tests/fixtures/localhost');
export const SYNC_FIXTURES_DIR = path.join(ROOT, 'tests/fixtures/sync');

/** An SDK key that is not `localhost` (a "real" key for the package: remote mode). */
export const SDK_KEY = 'test-sdk-key-0123456789';

/** A URL nothing listens on: anything posted there fails fast with a network error. */
export const DEAD_URL = 'http://127.0.0.1:9/api';

export function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

export function readJsonl(file) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** A snapshot directory (`splits.json` + `segments/*.json`) as `settings.data`, bodies as text. */
export function snapshotData(dir, splitsFile = 'splits.json') {
  const segDir = path.join(dir, 'segments');
  const segmentChanges = readdirSync(segDir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => readFileSync(path.join(segDir, n), 'utf8'));
  return { splitChanges: readFileSync(path.join(dir, splitsFile), 'utf8'), segmentChanges };
}

export function demoData() {
  return snapshotData(DEMO_DIR);
}

/** The demo's flags, parsed (`{ff: {d, s, t}, rbs}`). */
export function demoSplits() {
  return readJson(path.join(DEMO_DIR, 'splits.json'));
}

/** A conformance corpus: its data, requests and the official SDK's answers. */
export function corpus(name) {
  const dir = path.join(CONFORMANCE_DIR, name);
  return {
    dir,
    data: snapshotData(dir),
    requests: readJsonl(path.join(dir, 'requests.jsonl')),
    expected: readJsonl(path.join(dir, 'expected.jsonl')),
  };
}

/** `n` items spread evenly over `items` (deterministic), always including the first. */
export function sample(items, n) {
  if (items.length <= n) return items.slice();
  const out = [];
  const step = items.length / n;
  for (let i = 0; i < n; i++) out.push(items[Math.floor(i * step)]);
  return out;
}

/** A logger that keeps every line: `{logs: [[level, message]], logger, errors(), warnings(), clear()}`. */
export function captureLogger() {
  const logs = [];
  return {
    logs,
    logger: (level, message) => logs.push([level, message]),
    errors: () => logs.filter(([l]) => l === 'ERROR').map(([, m]) => m),
    warnings: () => logs.filter(([l]) => l === 'WARN').map(([, m]) => m),
    clear: () => logs.splice(0, logs.length),
  };
}

/** An impression listener that keeps what it receives. */
export function captureListener() {
  const received = [];
  return {
    received,
    listener: { logImpression: (data) => received.push(data) },
    impressions: () => received.map((d) => d.impression),
    clear: () => received.splice(0, received.length),
  };
}

/**
 * An offline instance over the demo snapshot (or `data`): a real-looking SDK key, sync off (no
 * timers, no network), posts aimed at a dead local port. Extra settings are merged shallowly.
 */
export function offlineFactory(settings = {}) {
  return SplitFactory({
    core: { authorizationKey: SDK_KEY },
    data: demoData(),
    urls: { sdk: DEAD_URL, events: DEAD_URL, telemetry: DEAD_URL },
    ...settings,
    sync: { enabled: false, ...(settings.sync ?? {}) },
  });
}

/**
 * A local HTTP server on 127.0.0.1 (port 0). `handler(req, body)` returns `{status, body, headers}`
 * (or a promise of it); every request is recorded as `{at, method, url, path, query, headers, body, json}`.
 */
export async function startServer(handler = () => ({ status: 200, body: '' })) {
  const requests = [];
  const state = { handler };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://localhost');
      let json;
      try {
        json = body === '' ? undefined : JSON.parse(body);
      } catch {
        json = undefined;
      }
      const record = { at: Date.now(), method: req.method, url: req.url, path: url.pathname, query: url.search, headers: req.headers, body, json };
      requests.push(record);
      let answer;
      try {
        answer = (await state.handler(record)) ?? { status: 200, body: '' };
      } catch (e) {
        answer = { status: 599, body: String(e) };
      }
      if (answer.destroy) {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? ''));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  return {
    base,
    requests,
    setHandler(h) {
      state.handler = h;
    },
    clear() {
      requests.splice(0, requests.length);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `predicate()` holds (polling every 20 ms), failing after `timeoutMs`. */
export async function waitFor(predicate, timeoutMs = 3000, what = 'condition') {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The key a corpus request passes (`{matchingKey, bucketingKey}` when it has a bucketingKey). */
export function requestKey(req) {
  return Object.prototype.hasOwnProperty.call(req, 'bucketingKey')
    ? { matchingKey: req.key, bucketingKey: req.bucketingKey }
    : req.key;
}

/** ECMAScript `trim`, as the SDK applies to flag names. */
export function jsTrim(s) {
  return typeof s === 'string' ? s.trim() : s;
}

/** The start of the UTC hour holding `ms`. */
export function hourStart(ms) {
  return ms - (ms % 3600000);
}

/** Waits out the last 3 s of a clock hour, so that a test's calls all fall in one hour. */
export async function avoidHourBoundary() {
  const left = 3600000 - (Date.now() % 3600000);
  if (left < 3000) await sleep(left + 50);
}

/** A flag answering `on` for keys in (large) segment `segment`. */
function segmentFlag(name, matcherType, segment) {
  const data = matcherType === 'IN_SEGMENT'
    ? { userDefinedSegmentMatcherData: { segmentName: segment } }
    : { userDefinedLargeSegmentMatcherData: { largeSegmentName: segment } };
  return {
    name, trafficTypeName: 'user', status: 'ACTIVE', seed: 7, changeNumber: 10, defaultTreatment: 'off', killed: false,
    conditions: [
      { conditionType: 'ROLLOUT', matcherGroup: { combiner: 'AND', matchers: [{ matcherType, negate: false, ...data }] }, partitions: [{ treatment: 'on', size: 100 }], label: 'in segment' },
    ],
  };
}

/** Two flags: `seg_flag` on for segment `beta`, `large_flag` on for large segment `big` (change number 10). */
export const CLIENT_SIDE_FLAGS = { ff: { d: [segmentFlag('seg_flag', 'IN_SEGMENT', 'beta'), segmentFlag('large_flag', 'IN_LARGE_SEGMENT', 'big')], s: -1, t: 10 }, rbs: { d: [], s: -1, t: -1 } };

/** A `memberships` body: in these segments and large segments. */
export function memberships(segments, large, cn = 20) {
  return { ms: { cn, k: segments.map((n) => ({ n })) }, ls: { cn, k: large.map((n) => ({ n })) } };
}
