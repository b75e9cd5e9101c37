#!/usr/bin/env node
// `make bench-worker`: what the Worker costs, as ratios against baselines measured in the same run,
// over a 1,000-flag / 50-segment / 100,000-segment-key snapshot (snapshot.mjs). It prints numbers;
// it is a benchmark, not a test.
//
// 1. Push: the snapshot through the admin API, as one split-changes body and 50 segment-changes
//    bodies, and as one POST /admin/snapshot.
// 2. Cold isolate: the first answer of a fresh workerd over that KV (Miniflare's local KV), from
//    the stored binary rules and, for comparison, from the JSON alone (a manifest without rulesKey).
// 3. In-isolate µs per request (loop.mjs): the Worker's fetch handler against a trivial handler
//    doing the same Request/URL/header/Response work, in one isolate, no network in between.
// 4. HTTP through plain `workerd serve` (a generated capnp config: the built Worker, local KV from
//    a disk directory, a hello-world Worker beside it as the box's ceiling), at 10 and 50
//    connections, beside the official JS SDK behind node:http (sdk-server.mjs: split-evaluator
//    without Express) and split-evaluator itself when it is cloned beside the checkout
//    (../split-evaluator with its node_modules), all fed the same snapshot (sdk-api.mjs).
// 3b. Bulk evaluation in the isolate: POST /client/evaluate-bulk against the same evaluations as one
//    get-treatments request per key, and a trivial handler's requests, in one isolate (loop.mjs).
//   node worker/bench/bench.mjs [--seconds 8] [--rounds 5] [--only push,cold,loop,bulk,http]  (the push always runs: it fills the KV the rest reads)
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import { start } from '../../tests/worker/helpers.mjs';
import { benchSnapshot, routes } from './snapshot.mjs';
import { evaluatorVars, serveSdkApi } from './sdk-api.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const buildDir = join(root, 'worker', 'build');
const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(name) ? Number(argv[argv.indexOf(name) + 1]) : dflt);
const seconds = opt('--seconds', 8);
const rounds = opt('--rounds', 5);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : ['push', 'cold', 'loop', 'bulk', 'http'];
const TOKEN = 'bench-token';
const ADMIN = 'bench-admin';
const VARS = { SPLIT_EVALUATOR_AUTH_TOKEN: TOKEN, SPLIT_EDGE_ADMIN_TOKEN: ADMIN };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;
const sleep = (t) => new Promise((r) => setTimeout(r, t));

const work = mkdtempSync(join(tmpdir(), 'split-edge-bench-'));
const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true }); });

/** The built Worker's modules and the benchmark's beside them, in one directory. */
function stage(dir) {
  cpSync(buildDir, dir, { recursive: true });
  for (const f of ['loop.mjs', 'snapshot.mjs', 'kv-disk.mjs', 'kv-read.mjs', 'kv-write.mjs']) copyFileSync(join(here, f), join(dir, f));
  writeFileSync(join(dir, 'hello.mjs'), "export default { fetch() { return new Response('hello'); } };\n");
  return dir;
}

