#!/usr/bin/env node
// `make soak` (not part of `make test`): the built Worker in local workerd (Miniflare on a real
// port) under 50 connections for SOAK_SECONDS (default 60) over mixed routes (get-treatment,
// get-treatments, get-treatments-with-config, get-all-treatments, manager, track, evaluate-bulk)
// while data pushes land every few seconds, with a local stand-in for Split's events API that
// answers every other post 500. Afterwards cron runs send what the recorder still holds, and it
// prints: requests and errors, workerd's RSS before and after, impressions generated (counted
// from the answers: the impressions mode is DEBUG, so every treatment answered for a flag that
// exists is one impression), impressions the stand-in accepted, and the Worker's drop counters
// by reason (GET /admin/stats, the recorder's figures); the same for events (one per track).
// Memory: workerd's RSS and the isolate's wasm linear memory (`wasmMemoryBytes` of /admin/stats)
// every 5 s, against a baseline measured first in the same run: the same load on a trivial
// handler in its own workerd (SOAK_BASELINE=0 skips it).
// It exits non-zero when a request failed, when delivered + dropped ≠ generated (impressions
// or events), when the wasm memory ends past 64 MiB or workerd's RSS past twice the trivial
// handler's. Figures, not timings: nothing here asserts a speed.
//   node worker/bench/soak.mjs [--seconds 60] [--connections 50]   (or SOAK_SECONDS=...)
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { root, start } from '../../tests/worker/helpers.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const seconds = opt('--seconds', Number(process.env.SOAK_SECONDS) || 60);
const connections = opt('--connections', 50);
// SOAK_PUSH_SECONDS=0: no pushes during the run (RSS is still sampled every 5 s).
const PUSH_EVERY_MS = 5000;
const pushing = process.env.SOAK_PUSH_SECONDS !== '0';
/** The wasm linear memory the run may end with. */
const WASM_BOUND_BYTES = 64 * 1024 * 1024;
const TOKEN = 'soak-token';
const ADMIN = 'soak-admin';
const headers = { authorization: TOKEN };
const demo = join(root, 'demo');
const flagsBody = JSON.parse(readFileSync(join(demo, 'splits.json'), 'utf8'));
const FLAGS = flagsBody.ff.d.map((f) => f.name);
const segmentBodies = readdirSync(join(demo, 'segments')).sort().map((f) => readFileSync(join(demo, 'segments', f), 'utf8'));

/** Split's events API on 127.0.0.1: every other post (all paths together) answers 500. */
async function eventsApi() {
  const api = { posts: 0, failed: 0, impressions: 0, events: 0, other: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      api.posts += 1;
      const fail = api.posts % 2 === 0;
      if (fail) {
        api.failed += 1;
      } else {
        try {
          const parsed = JSON.parse(body);
          if (req.url.endsWith('/testImpressions/bulk')) api.impressions += parsed.reduce((n, group) => n + group.i.length, 0);
          else if (req.url.endsWith('/events/bulk')) api.events += parsed.length;
          else api.other += 1;
        } catch {
          api.other += 1;
        }
      }
      res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json' });
      res.end(fail ? '{"error":"soak: every other post fails"}' : '');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  api.base = `http://127.0.0.1:${server.address().port}`;
  api.close = () => new Promise((r) => server.close(r));
  return api;
}

/** The RSS (KiB) of the workerd processes under this one. */
function workerdRssKib() {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,comm='], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.trim().split(/\s+/)).map(([pid, ppid, rss, comm]) => ({ pid: +pid, ppid: +ppid, rss: +rss, comm }));
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of table) if (mine.has(p.ppid) && !mine.has(p.pid)) { mine.add(p.pid); grew = true; }
  }
  return table.filter((p) => mine.has(p.pid) && p.comm.startsWith('workerd')).reduce((n, p) => n + p.rss, 0);
}