async function post(mf, path, body) {
  const res = await mf.dispatchFetch(`http://localhost${path}`, { method: 'POST', headers: { authorization: TOKEN, 'x-admin-token': ADMIN, 'content-type': 'application/json' }, body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text}`);
}

async function get(mf, path) {
  const res = await mf.dispatchFetch(`http://localhost${path}`, { headers: { authorization: TOKEN } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
  return text;
}

// ---------------------------------------------------------------------------------------------
const wasm = readFileSync(join(buildDir, 'index_bg.wasm'));
console.log(`Worker wasm: ${(wasm.length / 1024).toFixed(1)} KB raw, ${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(1)} KB gzipped`);
const snapshot = benchSnapshot();
const splitBody = JSON.stringify(snapshot.splitChanges);
const segmentBodies = snapshot.segmentChanges.map((s) => JSON.stringify(s));
const bulkBody = JSON.stringify(snapshot);
const persist = join(work, 'kv');
const dir = stage(join(work, 'worker'));

// 1. Push ---------------------------------------------------------------------------------------
/** In a fresh, warmed isolate (`options`: another script), the ms each step of `steps(mf)` takes. */
async function timed(kvPersist, options, steps) {
  const mf = await start(VARS, kvPersist, options);
  try {
    await get(mf, '/admin/ping');
    const times = [];
    for (const step of steps) {
      const t0 = performance.now();
      await step(mf);
      times.push(performance.now() - t0);
    }
    return times;
  } finally {
    await mf.dispose();
  }
}
{
  const pushes = [];
  for (let round = 0; round < 3; round++) {
    const [flags, segments] = await timed(join(work, `push-${round}`), {}, [
      (mf) => post(mf, '/admin/split-changes', splitBody),
      async (mf) => { for (const body of segmentBodies) await post(mf, '/admin/segment-changes', body); },
    ]);
    const [bulk] = await timed(false, {}, [(mf) => post(mf, '/admin/snapshot', bulkBody)]);
    pushes.push({ flags, segments, total: flags + segments, bulk });
  }
  const m = (k) => median(pushes.map((p) => p[k]));
  console.log(`\npush through the admin API (median of 3): split-changes (1,000 flags, ${(splitBody.length / 1024).toFixed(0)} KB) ${ms(m('flags'))}, `
    + `50 segment-changes (100,000 keys) ${ms(m('segments'))}, whole snapshot in those 51 requests ${ms(m('total'))}; `
    + `in one POST /admin/snapshot (${(bulkBody.length / 1024).toFixed(0)} KB) ${ms(m('bulk'))} (target ≤ 500 ms)`);
  cpSync(join(work, 'push-0'), persist, { recursive: true });
  // Where the one-request push's time goes: the same KV writes from a JS Worker, same run.
  const rulesBytes = await withKv(async (kv) => {
    const { rulesKey } = JSON.parse(await kv.get('env/default/manifest'));
    return (await kv.get(rulesKey, 'arrayBuffer')).byteLength;
  });
  const writes = [];
  for (let round = 0; round < 3; round++) {
    const script = { scriptPath: join(dir, 'kv-write.mjs'), modulesRoot: dir };
    writes.push((await timed(false, script, [(mf) => post(mf, `/?rules=${rulesBytes}`, bulkBody)]))[0]);
  }
  console.log(`  where it goes: a JS Worker parsing that body and making the same ${snapshot.segmentChanges.length + 3} KV writes takes ${ms(median(writes))}; `
    + `the rest, ${ms(m('bulk') - median(writes))}, is the Worker's parsing, validation, compilation and encoding in wasm`);
}

// 2. Cold isolate -------------------------------------------------------------------------------
const coldPath = routes['get-treatment'](1);
/** Median over fresh isolates of the first request's time (and, with `next`, the one after). */
async function coldRounds(path = coldPath, options = {}, next = routes['get-treatment'](2)) {
  const out = [];
  for (let round = 0; round < rounds; round++) {
    const mf = await start(VARS, persist, options);
    try {
      const t0 = performance.now();
      await get(mf, path);
      const t1 = performance.now();
      if (next) await get(mf, next);
      out.push({ first: t1 - t0, warm: performance.now() - t1 });
    } finally {
      await mf.dispose();
    }
  }
  return { first: median(out.map((o) => o.first)), warm: median(out.map((o) => o.warm)) };
}
async function withKv(f) {
  const mf = await start(VARS, persist);
  try { return await f(await mf.getKVNamespace('SPLIT_DATA')); } finally { await mf.dispose(); }
}
if (only.includes('cold')) {
  const binary = await coldRounds();
  const manifest = await withKv((kv) => kv.get('env/default/manifest'));
  const { rulesKey, ...withoutRules } = JSON.parse(manifest);
  await withKv((kv) => kv.put('env/default/manifest', JSON.stringify(withoutRules)));
  const json = await coldRounds();
  await withKv((kv) => kv.put('env/default/manifest', manifest));
  const rulesBytes = await withKv(async (kv) => (await kv.get(rulesKey, 'arrayBuffer')).byteLength);
  console.log(`\ncold isolate, first get-treatment (median of ${rounds}; Miniflare's local KV; the isolate's next request beside it):`);
  console.log(`  from the binary rules (${(rulesBytes / 1024).toFixed(0)} KB) + the flag's segment: ${ms(binary.first)} (next request ${ms(binary.warm)}; target ≤ 20 ms)`);
  console.log(`  from the JSON (parse + compile):            ${ms(json.first)} (next request ${ms(json.warm)}); binary is ${(json.first / binary.first).toFixed(1)}× faster`);
  // Where the binary path's time goes: each part's cold first request, same KV, same run.
  const firstRequest = async (path, options) => (await coldRounds(path, options, null)).first;
  const hello = await firstRequest('/', { scriptPath: join(dir, 'hello.mjs'), modulesRoot: dir });
  const ping = await firstRequest('/admin/ping');
  const reads = await firstRequest('/?segment=segment_1', { scriptPath: join(dir, 'kv-read.mjs'), modulesRoot: dir });
  console.log(`  where it goes (cold first requests): a hello-world Worker ${ms(hello)} (Miniflare's own); the Worker's /admin/ping ${ms(ping)} `
    + `(+${ms(ping - hello)}: instantiating the wasm); a JS Worker reading the manifest, the rules and the segment ${ms(reads)} `
    + `(+${ms(reads - hello)}: KV); the rest, ${ms(binary.first - ping - (reads - hello))}: decoding the rules and the segment and evaluating in wasm`);
}

// 3. In-isolate µs per request -----------------------------------------------------------------
if (only.includes('loop')) {
  const mf = await start(VARS, persist, { scriptPath: join(dir, 'loop.mjs'), modulesRoot: dir });
  try {
    const loop = async (target, route, n) => {
      const t = performance.now();
      await get(mf, `/__loop?target=${target}&route=${encodeURIComponent(route)}&n=${n}&token=${TOKEN}`);
      return performance.now() - t;
    };
    const perRequest = async (target, route, n) => {
      await loop(target, route, Math.max(20, n / 5)); // warm: data loaded, code optimized
      const xs = [];
      for (let r = 0; r < rounds; r++) {
        const empty = await loop(target, route, 0);
        xs.push(((await loop(target, route, n)) - empty) * 1000 / n);
      }
      return median(xs);
    };
    console.log(`\nin-isolate µs per request (median of ${rounds} loops; floor: a trivial handler's Request/URL/header/Response work, same run):`);
    const targets = { 'get-treatment': 1.5, 'get-treatments (10 flags)': 2, 'get-all-treatments (1,000 flags)': 2, '/admin/uptime': null };
    for (const [route, target] of Object.entries(targets)) {
      const n = route.startsWith('get-all') ? 200 : 2000;
      const floor = await perRequest('trivial', route, n);
      const worker = await perRequest('worker', route, n);
      const goal = target ? ` (target ≤ ${target}×)` : '';
      console.log(`  ${route.padEnd(34)} Worker ${worker.toFixed(1).padStart(7)} µs, floor ${floor.toFixed(1).padStart(5)} µs: ${(worker / floor).toFixed(2)}× the floor${goal}, own work ${(worker - floor).toFixed(1)} µs`);
    }
  } finally {
    await mf.dispose();
  }
}

// 3b. Bulk evaluation in the isolate -------------------------------------------------------------
if (only.includes('bulk')) {
  const mf = await start(VARS, persist, { scriptPath: join(dir, 'loop.mjs'), modulesRoot: dir });
  try {
    const run = async (mode, keys, flags) => {
      const t = performance.now();
      await get(mf, `/__bulk?mode=${mode}&keys=${keys}&flags=${flags}&token=${TOKEN}`);
      return performance.now() - t;
    };
    /** Median ms of `keys` keys through `mode`, the n=0 call's time taken off. */
    const measure = async (mode, keys, flags) => {
      await run(mode, Math.max(20, keys / 5), flags); // warm: data loaded, code optimized
      const xs = [];
      for (let r = 0; r < rounds; r++) {
        const empty = await run(mode, 0, flags);
        xs.push((await run(mode, keys, flags)) - empty);
      }
      return median(xs);
    };
    console.log(`\nbulk evaluation in the isolate (POST /client/evaluate-bulk, NDJSON read to the end; median of ${rounds}; baselines in the same isolate and run:`);
    console.log('  the same evaluations as one get-treatments request per key, and a trivial handler answering one request per key):');
    for (const [keys, flags] of [[2000, 10], [1000, 100], [200, 1000]]) {
      const evaluations = keys * flags;
      const bulk = await measure('bulk', keys, flags);
      const single = await measure('single', keys, flags);
      const trivial = await measure('trivial', keys, flags);
      const us = (t) => (t * 1000) / evaluations;
      console.log(`  ${String(keys).padStart(5)} keys × ${String(flags).padStart(4)} flags (${evaluations.toLocaleString('en')} evaluations): `
        + `bulk ${(evaluations / (bulk / 1000) / 1e6).toFixed(2)} M evaluations/s, ${us(bulk).toFixed(3)} µs each; `
        + `${keys} get-treatments ${us(single).toFixed(3)} µs each (bulk ${(single / bulk).toFixed(1)}× faster); `
        + `${keys} trivial requests alone ${trivial.toFixed(1)} ms (${(trivial / bulk).toFixed(2)}× the whole bulk request)`);
    }
  } finally {
    await mf.dispose();
  }
}

// 4. HTTP ---------------------------------------------------------------------------------------
/** Copies the persisted KV namespace into a directory, one file per key. */
async function exportKv(target) {
  await withKv(async (kv) => {
    let cursor;
    do {
      const page = await kv.list({ cursor });
      for (const { name } of page.keys) {
        const file = join(target, ...name.split('/'));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, Buffer.from(await kv.get(name, 'arrayBuffer')));
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  });
}

function capnpConfig(kvDir, workerPort, helloPort) {
  const text = (name, value) => `(name = ${JSON.stringify(name)}, text = ${JSON.stringify(value)})`;
  const modules = ['entry.mjs', 'index.js', ...listSnippets()].map((m) => `(name = ${JSON.stringify(m)}, esModule = embed ${JSON.stringify(m)})`);
  modules.push('(name = "index_bg.wasm", wasm = embed "index_bg.wasm")');
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "split-edge", worker = (compatibilityDate = "2026-04-01", modules = [${modules.join(', ')}],
      bindings = [(name = "SPLIT_DATA", kvNamespace = "kv"), ${Object.entries(VARS).map(([k, v]) => text(k, v)).join(', ')}])),
    (name = "kv", worker = (compatibilityDate = "2026-04-01", modules = [(name = "kv-disk.mjs", esModule = embed "kv-disk.mjs")],
      bindings = [(name = "DISK", service = "kv-files")])),
    (name = "kv-files", disk = (path = ${JSON.stringify(kvDir)})),
    (name = "hello", worker = (compatibilityDate = "2026-04-01", modules = [(name = "hello.mjs", esModule = embed "hello.mjs")])),
  ],
  sockets = [
    (name = "split-edge", address = "127.0.0.1:${workerPort}", http = (), service = "split-edge"),
    (name = "hello", address = "127.0.0.1:${helloPort}", http = (), service = "hello"),
  ],
);
`;
}

function listSnippets() {
  const out = [];
  const walk = (rel) => {
    for (const entry of readdirSyncSafe(join(dir, rel))) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.js')) out.push(path);
    }
  };
  walk('snippets');
  return out;
}
function readdirSyncSafe(p) {
  return existsSync(p) ? readdirSync(p, { withFileTypes: true }) : [];
}

async function freePort() {
  const { createServer } = await import('node:net');
  return new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => r(port)); }); });
}

async function waitForPort(port, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise((r) => { const s = connect(port, '127.0.0.1', () => { s.end(); r(true); }); s.on('error', () => r(false)); });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${port}`);
}

function rssKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

function load(base, path, connections, headers = {}) {
  let n = 0;
  return new Promise((done, fail) => {
    autocannon({ url: base, connections, duration: seconds, headers, requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path(n++) }) }] }, (err, r) => {
      if (err) return fail(err);
      if (r.non2xx > 0 || r.errors > 0) return fail(new Error(`${base}${path(0)}: ${r.non2xx} non-2xx, ${r.errors} errors`));
      done({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 });
    });
  });
}

function spawnChild(cmd, args, options) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.push(child);
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  child.output = () => out;
  return child;
}

async function untilOutput(child, pattern, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const m = pattern.exec(child.output());
    if (m) return m;
    if (child.exitCode !== null) throw new Error(`exited: ${child.output()}`);
    await sleep(50);
  }
  throw new Error(`timed out: ${child.output()}`);
}

async function waitForHttp(url, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try { if ((await fetch(url)).status === 200) return; } catch { /* not yet */ }
    await sleep(200);
  }
  throw new Error(`${url} never answered 200`);
}

if (only.includes('http')) {
  const kvDir = join(work, 'kv-files');
  await exportKv(kvDir);
  const [workerPort, helloPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'bench.capnp'), capnpConfig(kvDir, workerPort, helloPort));
  const workerd = spawnChild(join(root, 'node_modules', '.bin', 'workerd'), ['serve', 'bench.capnp'], { cwd: dir });
  await waitForPort(workerPort);
  await waitForPort(helloPort);
  const idle = rssKb(workerd.pid);
  const base = `http://127.0.0.1:${workerPort}`;
  const auth = { authorization: TOKEN };
  // Load everything the routes read (flags, then every segment in the background).
  for (let i = 0; i < 200; i++) {
    const res = await fetch(`${base}${routes['get-treatments (10 flags)'](i)}`, { headers: auth, signal: AbortSignal.timeout(10_000) })
      .catch((e) => { throw new Error(`workerd serve: ${e.message}\n${workerd.output()}`); });
    if (res.status !== 200) throw new Error(`workerd serve: ${res.status} ${await res.text()} ${workerd.output()}`);
    await res.text();
  }
  await sleep(500);
  const loaded = rssKb(workerd.pid);

  const sdkApi = await serveSdkApi(snapshot);
  const sdk = spawnChild(process.execPath, [join(here, 'sdk-server.mjs'), '--sdk-url', sdkApi.url], { cwd: root });
  const sdkPort = Number((await untilOutput(sdk, /ready (\d+)/))[1]);
  const sdkBase = `http://127.0.0.1:${sdkPort}`;

  let evaluatorBase = null;
  const evaluatorDir = resolve(root, '..', 'split-evaluator');
  if (existsSync(join(evaluatorDir, 'server.js')) && existsSync(join(evaluatorDir, 'node_modules'))) {
    const port = await freePort();
    spawnChild(process.execPath, ['server.js'], { cwd: evaluatorDir, env: { ...process.env, ...evaluatorVars(sdkApi.url), SPLIT_EVALUATOR_SERVER_PORT: String(port) } });
    evaluatorBase = `http://127.0.0.1:${port}`;
    await waitForHttp(`${evaluatorBase}/admin/healthcheck`);
  }

  console.log(`\nHTTP (autocannon, ${seconds} s a run, same machine): plain workerd serve; the official JS SDK behind node:http (split-evaluator without Express)${evaluatorBase ? '; split-evaluator' : '; split-evaluator: not installed (clone it to ../split-evaluator and `npm install` there to compare)'}`);
  console.log(`  workerd process RSS: ${(idle / 1024).toFixed(0)} MB started (both Workers compiled), ${(loaded / 1024).toFixed(0)} MB with the snapshot loaded: ${((loaded - idle) / 1024).toFixed(0)} MB for the isolate's data`);
  for (const connections of [10, 50]) {
    const hello = await load(`http://127.0.0.1:${helloPort}`, () => '/', connections);
    console.log(`  ${connections} connections: hello-world Worker ${Math.round(hello.rps)} req/s (p50 ${hello.p50} ms, p99 ${hello.p99} ms), the box's ceiling`);
    for (const route of ['get-treatment', 'get-treatments (10 flags)']) {
      const edge = await load(base, routes[route], connections, auth);
      const node = await load(sdkBase, routes[route], connections);
      const line = [`    ${route.padEnd(26)} Worker ${Math.round(edge.rps)} req/s p50 ${edge.p50} ms p99 ${edge.p99} ms (${(edge.rps / hello.rps).toFixed(2)}× hello-world)`,
        `SDK+node:http ${Math.round(node.rps)} req/s p99 ${node.p99} ms (Worker ${(edge.rps / node.rps).toFixed(2)}× its req/s, ${(edge.p99 / node.p99).toFixed(2)}× its p99)`];
      if (evaluatorBase) {
        const ev = await load(evaluatorBase, routes[route], connections);
        line.push(`split-evaluator ${Math.round(ev.rps)} req/s p99 ${ev.p99} ms (Worker ${(edge.rps / ev.rps).toFixed(2)}× its req/s, ${(edge.p99 / ev.p99).toFixed(2)}× its p99; target ≥ 3×, ≤ 0.33×)`);
      }
      console.log(line.join('; '));
    }
  }
  await sdkApi.close();
}
process.exit(0);