const treatments = (json) => Object.values(json).filter((t) => typeof t === 'string' || (t && typeof t.treatment === 'string')).length;
const attributes = encodeURIComponent(JSON.stringify({ plan: 'pro', app_version: '2.3.1', email: 'someone@split.io', purchases: 1500 }));
/** The mix: [name, path or {method, path, body}, impressions and events counted from the answer]. */
const routes = [
  ['get-treatment', (k) => `/client/get-treatment?key=${k}&split-name=${FLAGS[k.length % FLAGS.length]}&attributes=${attributes}`,
    (j) => ({ impressions: typeof j.treatment === 'string' && j.treatment !== 'control' ? 1 : 0 })],
  ['get-treatments', (k) => `/client/get-treatments?key=${k}&split-names=${FLAGS.slice(0, 3).join(',')}`, (j) => ({ impressions: treatments(j) })],
  ['get-treatments-with-config', (k) => `/client/get-treatments-with-config?key=${k}&split-names=${FLAGS.slice(3).join(',')}&attributes=${attributes}`,
    (j) => ({ impressions: treatments(j) })],
  ['get-all-treatments', (k) => `/client/get-all-treatments?keys=${encodeURIComponent(JSON.stringify([{ matchingKey: k, trafficType: 'user' }]))}`,
    (j) => ({ impressions: Object.values(j).reduce((n, perKey) => n + treatments(perKey), 0) })],
  ['manager/splits', () => '/manager/splits', () => ({})],
  ['manager/names', () => '/manager/names', () => ({})],
  ['track', (k) => `/client/track?key=${k}&traffic-type=user&event-type=checkout&value=10`, () => ({ events: 1 })],
  ['evaluate-bulk', (k) => ({ method: 'POST', path: '/client/evaluate-bulk', body: JSON.stringify({ keys: [k, `${k}-b`, `${k}-c`], flags: FLAGS.slice(0, 4) }) }),
    (_j, text) => ({ impressions: text.trim().split('\n').reduce((n, line) => n + treatments(JSON.parse(line).treatments ?? {}), 0) })],
];

/** `connections` clients asking `base` the route mix in turn until `end`; each answer goes to
 * `answered(name, response, text, count)`, each failed fetch to `fail`. */
function drive(base, end, figures, answered, fail) {
  const connection = async (c) => {
    for (let i = 0; Date.now() < end; i++) {
      const [name, target, count] = routes[(i + c) % routes.length];
      const t = target(`user-${c}-${i % 500}`);
      const req = typeof t === 'string' ? { method: 'GET', path: t } : t;
      figures.requests += 1;
      figures.byRoute[name] = (figures.byRoute[name] ?? 0) + 1;
      try {
        const r = await fetch(`${base}${req.path}`, {
          method: req.method,
          headers: req.body ? { ...headers, 'content-type': 'application/json' } : headers,
          body: req.body,
        });
        answered(name, r, await r.text(), count);
      } catch (e) {
        fail(`${name}: ${e.message}`);
      }
    }
  };
  return Promise.all(Array.from({ length: connections }, (_, c) => connection(c)));
}

/** The baseline, measured in the same run: workerd's RSS (KiB) every PUSH_EVERY_MS under the
 * same load against a trivial handler (a fixed small JSON answer), in its own Miniflare. */
async function trivialHandlerRss() {
  const trivial = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return Response.json({ treatment: "on" }); } };',
    compatibilityDate: '2026-04-01',
    host: '127.0.0.1',
    port: 0,
  });
  try {
    const trivialBase = (await trivial.ready).origin;
    const series = [workerdRssKib()];
    const end = Date.now() + seconds * 1000;
    const figures = { requests: 0, byRoute: {} };
    const sampler = (async () => {
      while (Date.now() < end) {
        await new Promise((r) => setTimeout(r, PUSH_EVERY_MS));
        series.push(workerdRssKib());
      }
    })();
    await Promise.all([sampler, drive(trivialBase, end, figures, () => {}, () => {})]);
    return { series, requests: figures.requests };
  } finally {
    await trivial.dispose();
  }
}

const trivial = process.env.SOAK_BASELINE === '0' ? null : await trivialHandlerRss();
const api = await eventsApi();
let runtimeLines = 0;
const mf = await start({
  SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN,
  SPLIT_EDGE_ADMIN_TOKEN: ADMIN,
  SPLIT_EVALUATOR_API_KEY: 'soak-sdk-key',
  SPLIT_EDGE_SYNC: 'off',
  SPLIT_EVALUATOR_EVENTS_URL: `${api.base}/events/api`,
  SPLIT_EVALUATOR_TELEMETRY_URL: `${api.base}/telemetry/api`,
  SPLIT_EVALUATOR_GLOBAL_CONFIG: JSON.stringify({ sync: { impressionsMode: 'DEBUG' } }),
  SPLIT_EVALUATOR_IMPRESSIONS_POST_RATE: '2',
  SPLIT_EVALUATOR_EVENTS_POST_RATE: '2',
}, false, {
  host: '127.0.0.1',
  port: 0,
  // The Worker warns about every failed post: counted here, not printed.
  handleRuntimeStdio(stdout, stderr) {
    for (const stream of [stdout, stderr]) stream.on('data', (chunk) => { runtimeLines += String(chunk).split('\n').length - 1; });
  },
});
const base = (await mf.ready).origin;
let code = 0;

try {
  let changeNumber = flagsBody.ff.t;
  const push = async (path, body) => {
    const r = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'x-admin-token': ADMIN, 'content-type': 'application/json' }, body });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`${path}: ${r.status} ${text.slice(0, 200)}`);
  };
  const pushFlags = () => {
    changeNumber += 1;
    return push('/admin/split-changes', JSON.stringify({ ...flagsBody, ff: { ...flagsBody.ff, s: -1, t: changeNumber } }));
  };
  await pushFlags();
  for (const body of segmentBodies) await push('/admin/segment-changes', body);

  const figures = { requests: 0, errors: 0, impressions: 0, events: 0, pushes: 0, byRoute: {} };
  const firstErrors = [];
  const fail = (what) => { figures.errors += 1; if (firstErrors.length < 5) firstErrors.push(what); };
  const rssBefore = workerdRssKib();
  let rssPeak = rssBefore;
  const rssSeries = [];
  // The isolate's wasm linear memory beside workerd's RSS: which of the two grows.
  const wasmSeries = [];
  const wasmBytes = async () => {
    const r = await fetch(`${base}/admin/stats`, { headers });
    return Object.values((await r.json()).environments)[0].wasmMemoryBytes;
  };
  const sample = async () => {
    const rss = workerdRssKib();
    rssSeries.push(rss);
    rssPeak = Math.max(rssPeak, rss);
    wasmSeries.push(await wasmBytes());
  };
  const end = Date.now() + seconds * 1000;
  const pushes = (async () => {
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, PUSH_EVERY_MS));
      if (Date.now() >= end) break;
      if (!pushing) { await sample(); continue; }
      try {
        await pushFlags();
        if (figures.pushes % 3 === 0) await push('/admin/segment-changes', segmentBodies[figures.pushes % segmentBodies.length]);
        figures.pushes += 1;
      } catch (e) {
        fail(`push: ${e.message}`);
      }
      await sample();
    }
  })();
  const answered = (name, r, text, count) => {
    if (r.status !== 200) { fail(`${name}: ${r.status} ${text.slice(0, 200)}`); return; }
    const json = (r.headers.get('content-type') ?? '').startsWith('application/json') ? JSON.parse(text) : null;
    const got = count(json, text);
    figures.impressions += got.impressions ?? 0;
    figures.events += got.events ?? 0;
  };
  const t0 = performance.now();
  await Promise.all([pushes, drive(base, end, figures, answered, fail)]);
  const elapsed = (performance.now() - t0) / 1000;

  // What is still held (collected, waiting for a retry, in flight) goes out on cron runs.
  const stats = async () => {
    const r = await fetch(`${base}/admin/stats`, { headers });
    const json = await r.json();
    return Object.values(json.environments)[0].recorder;
  };
  const held = (k) => k.queued + k.retrying + k.inFlight;
  const worker = await mf.getWorker();
  let crons = 0;
  let recorder = await stats();
  while ((held(recorder.impressions) > 0 || held(recorder.events) > 0) && crons < 40) {
    await worker.scheduled({ cron: '*/5 * * * *' });
    crons += 1;
    recorder = await stats();
  }
  const rssAfter = workerdRssKib();
  rssPeak = Math.max(rssPeak, rssAfter);

  const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
  const dropped = (k) => k.dropped.boundsExceeded + k.dropped.attemptsExhausted + k.dropped.rejected;
  const line = (what, generated, k, received) => {
    const ok = received + dropped(k) === generated && held(k) === 0;
    console.log(`${what}: generated ${generated}, received by the events API ${received} (recorder: sent ${k.sent}), `
      + `dropped ${dropped(k)} (boundsExceeded ${k.dropped.boundsExceeded}, attemptsExhausted ${k.dropped.attemptsExhausted}, rejected ${k.dropped.rejected}), `
      + `still held ${held(k)}, retries ${k.retried}: delivered + dropped ${ok ? '=' : '≠'} generated`);
    return ok;
  };
  console.log(`soak: ${connections} connections for ${elapsed.toFixed(1)} s against ${base} (workerd through Miniflare), DEBUG impressions, events API failing every other post`);
  console.log(`requests: ${figures.requests} (${(figures.requests / elapsed).toFixed(0)}/s; ${Object.entries(figures.byRoute).map(([k, v]) => `${k} ${v}`).join(', ')}), pushes during the run: ${figures.pushes}`);
  console.log(`errors: ${figures.errors}${firstErrors.length ? ` (first: ${firstErrors.join(' | ')})` : ''}`);
  console.log(`workerd RSS: before ${mib(rssBefore)}, after ${mib(rssAfter)}, peak sampled ${mib(rssPeak)}; every ${PUSH_EVERY_MS / 1000} s during the run: ${rssSeries.map((k) => (k / 1024).toFixed(0)).join(', ')} MiB`);
  if (trivial) {
    const t = trivial.series;
    const half = (series) => series[Math.floor(series.length / 2)];
    console.log(`baseline, a trivial handler under the same load in the same run (${trivial.requests} requests): workerd RSS before ${mib(t[0])}, `
      + `after ${mib(t[t.length - 1])}; every ${PUSH_EVERY_MS / 1000} s: ${t.slice(1).map((k) => (k / 1024).toFixed(0)).join(', ')} MiB`);
    console.log(`RSS after / the trivial handler's after: ${(rssAfter / t[t.length - 1]).toFixed(2)}; `
      + `growth over the second half of the run: split-edge ${((rssSeries[rssSeries.length - 1] / half(rssSeries) - 1) * 100).toFixed(0)}%, `
      + `trivial handler ${((t[t.length - 1] / half(t) - 1) * 100).toFixed(0)}%`);
  }
  console.log(`wasm linear memory: after ${mib((await wasmBytes()) / 1024)}; every ${PUSH_EVERY_MS / 1000} s during the run: ${wasmSeries.map((b) => (b / 1048576).toFixed(0)).join(', ')} MiB`);
  console.log(`events API posts: ${api.posts} (${api.failed} answered 500), cron runs to drain: ${crons}, workerd log lines (failed-post warnings): ${runtimeLines}`);
  // Bounded memory: the engine's linear memory within the recorder's bounds (10 MiB of
  // impressions, 5 MiB of events) plus the snapshots, and workerd's RSS within twice the trivial
  // handler's under the same load.
  const wasmAfter = await wasmBytes();
  const memoryOk = wasmAfter <= WASM_BOUND_BYTES && (!trivial || rssAfter <= 2 * trivial.series[trivial.series.length - 1]);
  console.log(`memory: wasm linear memory ${mib(wasmAfter / 1024)} (bound ${mib(WASM_BOUND_BYTES / 1024)})${trivial ? ', workerd RSS within 2× the trivial handler\'s' : ''}: ${memoryOk ? 'bounded' : 'NOT bounded'}`);
  const impressionsOk = line('impressions', figures.impressions, recorder.impressions, api.impressions);
  const eventsOk = line('events', figures.events, recorder.events, api.events);
  if (figures.errors > 0 || !impressionsOk || !eventsOk || !memoryOk) {
    console.error('soak: FAILED (errors, delivered + dropped ≠ generated, or memory past its bound)');
    code = 1;
  } else {
    console.log('soak: passed (0 errors; every impression and event delivered or counted as dropped; memory bounded)');
  }
} finally {
  await mf.dispose();
  await api.close();
}
process.exit(code);
